"""WebDAV-Push: telling subscribers' push services of committed changes.

``vapid`` holds the server's VAPID key (RFC 8292), ``endpoints`` decides where the
server may send (no requests to private addresses unless the admin allows them),
``delivery`` encrypts (RFC 8291) and posts one message with Twisted's HTTP client,
``notifier`` turns this node's commits into coalesced messages, and ``server`` is the
whole as the DAV layer and the daemon see it. The protocol's XML is
:mod:`oxdav.dav.push`; the subscriptions are the store's.
"""
