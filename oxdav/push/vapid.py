"""The server's VAPID key pair (RFC 8292): made on first start, kept in a file.

Every node of one database must sign with the same key, since a push service accepts
messages for a restricted subscription only from the key it was made for: the nodes
share the file (or a copy of it), as they share the TLS certificate.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02, b64urlencode

#: A signature is made anew once less than this is left of its 12 hours.
_RESIGN_BEFORE = 3600
_LIFETIME = 12 * 3600


class VapidKey:
    """One P-256 key pair and the ``Authorization`` headers it signs, kept per push
    service origin until they near their expiry.

    Args:
        vapid: the key (py_vapid).
        subject: the ``sub`` claim: a ``mailto:`` or ``https:`` contact (RFC 8292 §2.1).
    """

    def __init__(self, vapid: Vapid02, subject: str) -> None:
        self._vapid = vapid
        self.subject = subject
        point = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
        #: The public key, uncompressed and base64url (the ``vapid-public-key``).
        self.public_key: str = b64urlencode(point)
        self._signed: dict[str, tuple[float, str]] = {}

    def authorization(self, audience: str, now: float | None = None) -> str:
        """The ``Authorization`` header for a push service at ``audience`` (its origin,
        ``https://host[:port]``), RFC 8292 §3."""
        now = time.time() if now is None else now
        cached = self._signed.get(audience)
        if cached is not None and cached[0] - now > _RESIGN_BEFORE:
            return cached[1]
        expires = int(now) + _LIFETIME
        header = str(self._vapid.sign({"aud": audience, "sub": self.subject,
                                       "exp": expires})["Authorization"])
        if len(self._signed) > 1000:
            self._signed.clear()
        self._signed[audience] = (expires, header)
        return header


def load_or_create(path: Path, subject: str) -> VapidKey:
    """The key in ``path`` (PEM), made there first when the file does not exist.

    A new key is written to a private temporary file and linked into place, so two
    nodes starting at once on a shared file end up with one key. Raises: OSError,
    ValueError (a file that holds no key).
    """
    if not path.exists():
        vapid = Vapid02()
        vapid.generate_keys()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(vapid.private_pem())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another node was first: use its key
        finally:
            temporary.unlink(missing_ok=True)
    try:
        vapid = Vapid02.from_pem(path.read_bytes())
    except Exception as e:  # py_vapid raises several kinds for a bad file
        raise ValueError(f"{path} holds no VAPID private key: {e}") from e
    return VapidKey(vapid, subject)
