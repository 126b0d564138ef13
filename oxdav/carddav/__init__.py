"""CardDAV (RFC 6352) semantics that need neither HTTP nor the store.

- :mod:`oxdav.carddav.card`: a lossless vCard model read and written with vobject.
- :mod:`oxdav.carddav.vcard`: parse-once validation of a PUT body (§6.3.2.1).
- :mod:`oxdav.carddav.convert` (with :mod:`~oxdav.carddav.convert_properties` and
  :mod:`~oxdav.carddav.convert_values`): vCard 3.0 ⇄ 4.0 conversion (§5.1.1).
- :mod:`oxdav.carddav.filters` and :mod:`oxdav.carddav.collation`: the
  addressbook-query filter (§10.5) and its collations (§8.3).
- :mod:`oxdav.carddav.addressdata`: the address-data request element (§10.4) and
  Accept negotiation for GET (§5.1.1).
- :mod:`oxdav.carddav.errors`: the precondition errors all of these raise.
"""
