"""``oxdav-admin dns-records``: RFC 6764 SRV and TXT records for client autodiscovery.

Printed in zone-file syntax, as in the OX documentation's "Autodiscovery" section:
``_caldavs._tcp`` / ``_carddavs._tcp`` SRV records (RFC 6764 §3) pointing at the TLS
port, ``_caldav._tcp`` / ``_carddav._tcp`` for port 80 only when a plain listener is
configured, and TXT ``path=`` records (RFC 6764 §4) naming the DAV prefix.
"""

from __future__ import annotations

import argparse
import socket
from typing import Any, TextIO

from oxdav.config import ConfigSnapshot

TTL = 10800
PRIORITY = 10
WEIGHT = 1


def default_domain(host: str) -> str:
    """The mail domain guessed from the server name: ``dav.example.com`` → ``example.com``."""
    labels = host.split(".")
    return ".".join(labels[1:]) if len(labels) > 2 else host


def zone_records(host: str, domain: str, port: int, prefix: str, *,
                 plain: bool) -> list[str]:
    """The zone-file lines for ``domain`` pointing at ``host``."""
    host, domain = host.rstrip(".") + ".", domain.rstrip(".") + "."
    services = [("_caldavs._tcp", port), ("_carddavs._tcp", port)]
    if plain:
        services = [("_caldavs._tcp", port), ("_caldav._tcp", 80),
                    ("_carddavs._tcp", port), ("_carddav._tcp", 80)]
    owners = [f"{service}.{domain}" for service, _ in services]
    width = max(len(owner) for owner in owners) + 6
    lines = [f"{owner.ljust(width)}{TTL} IN SRV      {PRIORITY} {WEIGHT} {target_port:>3} {host}"
             for owner, (_, target_port) in zip(owners, services, strict=True)]
    lines += [f"{owner.ljust(width)}{TTL} IN TXT   path={prefix}" for owner in owners]
    return lines


def print_records(snapshot: ConfigSnapshot, args: argparse.Namespace, out: TextIO) -> None:
    """Print the records for the configured (or given) host name and mail domain."""
    host = args.host or snapshot.get("oxdav.hostname") or socket.getfqdn()
    domain = args.domain or default_domain(host)
    prefix = snapshot.get("com.openexchange.dav.prefixPath")
    plain = bool(snapshot.get("oxdav.listen.http"))
    out.write(f"; RFC 6764 autodiscovery for {domain} -> https://{host}"
              f"{'' if args.port == 443 else f':{args.port}'}{prefix}/\n")
    for line in zone_records(host, domain, args.port, prefix, plain=plain):
        out.write(line + "\n")


def register(nouns: Any) -> None:
    """Add ``dns-records`` to the top-level subparsers."""
    p = nouns.add_parser("dns-records", help="print RFC 6764 SRV/TXT records for a zone file")
    p.add_argument("--host", help="server host name (default: oxdav.hostname)")
    p.add_argument("--domain", help="mail domain the records go in "
                   "(default: the host name without its first label)")
    p.add_argument("--port", type=int, default=443, help="public HTTPS port (default 443)")
    p.set_defaults(handler=print_records, needs_store=False)
