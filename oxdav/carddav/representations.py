"""A card in either vCard version from stored bytes: the other version is made once, on
write (DESIGN.md §7: parsing happens once per write, never on a read path).

A card is stored exactly as sent (RFC 6352 §6.3.2.3). The write also converts it to
the other supported version with :func:`oxdav.carddav.convert.convert` (§5.1.1), and the
store keeps that as the object's derived bytes (``ObjectIndex.derived``).
A read in either version then returns stored bytes, the very bytes the conversion
would return:

- :func:`card_index` (and :func:`alternate_of` for cards written outside a PUT, such as
  the global address list's) make the alternate on write;
- :func:`stored_in_version` picks the stored bytes for a version without parsing;
- :func:`in_version` and :func:`render_for_get` are the reads: stored bytes, else a
  conversion now. That fallback serves cards stored without an alternate (written
  before alternates were kept), cards the converter failed on when written, and
  alternates made by another oxdav release (their PRODID names it; another converter
  may write other bytes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from twisted.logger import Logger

from oxdav.carddav.addressdata import negotiate_get
from oxdav.carddav.card import CardProperty, encode_text
from oxdav.carddav.convert import PRODID, convert, stored_version
from oxdav.carddav.errors import ConversionError
from oxdav.carddav.validation import stored_version as negotiated_stored_version
from oxdav.carddav.validation import takes_only_vcard3
from oxdav.carddav.vcard import SUPPORTED_VERSIONS, ParsedAddressObject
from oxdav.work import INLINE, Work

log = Logger()

#: The PRODID line :func:`convert` writes on every converted card; it names this oxdav
#: release, so an alternate made by another release is recognised and not served.
_PRODID_LINE: Final = CardProperty("PRODID", encode_text(PRODID)).to_line().encode("utf-8")


def other_version(version: str | None) -> str | None:
    """The supported vCard version a card of ``version`` is converted to on write."""
    if version not in SUPPORTED_VERSIONS:
        return None
    return next(v for v in SUPPORTED_VERSIONS if v != version)


def alternate_of(card: ParsedAddressObject | bytes) -> bytes | None:
    """The card in the other supported vCard version, exactly as :func:`convert` makes
    it on a read; None when there is none to make.

    A card the converter fails on is still stored (the alternate only saves reads
    their work): a read in the other version then converts and fails as it always did.
    An unexpected failure is logged, never raised to the writer.
    """
    version = card.version if isinstance(card, ParsedAddressObject) else stored_version(card)
    target = other_version(version)
    if target is None:
        return None
    try:
        return convert(card, target)
    except ConversionError:
        return None
    except Exception:  # a converter bug must not refuse a valid card
        log.failure("vCard {version} to {target}: no alternate stored", version=version,
                    target=target)
        return None




def stored_in_version(data: bytes, alternate: bytes | None, version: str) -> bytes | None:
    """The stored bytes that are the card in vCard ``version``, read without parsing:
    the card itself or its alternate; None when only a conversion can tell."""
    if stored_version(data) == version:
        return data
    if (alternate is not None and stored_version(alternate) == version
            and _PRODID_LINE in alternate):
        return alternate
    return None


async def in_version(data: bytes, version: str,
                     read_alternate: Callable[[], Awaitable[bytes | None]] | None = None,
                     work: Work = INLINE) -> bytes:
    """The card in vCard ``version``: stored bytes, else converted now (what
    :func:`convert` returns either way).

    Args:
        data: the stored card.
        version: the version wanted.
        read_alternate: reads the stored alternate; called only when ``data`` is not
            in ``version``.
        work: where a conversion of a large card runs.

    Raises:
        ConversionError: ``supported-address-data-conversion`` (see :func:`convert`).
    """
    if stored_version(data) == version:
        return data
    alternate = None if read_alternate is None else await read_alternate()
    found = stored_in_version(data, alternate, version)
    if found is not None:
        return found
    return await work.sized_process(len(data), convert, data, version)


async def render_for_get(data: bytes, accept: str | None, user_agent: str | None,
                         read_alternate: Callable[[], Awaitable[bytes | None]] | None = None,
                         work: Work = INLINE) -> tuple[bytes, str]:
    """The body and Content-Type a GET returns (RFC 6352 §5.1.1: Accept negotiation).

    Args:
        data: the stored card.
        accept: the Accept header.
        user_agent: the User-Agent header (Apple's clients get vCard 3.0).
        read_alternate: reads the stored alternate; called only when the negotiated
            version is not the stored one.
        work: where a conversion of a large card runs.

    Raises:
        ConversionError: ``supported-address-data-conversion`` when no version is
            acceptable or the conversion fails (answered 406, §5.1.1.1).
    """
    version = negotiated_stored_version(data)
    chosen = negotiate_get(accept, version,
                           prefer="3.0" if takes_only_vcard3(user_agent) else None)
    if chosen.version == version:
        return data, chosen.content_type
    return await in_version(data, chosen.version, read_alternate, work), chosen.content_type
