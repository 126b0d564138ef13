"""The mail that carries an iTIP message (RFC 6047 §2): a short text for people and
the iCalendar object for their calendar program, built with the standard library's
``email`` package.

The structure is ``multipart/alternative`` of ``text/plain`` and ``text/calendar;
method=<METHOD>; charset=utf-8`` (RFC 6047 §2.4: the ``method`` parameter equals the
object's METHOD; §2.2.4: UTF-8). The calendar part travels base64-encoded, so its
CRLF line ends and folded lines arrive exactly as queued.
"""

from __future__ import annotations

from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from oxdav.store import QueuedMail

from .itip import Itip

#: What the subject says per method, before the summary.
_SUBJECT = {"REQUEST": "Invitation", "CANCEL": "Cancelled", "REPLY": "Reply",
            "COUNTER": "Counter proposal", "DECLINECOUNTER": "Counter proposal declined",
            "ADD": "Invitation", "REFRESH": "Refresh request", "PUBLISH": "Event"}


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        zone = value.tzname() or "floating"
        return f"{value:%Y-%m-%d %H:%M} ({zone})"
    return f"{value:%Y-%m-%d} (all day)"


def summary_text(itip: Itip, sender_name: str) -> str:
    """The ``text/plain`` part: who sends what, about which event."""
    title = itip.summary or "(no title)"
    line = {
        "REQUEST": f"{sender_name} invites you to: {title}",
        "CANCEL": f"{sender_name} cancelled: {title}",
        "REPLY": f"{sender_name} replied to: {title}",
    }.get(itip.method, f"{sender_name} sent a calendar message ({itip.method}): {title}")
    lines = [line, ""]
    if itip.start is not None:
        lines.append(f"When: {_when(itip.start)}")
    if itip.location:
        lines.append(f"Where: {itip.location}")
    if itip.organizer:
        lines.append(f"Organizer: {itip.organizer}")
    lines += ["", "Your calendar program can add this to your calendar and answer it."]
    return "\n".join(lines) + "\n"


def reply_address(template: str, token: str) -> str:
    """The Reply-To address of a message: the template with its ``{token}`` filled in;
    '' when there is no template."""
    return template.replace("{token}", token) if template else ""


def compose(mail: QueuedMail, itip: Itip, *, sender: str, sender_name: str,
            reply_to: str, now: datetime, calendar: bytes | None = None) -> EmailMessage:
    """The message for ``mail``.

    Args:
        mail: the queued message (recipient, method, token, the iTIP bytes).
        itip: ``mail.itip`` as read (``itip.read_itip``).
        sender: the From address (``oxdav.imip.sender``).
        sender_name: the display name shown with it (the organizer's or replier's).
        reply_to: the Reply-To address ('' for none).
        now: the Date.
        calendar: the text/calendar part (``mail.itip`` when None).

    Raises: ValueError (an address the ``email`` package refuses).
    """
    message = EmailMessage(policy=SMTP)
    local, _, domain = sender.rpartition("@")
    message["From"] = Address(display_name=sender_name, username=local, domain=domain)
    message["To"] = mail.recipient
    if reply_to:
        message["Reply-To"] = reply_to
    title = itip.summary or "(no title)"
    message["Subject"] = f"{_SUBJECT.get(mail.method, 'Calendar')}: {title}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=domain or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834 §5
    # 7-bit transfer encodings: the SMTP client does not ask for 8BITMIME.
    message.set_content(summary_text(itip, sender_name), subtype="plain", charset="utf-8",
                        cte="quoted-printable")
    message.add_alternative(calendar or mail.itip, maintype="text", subtype="calendar",
                            cte="base64", params={"method": mail.method, "charset": "utf-8"})
    for part in message.iter_parts():
        del part["MIME-Version"]
    return message
