"""The store core: the storage contract implemented once, over any engine.

Every rule of ``oxdav.store.interfaces`` lives here — permissions and scopes, the UID
rule, quota, revisions and the change log, tombstones, default and system folders,
locks, the caches checked against context versions — as functions that run on a
database thread against an engine's row-level interface (:mod:`.rows`). An engine
(``oxdav.store.sqlite``, ``oxdav.store.postgres``) only moves rows.
"""
