"""CardDAV (RFC 6352): vCard semantics, and the address book home on the folder tree.

Semantics that need neither HTTP nor the store:

- :mod:`oxdav.carddav.card`: a lossless vCard model read and written with vobject.
- :mod:`oxdav.carddav.vcard`: parse-once validation of a PUT body (§6.3.2.1).
- :mod:`oxdav.carddav.convert` (with :mod:`~oxdav.carddav.convert_properties` and
  :mod:`~oxdav.carddav.convert_values`): vCard 3.0 ⇄ 4.0 conversion (§5.1.1).
- :mod:`oxdav.carddav.filters` and :mod:`oxdav.carddav.collation`: the
  addressbook-query filter (§10.5) and its collations (§8.3).
- :mod:`oxdav.carddav.addressdata`: the address-data request element (§10.4) and
  Accept negotiation for GET (§5.1.1).
- :mod:`oxdav.carddav.errors`: the precondition errors all of these raise.

The home on the DAV tree (``oxdav.folders`` resources, DESIGN.md §5):

- :mod:`oxdav.carddav.space`: the ``/carddav/`` space, its extended MKCOL.
- :mod:`oxdav.carddav.exposure`: exposedCollections, ignoreFolders, the aggregated set.
- :mod:`oxdav.carddav.collection`: a contacts folder as an address book, its cards.
- :mod:`oxdav.carddav.aggregate`: the aggregated "All Contacts" collection.
- :mod:`oxdav.carddav.validation`: PUT validation as HTTP answers.
- :mod:`oxdav.carddav.representations`: the other vCard version made on write and
  kept by the store, so reads (GET, address-data) in either version need no parsing.
- :mod:`oxdav.carddav.properties`, :mod:`oxdav.carddav.reports`,
  :mod:`oxdav.carddav.mkcol`: live properties, REPORTs, extended MKCOL bodies.
"""
