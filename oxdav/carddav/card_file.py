"""An address book as one vCard file, and a vCard file as address objects.

Export (GET of an address book, ``oxdav-admin folder export``): the cards one after
another (RFC 6350 §3.3: a vCard file holds one or more cards), each as a GET of it
returns it: stored bytes, in the version the Accept header (or the client, for
Apple's) asks for, else each in its own.

Import (``oxdav-admin folder import``): each card of the file (``BEGIN:VCARD`` to
``END:VCARD``, with its own bytes) is one address object for the PUT path to validate.
"""

from __future__ import annotations

import re

from oxdav.carddav.addressdata import negotiate_get
from oxdav.carddav.validation import content_type_of, takes_only_vcard3
from oxdav.folders.whole import FileObject

#: The Content-Type of a file of cards in more than one version (RFC 6350 §10.1).
CARD_FILE_TYPE = "text/vcard; charset=utf-8"
_UID_LINE = re.compile(r"UID\s*[;:]", re.IGNORECASE)


class CardFileError(ValueError):
    """The file is no vCard text (its cards do not nest)."""


def file_version(accept: str | None, user_agent: str | None) -> tuple[str | None, str]:
    """The one version every card of a whole address book is sent in (None: each in
    its stored one, as a GET of each would answer) and the Content-Type.

    Raises:
        ConversionError: ``supported-address-data-conversion``: no version is acceptable.
    """
    prefer = "3.0" if takes_only_vcard3(user_agent) else None
    chosen = {negotiate_get(accept, stored, prefer=prefer).version for stored in ("3.0", "4.0")}
    if len(chosen) == 1:
        version = chosen.pop()
        return version, content_type_of(version)
    return None, CARD_FILE_TYPE


def card_frames(data: bytes) -> list[bytes]:
    """The cards of a vCard file, each with its own bytes (a last line without a line
    end gets CRLF).

    Raises:
        CardFileError: text outside a card, or cards that do not nest.
    """
    cards: list[bytes] = []
    current: list[bytes] = []
    depth = 0
    for number, line in enumerate(data.splitlines(keepends=True), 1):
        if not line.endswith((b"\n", b"\r")):
            line += b"\r\n"
        bare = line.rstrip(b"\r\n")
        upper = bare[:6].upper()
        if depth == 0 and not bare.strip():
            continue
        if upper.startswith(b"BEGIN:"):
            depth += 1
        elif upper.startswith(b"END:"):
            depth -= 1
            if depth < 0:
                raise CardFileError(f"line {number}: END without BEGIN")
        elif depth == 0:
            raise CardFileError(f"line {number}: text outside a vCard")
        current.append(line)
        if depth == 0:
            cards.append(b"".join(current))
            current = []
    if depth:
        raise CardFileError("the file ends inside a card")
    if not cards:
        raise CardFileError("no vCard in the file")
    return cards


def card_uid(card: bytes) -> str | None:
    """The UID of a framed card (its own, not one of a nested card), unfolded."""
    depth = 0
    found: str | None = None
    for raw in card.splitlines():
        line = raw.decode("utf-8", "replace")
        if found is not None:
            if line[:1] in (" ", "\t"):
                found += line[1:]
                continue
            return found.strip()
        upper = line[:6].upper()
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
        elif depth == 1 and _UID_LINE.match(line):
            found = line.split(":", 1)[1] if ":" in line else ""
    return None if found is None else found.strip()


def card_objects(data: bytes) -> list[FileObject]:
    """The address objects of a vCard file, one per card.

    Raises:
        CardFileError: the file does not frame as vCard.
    """
    return [FileObject(card_uid(card), card) for card in card_frames(data)]


def ending_with_line_break(card: bytes) -> bytes:
    """A card as the file carries it: ending with a line break, so the next begins on
    a line of its own."""
    return card if card.endswith((b"\n", b"\r")) else card + b"\r\n"
