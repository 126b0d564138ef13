"""oxdav: a CalDAV and CardDAV server for multi-tenant groupware, on Twisted."""

__version__ = "0.1.0.dev0"
