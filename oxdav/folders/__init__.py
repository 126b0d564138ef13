"""The folder tree: generic DAV resources on the store, beneath CalDAV and CardDAV.

This package knows folders, objects and permissions, never iCalendar or vCard: each
space (``/caldav/``, ``/carddav/``) is a :class:`~oxdav.folders.space.FolderSpace`
supplied by CalDAV/CardDAV, which subclass
:class:`~oxdav.folders.collection.FolderCollection` and
:class:`~oxdav.folders.collection.ObjectResource` for their content semantics
(ARCHITECTURE.md has the layers).

- :mod:`.base`: the per-request tree protocol, what a resource knows of its space, and
  the tree's own resource base.
- :mod:`.collection`: one folder as a collection, one stored object as a resource.
- :mod:`.locking`: write locks of folder members, kept by the store.
- :mod:`.naming`: the names clients made collections under.
- :mod:`.space`: what a space provides, and its home collection.
- :mod:`.tree`: path resolution for one authenticated request.
- :mod:`.errors`: what the store's errors answer over WebDAV.
"""
