"""The SCHEDULE-STATUS codes scheduling records per recipient (RFC 6638 §3.2.9: RFC 5546
§3.6 REQUEST-STATUS codes, the code only)."""

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
