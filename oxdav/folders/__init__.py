"""The folder tree: generic DAV resources on the store, beneath CalDAV and CardDAV.

Layering (DESIGN.md §7): ``web`` → ``caldav``/``carddav``/``principals`` → **folders**
→ ``dav`` → ``store``/``directory``/``config``. This package knows folders, objects
and permissions, never iCalendar or vCard: each home (``/caldav/``, ``/carddav/``) is a
:class:`~oxdav.folders.homes.HomeKind` supplied by CalDAV/CardDAV, which subclass
:class:`~oxdav.folders.collection.FolderCollection` and
:class:`~oxdav.folders.collection.ObjectResource` for their content semantics.

- :mod:`.base`: the per-request tree protocol and the tree's own resource base.
- :mod:`.collection`: one folder as a collection, one stored object as a resource.
- :mod:`.homes`: what a home kind provides, and the home collection.
- :mod:`.locking`: write locks of folder members, kept by the store.
- :mod:`.tree`: path resolution for one authenticated request.
"""
