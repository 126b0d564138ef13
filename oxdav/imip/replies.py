"""Whether a reply mail may touch an invitation: its recipient address carries the
token of a message the server sent, and its iTIP REPLY (RFC 5546 §3.2.3) comes from
the attendee that message went to, about its UID. Anything else is refused.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

from oxdav.itip_terms import address
from oxdav.store import QueuedMail

from .itip import Itip, read_itip

#: Body parts of a reply mail looked at, at most.
MAX_PARTS = 50
#: What a token looks like (``store.core.mail.new_token``).
TOKEN = "[a-z2-7]{24}"
#: The invitations a reply may answer.
ANSWERED = frozenset({"REQUEST", "ADD"})


class ReplyRefused(Exception):
    """The mail is not a reply the server takes; ``code`` is the SMTP reply code."""

    def __init__(self, reason: str, code: int = 550) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def token_pattern(template: str) -> re.Pattern[str] | None:
    """The addresses ``oxdav.imip.replyAddress`` makes, as a pattern whose group
    ``token`` is the token; None when there is no template."""
    if "{token}" not in template:
        return None
    before, _, after = template.partition("{token}")
    return re.compile(f"{re.escape(before)}(?P<token>{TOKEN}){re.escape(after)}",
                      re.IGNORECASE)


def token_of(recipient: str, pattern: re.Pattern[str] | None) -> str | None:
    """The token in a recipient address, if it is one of ours."""
    if pattern is None:
        return None
    match = pattern.fullmatch(recipient.strip())
    return None if match is None else match.group("token").lower()


def calendar_reply(message: bytes) -> tuple[Itip, bytes]:
    """The iTIP REPLY a mail carries (RFC 6047 §2.4: a ``text/calendar`` part) and its
    bytes. Raises: ReplyRefused (none, or one that is no iTIP message)."""
    parsed = message_from_bytes(message, policy=default)
    for count, part in enumerate(parsed.walk()):
        if count >= MAX_PARTS:
            break
        if part.get_content_type() != "text/calendar":
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        try:
            itip = read_itip(data)
        except ValueError as e:
            raise ReplyRefused(f"the calendar part is no iTIP message: {e}") from e
        if itip.method == "REPLY":
            return itip, data
    raise ReplyRefused("the mail carries no iTIP REPLY")


def check_reply(invitation: QueuedMail, reply: Itip) -> None:
    """Raises ReplyRefused unless ``reply`` answers ``invitation``: the same UID, and
    the one ATTENDEE it names (RFC 5546 §3.2.3) is the address invited."""
    if invitation.method not in ANSWERED:
        raise ReplyRefused(f"the token names a {invitation.method} message, no invitation")
    if reply.uid != invitation.uid:
        raise ReplyRefused("the reply's UID is not the invitation's")
    if reply.attendees != (address(invitation.recipient),):
        raise ReplyRefused("the reply's attendee is not the address invited")
