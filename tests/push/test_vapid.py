"""The VAPID key: made once, private, shared by whoever opens the same file."""

from __future__ import annotations

import json
import stat
from base64 import urlsafe_b64decode

import pytest

from oxdav.push.vapid import load_or_create


def test_the_key_is_made_on_first_start_and_kept(tmp_path) -> None:
    path = tmp_path / "state" / "push-vapid.pem"
    first = load_or_create(path, "mailto:ops@example.org")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path, "mailto:ops@example.org").public_key == first.public_key
    assert len(urlsafe_b64decode(first.public_key + "==")) == 65
    assert list(tmp_path.joinpath("state").iterdir()) == [path]


def test_a_file_that_holds_no_key_is_an_error(tmp_path) -> None:
    path = tmp_path / "push-vapid.pem"
    path.write_text("not a key")
    with pytest.raises(ValueError, match="no VAPID private key"):
        load_or_create(path, "mailto:ops@example.org")


def test_the_signature_names_the_push_service_and_is_reused(tmp_path) -> None:
    key = load_or_create(tmp_path / "k.pem", "mailto:ops@example.org")
    header = key.authorization("https://push.example", now=1_000_000)
    scheme, _, params = header.partition(" ")
    fields = dict(p.split("=", 1) for p in params.split(","))
    assert scheme == "vapid" and fields["k"] == key.public_key
    claims = json.loads(urlsafe_b64decode(fields["t"].split(".")[1] + "=="))
    assert claims == {"aud": "https://push.example", "sub": "mailto:ops@example.org",
                      "exp": 1_000_000 + 12 * 3600}
    assert key.authorization("https://push.example", now=1_000_100) == header
    assert key.authorization("https://push.example", now=1_000_000 + 11 * 3600) != header
