"""A self-signed development certificate, so ``./dev run`` serves HTTPS at once.

Generated with ``cryptography`` (already required by pyOpenSSL): ECDSA P-256, valid
for about a year, for ``localhost``, ``127.0.0.1``, ``::1`` and the machine's host
name. Files are only ever created, never replaced: an existing certificate or key
is left alone.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from twisted.logger import Logger

__all__ = ["default_dev_names", "ensure_dev_certificate", "generate_dev_certificate"]

log = Logger()

VALIDITY = datetime.timedelta(days=365)


def default_dev_names() -> list[str]:
    """``localhost``, the loopback addresses and this machine's host name."""
    names = ["localhost", "127.0.0.1", "::1"]
    hostname = socket.gethostname()
    if hostname and hostname not in names:
        names.append(hostname)
    return names


def _subject_alternative_names(names: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def generate_dev_certificate(
    names: Sequence[str], now: datetime.datetime | None = None
) -> tuple[bytes, bytes]:
    """Create a self-signed server certificate and its key.

    Args:
        names: host names and IP literals; the first is the subject's common name.
        now: the start of validity (tests); the current time by default.

    Returns:
        ``(certificate_pem, private_key_pem)``; the key is unencrypted PKCS#8.
    """
    now = now or datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "oxdav development"),
            x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(_subject_alternative_names(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a temporary file beside ``path``, then link it into place.

    ``os.link`` fails if ``path`` appeared meanwhile, so nothing is overwritten.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    finally:
        os.unlink(tmp)


def ensure_dev_certificate(
    cert_path: str | Path, key_path: str | Path, names: Sequence[str] | None = None
) -> bool:
    """Create a development certificate and key when neither file exists yet.

    Args:
        cert_path: where the PEM certificate goes (mode 0644).
        key_path: where the PEM private key goes (mode 0600).
        names: subject alternative names; :func:`default_dev_names` by default.

    Returns:
        True if the files were generated, False if either already existed (then
        nothing is touched; a lone certificate or key is for TLS loading to report).
    """
    cert_path, key_path = Path(cert_path), Path(key_path)
    if cert_path.exists() or key_path.exists():
        return False
    names = list(names) if names else default_dev_names()
    certificate_pem, key_pem = generate_dev_certificate(names)
    for path in (cert_path, key_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    _write_new_file(key_path, key_pem, 0o600)
    _write_new_file(cert_path, certificate_pem, 0o644)
    log.warn(
        "Generated a self-signed development certificate {cert} for {names}; "
        "clients will not trust it",
        cert=str(cert_path),
        names=", ".join(names),
    )
    return True
