"""Value kinds (oxdav.config.kinds)."""

from __future__ import annotations

import pytest

from oxdav.config import kinds


@pytest.mark.parametrize(("text", "seconds"), [("90", 90.0), ("5m", 300.0), ("24h", 86400.0),
                                               ("30d", 2592000.0), ("250ms", 0.25)])
def test_duration_accepts_every_unit(text: str, seconds: float) -> None:
    assert kinds.DURATION.parse(text) == seconds


def test_duration_refuses_unknown_units() -> None:
    with pytest.raises(ValueError):
        kinds.DURATION.parse("3w")
