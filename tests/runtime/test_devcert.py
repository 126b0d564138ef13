"""oxdav.devcert: a usable self-signed pair, written once, key private."""

from __future__ import annotations

import ipaddress
import stat

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from oxdav.devcert import default_dev_names, ensure_dev_certificate
from oxdav.tls import load_certificate_options


def test_generated_pair_loads_as_tls_options(tmp_path):
    cert, key = tmp_path / "tls" / "dev.crt", tmp_path / "tls" / "dev.key"
    assert ensure_dev_certificate(cert, key) is True
    load_certificate_options(cert, key)  # raises if unusable or mismatched


def test_key_is_written_with_mode_0600(tmp_path):
    cert, key = tmp_path / "dev.crt", tmp_path / "dev.key"
    ensure_dev_certificate(cert, key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_certificate_is_ecdsa_p256_for_localhost_and_loopback(tmp_path):
    cert, key = tmp_path / "dev.crt", tmp_path / "dev.key"
    ensure_dev_certificate(cert, key)
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    public_key = certificate.public_key()
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")} <= set(
        san.get_values_for_type(x509.IPAddress)
    )


def test_certificate_is_valid_for_about_a_year(tmp_path):
    cert, key = tmp_path / "dev.crt", tmp_path / "dev.key"
    ensure_dev_certificate(cert, key)
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert 360 <= lifetime.days <= 367


def test_existing_files_are_left_alone(tmp_path):
    cert, key = tmp_path / "dev.crt", tmp_path / "dev.key"
    cert.write_text("mine\n")
    assert ensure_dev_certificate(cert, key) is False
    assert cert.read_text() == "mine\n"
    assert not key.exists()


def test_no_temporary_files_are_left_behind(tmp_path):
    ensure_dev_certificate(tmp_path / "dev.crt", tmp_path / "dev.key")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.crt", "dev.key"]


def test_default_names_include_the_host_name():
    import socket

    assert socket.gethostname() in default_dev_names()
