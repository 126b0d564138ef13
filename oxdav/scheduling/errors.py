"""What scheduling refuses, without HTTP codes (the CalDAV layer answers them)."""

from __future__ import annotations


class SchedulingError(Exception):
    """A write scheduling cannot take; ``precondition`` is the CALDAV element name
    (RFC 4791 §5.3.2.1, RFC 6638 §3.2.4) it breaks."""

    precondition = "valid-scheduling-message"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooManyAttendees(SchedulingError):
    """More attendees than one object may have (RFC 4791 §5.2.9)."""

    precondition = "max-attendees-per-instance"

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} attendees per object")
        self.limit = limit
        self.args = (limit,)  # rebuilt from these when it comes back from a worker


class OrganizerChanged(SchedulingError):
    """The ORGANIZER of a scheduling object resource changed (RFC 6638 §3.2.4.2)."""

    precondition = "allowed-organizer-scheduling-object-change"

    def __init__(self, before: str, after: str) -> None:
        super().__init__(f"the organizer cannot change from {before!r} to {after!r}")
        self.args = (before, after)  # rebuilt from these when it comes back from a worker


class TooManyToCancel(SchedulingError):
    """A calendar to be removed holds more upcoming scheduling objects than one request
    tells the attendees of."""

    precondition = ""

    def __init__(self, limit: int) -> None:
        super().__init__(f"this calendar holds more than {limit} upcoming meetings; delete "
                         "some of them first (their attendees are told of each)")
        self.args = (limit,)


class ScheduleTagMismatch(SchedulingError):
    """If-Schedule-Tag-Match does not match the object's Schedule-Tag (RFC 6638 §8.3)."""

    precondition = ""
