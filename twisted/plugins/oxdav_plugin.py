"""twistd plugin: ``twistd oxdav -c /etc/oxdav``.

Import-free on purpose: plugin discovery imports every plugin module, and an
import error here would only be logged and the subcommand would vanish.
``oxdav.tap`` is imported only when the subcommand runs.
"""

from twisted.application.service import ServiceMaker

oxdav = ServiceMaker(
    "oxdav",
    "oxdav.tap",
    "CalDAV and CardDAV server (Open-Xchange DAV interface)",
    "oxdav",
)
