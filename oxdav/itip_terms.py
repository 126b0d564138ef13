"""What scheduling inside a context (RFC 6638) and iMIP (RFC 6047) name alike: calendar
user addresses, the components iTIP schedules, and the SCHEDULE-STATUS codes recorded per
recipient (RFC 6638 §3.2.9: RFC 5546 §3.6 REQUEST-STATUS codes, the code only)."""

from __future__ import annotations

#: Components iTIP schedules (RFC 5546 §1.4).
SCHEDULED = ("VEVENT", "VTODO")


def address(value: object) -> str:
    """A calendar user address compared as RFC 6638 §2.4.1 suggests: without the
    ``mailto:`` scheme, case-insensitively."""
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


#: The message was delivered (RFC 6638 §3.2.9, RFC 5546 §3.6 "1.2").
DELIVERED = "1.2"
#: Handed on for later delivery (pending).
PENDING = "1.0"
#: Not a calendar user the server can reach (no mailto: address).
INVALID_USER = "3.7"
#: Refused: the recipient holds that UID from another organizer.
NO_AUTHORITY = "3.8"
#: Could not be delivered (nobody to hand it to).
NOT_DELIVERED = "5.1"
#: The recipient has no calendar to take it (no scheduling support).
NO_SUPPORT = "5.3"
