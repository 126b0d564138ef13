"""Every configuration property oxdav knows, declared once.

A declaration gives the name, the value kind (what is allowed), the default (as text,
checked by the same kind), whether a SIGHUP reload may change it, and whether it is
*cascade-aware* (may be overridden per context set, context or user, DESIGN.md §6).
The Open-Xchange properties keep their OX names and defaults
(``reference/ox-caldav-carddav.md``); oxdav's own are named ``oxdav.*``.

To add a property, add one ``_declare(...)`` line here; nothing else has to change for
it to be parsed, validated, reloaded and shown by ``--check-config``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oxdav.config import kinds
from oxdav.config.kinds import Kind

#: Namespaces owned by oxdav: an unknown key in one of them is an error (a typo),
#: while a key outside them (say, from a copied OX file) is ignored with a warning.
OWNED_PREFIXES = ("oxdav.", "com.openexchange.caldav.", "com.openexchange.carddav.",
                  "com.openexchange.dav.")

#: OX's default pattern for the clients that get the aggregated "All Contacts"
#: collection (DESIGN.md §5).
DEFAULT_AGGREGATED_UA = (
    ".*CFNetwork.*Darwin.*|.*AddressBook.*CardDAVPlugin.*Mac_OS_X.*|"
    ".*Mac OS X.*AddressBook.*|.*macOS.*AddressBook.*"
)


@dataclass(frozen=True)
class Property:
    """The declaration of one configuration property."""

    name: str
    kind: Kind[Any]
    default: str
    help: str
    reloadable: bool = True
    cascade: bool = False

    def parse(self, text: str) -> Any:
        """Check and convert a value of this property; ``ValueError`` says why not."""
        return self.kind.parse(text)


DECLARATIONS: dict[str, Property] = {}


def _declare(name: str, kind: Kind[Any], default: str, help: str, *,
             reloadable: bool = True, cascade: bool = False) -> None:
    prop = Property(name, kind, default, help, reloadable, cascade)
    prop.parse(default)  # a broken default is a programming error: fail at import
    DECLARATIONS[name] = prop


# --- Open-Xchange: CalDAV (reference/ox-caldav-carddav.md, "CalDAV Configuration") ---
_declare("com.openexchange.caldav.enabled", kinds.BOOLEAN, "true",
         "Whether a user may use the CalDAV interface.", cascade=True)
_declare("com.openexchange.caldav.tree", kinds.choice("0"), "0",
         "The folder tree used by CalDAV; only 0 exists.", cascade=True)
_declare("com.openexchange.caldav.interval.start",
         kinds.choice_or_days("one_month", "six_months", "one_year"), "one_month",
         "Start of the synchronised window (DESIGN.md §4).", cascade=True)
_declare("com.openexchange.caldav.interval.end", kinds.choice("one_year", "two_years"),
         "one_year", "End of the synchronised window (DESIGN.md §4).", cascade=True)
_declare("com.openexchange.caldav.interval.strict", kinds.BOOLEAN, "false",
         "Reject PUTs outside the window with 403 min/max-date-time.", cascade=True)
# OX's default is https://[hostname]/caldav/[folderId] behind an Apache rewrite; oxdav
# serves the homes below prefixPath itself, so the default names that path.
_declare("com.openexchange.caldav.url", kinds.TEXT, "https://[hostname]/dav/caldav/[folderId]/",
         "The URL shown to users for a calendar folder ([hostname], [folderId]).",
         cascade=True)

# --- Open-Xchange: CardDAV ("CardDAV Configuration") ---
_declare("com.openexchange.carddav.enabled", kinds.BOOLEAN, "true",
         "Whether a user may use the CardDAV interface.", cascade=True)
_declare("com.openexchange.carddav.tree", kinds.choice("0"), "0",
         "The folder tree used by CardDAV; only 0 exists.", cascade=True)
_declare("com.openexchange.carddav.ignoreFolders", kinds.INTEGER_LIST, "",
         "Folder ids left out of CardDAV everywhere (e.g. 6, the global address list).",
         cascade=True)
_declare("com.openexchange.carddav.exposedCollections", kinds.choice("0", "1", "2"), "0",
         "0 = by User-Agent, 1 = one collection per folder, 2 = aggregated only.",
         cascade=True)
_declare("com.openexchange.carddav.userAgentForAggregatedCollection", kinds.REGEX,
         DEFAULT_AGGREGATED_UA,
         "User-Agents that get the aggregated collection when exposedCollections=0.",
         cascade=True)
_declare("com.openexchange.carddav.reducedAggregatedCollection", kinds.BOOLEAN, "false",
         "Aggregate only the user's own contacts folders and the global address list.",
         cascade=True)

# --- Open-Xchange: DAV paths. OX's own default prefix is /servlet/dav; oxdav mounts at
# /dav, the value the OX documentation recommends (DESIGN.md §3).
_declare("com.openexchange.dav.prefixPath", kinds.URL_PATH, "/dav",
         "Path under which the DAV tree is served.", reloadable=False)
_declare("com.openexchange.dav.proxyPrefixPath", kinds.URL_PATH, "/",
         "Path prefix a reverse proxy in front strips or adds.", reloadable=False)

# --- oxdav: listeners and TLS ---
_declare("oxdav.listen.https", kinds.LISTEN, "127.0.0.1:8443",
         "TLS listeners (HOST:PORT or systemd:NAME for socket activation).",
         reloadable=False)
_declare("oxdav.listen.http", kinds.LISTEN, "",
         "Plain-HTTP listeners, for use behind a reverse proxy only.", reloadable=False)
_declare("oxdav.listen.metrics", kinds.LISTEN, "127.0.0.1:9143",
         "Plain-HTTP listener for /metrics, /healthz, /readyz (keep it on loopback).",
         reloadable=False)
_declare("oxdav.proxy.trusted", kinds.NETWORKS, "127.0.0.1, ::1",
         "Peers whose Forwarded / X-Forwarded-* headers are believed (plain listener).")
_declare("oxdav.tls.certificate", kinds.TEXT, "/etc/oxdav/tls/fullchain.pem",
         "PEM certificate, followed by its chain (relative to the config directory).")
_declare("oxdav.tls.key", kinds.TEXT, "/etc/oxdav/tls/privkey.pem",
         "PEM private key of the certificate (relative to the config directory).")
_declare("oxdav.tls.generateDevCertificate", kinds.BOOLEAN, "false",
         "Create a self-signed development certificate when the files are absent.",
         reloadable=False)
_declare("oxdav.http2", kinds.BOOLEAN, "false",
         "Offer HTTP/2 by ALPN (needs Twisted[http2]).", reloadable=False)
_declare("oxdav.hostname", kinds.TEXT, "",
         "External host name (URLs shown to users, DNS records); empty = this machine's.")

# --- oxdav: HTTP limits ---
_declare("oxdav.http.maxBodySize", kinds.SIZE, "10M",
         "Largest request body; larger ones get 413.")
_declare("oxdav.caldav.maxResourceSize", kinds.SIZE, "4M",
         "Largest calendar object (CALDAV:max-resource-size, RFC 4791 §5.2.5); larger PUTs "
         "get 403 max-resource-size.", cascade=True)
_declare("oxdav.carddav.maxResourceSize", kinds.SIZE, "5M",
         "Largest vCard (CARDDAV:max-resource-size, RFC 6352 §6.2.3); larger PUTs get 403 "
         "max-resource-size.", cascade=True)
_declare("oxdav.caldav.maxInstances", kinds.integer(1), "20000",
         "Most recurrence instances a calendar object may generate (CALDAV:max-instances, "
         "RFC 4791 §5.2.8; a series without end counted up to the end of the sync window, "
         "RDATE and EXDATE values each counting one); larger PUTs get 403 max-instances.",
         cascade=True)
_declare("oxdav.caldav.maxAttendeesPerInstance", kinds.integer(1), "100",
         "Most attendees one calendar object may list (CALDAV:max-attendees-per-instance, "
         "RFC 4791 §5.2.9); more are refused with 403 max-attendees-per-instance, so one "
         "write never schedules for more people than this.", cascade=True)
_declare("oxdav.caldav.maxReportInstances", kinds.integer(1), "200000",
         "Most recurrence instances one calendar report may expand over all the objects "
         "it looks at; a query answer stops there with a 507 for the collection, a "
         "free-busy query gets 507.")
_declare("oxdav.caldav.instanceIndex.pastDays", kinds.integer(0), "180",
         "Days before the time a recurring event is written from which its instances are "
         "kept in the instance index; a time range starting earlier is answered by parsing "
         "the series.")
_declare("oxdav.caldav.instanceIndex.futureDays", kinds.integer(1), "400",
         "Days after the time a recurring event is written until which its instances are "
         "kept in the instance index (the horizon); a time range reaching past it is "
         "answered by parsing the series until the event is indexed again.")
_declare("oxdav.dav.maxHrefs", kinds.integer(1), "100000",
         "Most hrefs in one multiget REPORT; more get 403 number-of-matches-within-limits.")
_declare("oxdav.dav.maxResponseSize", kinds.SIZE, "100M",
         "Largest multi-status answer held for a client; a longer listing or report stops "
         "there with a 507 for the collection (RFC 6578 §3.2's truncation).")
_declare("oxdav.http.idleTimeout", kinds.DURATION, "60",
         "Close a connection idle (or sending too slowly) for this long.", reloadable=False)

# --- oxdav: storage ---
_declare("oxdav.dataDir", kinds.TEXT, "/var/lib/oxdav",
         "State directory (relative to the config directory when not absolute).",
         reloadable=False)
_declare("oxdav.storage", kinds.TEXT, "sqlite:oxdav.sqlite3",
         "Storage URL: sqlite:FILE (relative to dataDir), sqlite:/absolute/path, or "
         "postgresql://USER@HOST:PORT/DATABASE with any libpq parameter after '?' "
         "(sslmode=verify-full, sslrootcert=...); never a password.",
         reloadable=False)
_declare("oxdav.storage.passwordFile", kinds.TEXT, "",
         "PostgreSQL: file whose first line is the password (relative to the config "
         "directory), read at every connection; empty: libpq's PGPASSWORD, PGPASSFILE "
         "or ~/.pgpass.", reloadable=False)
_declare("oxdav.storage.poolSize", kinds.integer(1, 1000), "10",
         "PostgreSQL: database connections at most (each open transaction holds one), "
         "and threads each for reads and writes.", reloadable=False)
_declare("oxdav.storage.statementTimeout", kinds.DURATION, "30s",
         "PostgreSQL: longest a statement may run before the server cancels it (0: no "
         "limit).",
         reloadable=False)
_declare("oxdav.sqlite.synchronous", kinds.choice("FULL", "NORMAL"), "FULL",
         "SQLite durability: FULL survives power loss; NORMAL may lose the last commits.",
         reloadable=False)

# --- oxdav: quota (RFC 4331), per context or user through the cascade ---
_declare("oxdav.quota.bytes", kinds.SIZE, "0",
         "Most bytes a user may store in the folders they own (k, M, G allowed); "
         "a PUT beyond it gets 507 quota-not-exceeded. 0 = unlimited.", cascade=True)

# --- oxdav: locks (RFC 4918 §6), per context or user through the cascade ---
_declare("oxdav.lock.maxTimeout", kinds.DURATION, "1h",
         "Longest a LOCK lasts without a refresh; a longer Timeout (or Infinite) gets this.",
         cascade=True)
_declare("oxdav.lock.maxOwnerSize", kinds.SIZE, "4k",
         "Largest DAV:owner element a LOCK may carry (as sent); a larger one gets 400.",
         cascade=True)
_declare("oxdav.lock.maxPerUser", kinds.integer(1), "100",
         "Most unexpired locks one user may hold; a LOCK beyond it gets 507.", cascade=True)

# --- oxdav: WebDAV-Push (draft-bitfire-webdav-push) ---
_declare("oxdav.push.enabled", kinds.BOOLEAN, "true",
         "Offer WebDAV-Push on calendars and address books and send push messages.",
         reloadable=False)
_declare("oxdav.push.vapidKey", kinds.TEXT, "push-vapid.pem",
         "The VAPID private key (PEM; relative to dataDir), made on first start. Every "
         "node of one database must use the same key (share or copy the file).",
         reloadable=False)
_declare("oxdav.push.subject", kinds.TEXT, "mailto:postmaster@localhost",
         "The VAPID contact (RFC 8292 sub claim): a mailto: or https: URL of the "
         "operator, which push services may use to reach you.", reloadable=False)
_declare("oxdav.push.allowPrivateEndpoints", kinds.BOOLEAN, "false",
         "Send to push endpoints on loopback, private or link-local addresses, and over "
         "plain http (a self-hosted push service on the local network; tests). Off, "
         "such a registration gets 403 invalid-subscription.")
_declare("oxdav.push.maxPerUser", kinds.integer(1), "50",
         "Most unexpired push subscriptions one user may hold; a registration beyond it "
         "gets 403 push-not-available.")
_declare("oxdav.push.maxExpiry", kinds.DURATION, "7d",
         "Longest a push subscription lasts without being renewed (at least 3 days).")
_declare("oxdav.push.delay", kinds.DURATION, "1s",
         "How long changes are gathered before they are pushed: a burst becomes one "
         "message per collection.", reloadable=False)
_declare("oxdav.push.timeout", kinds.DURATION, "10s",
         "Longest one push message may take, connecting included.", reloadable=False)
_declare("oxdav.push.ttl", kinds.DURATION, "1d",
         "How long a push service may keep a message for an unreachable device.",
         reloadable=False)
_declare("oxdav.push.concurrency", kinds.integer(1, 1000), "20",
         "Push messages in flight at most.", reloadable=False)

# --- oxdav: sync history (RFC 6578) ---
_declare("oxdav.sync.pruneInterval", kinds.DURATION, "1d",
         "How often tombstones of deleted objects and expired locks are pruned (also once "
         "at start).",
         reloadable=False)
_declare("oxdav.sync.tombstoneRetention", kinds.DURATION, "30d",
         "How long deletions stay visible to sync-collection; a client whose sync token "
         "is older gets 403 valid-sync-token and syncs from scratch.")

# --- oxdav: authentication ---
_declare("oxdav.auth.realm", kinds.TEXT, "oxdav", "The HTTP Basic realm.")
_declare("oxdav.auth.cacheTime", kinds.DURATION, "5m",
         "How long a verified credential is remembered.", reloadable=False)
_declare("oxdav.auth.maxFailures", kinds.integer(1), "5",
         "Failed logins per account (all spellings of its login together; a login naming "
         "nobody counts per name) before its attempts are delayed: 1s, doubling per "
         "further failure up to 5m. A password verified before still gets in.")
_declare("oxdav.auth.maxFailuresPerAddress", kinds.integer(1), "20",
         "Failed logins from one client address (behind oxdav.proxy.trusted, the "
         "forwarded client) before its attempts are delayed likewise; one address may be "
         "a NAT for many users.")

# --- oxdav: first start ---
_declare("oxdav.demo.create", kinds.BOOLEAN, "false",
         "Create a demo context and user on first start (development only).",
         reloadable=False)

# --- oxdav: operations ---
_declare("oxdav.log.level", kinds.LOG_LEVEL, "info", "Log level of the server.")

# --- oxdav: iMIP, scheduling mail to attendees outside the context (RFC 6047) ---
_declare("oxdav.imip.enabled", kinds.BOOLEAN, "false",
         "Whether invitations, cancellations and replies of a user go out by mail; queued "
         "mail of a user for whom it is off is skipped (logged).", cascade=True)
_declare("oxdav.imip.host", kinds.TEXT, "localhost", "SMTP server mail is sent through.")
_declare("oxdav.imip.port", kinds.integer(1, 65535), "587", "Its port.")
_declare("oxdav.imip.security", kinds.choice("starttls", "tls", "none"), "starttls",
         "starttls: STARTTLS is required; tls: TLS from the first byte (port 465); "
         "none: plain SMTP (a local MTA only).")
_declare("oxdav.imip.caFile", kinds.TEXT, "",
         "PEM file of the certificate authorities the SMTP server's certificate is checked "
         "against (relative to the config directory); empty: the system's.")
_declare("oxdav.imip.login", kinds.TEXT, "",
         "SMTP AUTH user name; empty: no authentication.")
_declare("oxdav.imip.passwordFile", kinds.TEXT, "",
         "File whose first line is the SMTP AUTH password (relative to the config "
         "directory), read at every connection.")
_declare("oxdav.imip.sender", kinds.TEXT, "calendar@localhost",
         "Envelope sender and From address of outgoing mail (shown with the organizer's "
         "name).")
_declare("oxdav.imip.replyAddress", kinds.TEXT, "",
         "Reply-To of outgoing mail, with {token} standing for the invitation's secret "
         "token (e.g. oxdav+{token}@calendar.example.com; one per organizer, meeting and "
         "attendee); the mail listener accepts replies to these addresses only. Empty: "
         "no Reply-To, replies by mail are not taken.")
_declare("oxdav.imip.organizerAsReplyAddress", kinds.BOOLEAN, "true",
         "Whether invitations and cancellations name the reply address as the ORGANIZER "
         "(with the organizer's name): calendar programs send their iTIP REPLY to the "
         "ORGANIZER, not to Reply-To, so only then do answers come back to the server. "
         "Off: the organizer's own address, and answers reach the organizer's mailbox.")
_declare("oxdav.imip.timeout", kinds.DURATION, "60s",
         "Longest an SMTP conversation may stay silent before the attempt fails.")
_declare("oxdav.imip.maxAttempts", kinds.integer(1, 100), "8",
         "Attempts to send a message before it is given up (state failed).")
_declare("oxdav.imip.retryDelay", kinds.DURATION, "1m",
         "Wait after the first failed attempt; doubling per further failure.")
_declare("oxdav.imip.maxRetryDelay", kinds.DURATION, "6h", "Longest wait between attempts.")
_declare("oxdav.imip.pollInterval", kinds.DURATION, "30s",
         "How often the queue is looked at besides when a transaction queues mail.")
_declare("oxdav.imip.retention", kinds.DURATION, "90d",
         "How long sent, failed and skipped messages are kept; a reply to an invitation "
         "is taken as long as its message is.")
_declare("oxdav.listen.mail", kinds.LISTEN, "",
         "SMTP (or LMTP: a client greeting with LHLO) listener for the site's MTA to "
         "deliver replies (iTIP REPLY mails to oxdav.imip.replyAddress) to; keep it on "
         "loopback. Empty: none.",
         reloadable=False)
_declare("oxdav.imip.listener.maxMessageSize", kinds.SIZE, "1M",
         "Largest reply mail the listener takes; a larger one gets 552.")
_declare("oxdav.imip.listener.maxRecipients", kinds.integer(1, 100), "1",
         "Recipients per mail transaction; more get 452 (the MTA sends them again "
         "separately). Keep it 1 for LMTP: a size refusal is one reply for them all.")
_declare("oxdav.imip.listener.timeout", kinds.DURATION, "60s",
         "Longest a connection to the mail listener may stay silent.")
_declare("oxdav.imip.listener.maxConnections", kinds.integer(1, 10000), "20",
         "Connections the mail listener serves at once; more are refused with 421.")
