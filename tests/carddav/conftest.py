"""Fixtures for the CardDAV tests: the vCard corpus in tests/data/vcard/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from oxdav.carddav.errors import ERROR_RESPONSES
from oxdav.dav.errors import DAVError, ErrorMapper

CORPUS_DIR = Path(__file__).resolve().parent.parent / "data" / "vcard"
#: Every realistic card of the corpus, by file name.
CORPUS = sorted(p.name for p in CORPUS_DIR.glob("*.vcf"))


@pytest.fixture
def corpus_card() -> Callable[[str], bytes]:
    """Read a corpus card's bytes by file name."""

    def read(name: str) -> bytes:
        return (CORPUS_DIR / name).read_bytes()

    return read


#: The RFC 6352 example cards (§8.6, §8.7) and request bodies.
RFC_DIR = CORPUS_DIR / "rfc6352"


def answered(error: Exception) -> DAVError:
    """The response the error map gives ``error`` (CardDAV's ERROR_RESPONSES)."""
    mapper = ErrorMapper()
    mapper.register_all(ERROR_RESPONSES)
    dav_error = mapper.to_dav_error(error)
    assert dav_error is not None
    return dav_error
