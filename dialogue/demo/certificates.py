"""Signing certificates made for the demo and the tests: never for a real ward.

A real deployment signs with the certificate the Government's certification authority (Ban
Cơ yếu Chính phủ) issued to the ward. The demo cannot: it makes its own authority, which no
reader trusts unless told to, and a certificate for each ward under it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from dialogue.core.db import utcnow

DEMO_CA_NAME = "Dialogue - CA thử nghiệm (không có giá trị pháp lý)"
# Where ``seed-demo`` puts them, under the instance folder; dialogue.config looks there.
DEMO_DIRECTORY = "demo-signing"
PASSPHRASE_FILE = "passphrase"


@dataclass(frozen=True)
class Authority:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_authority(name: str = DEMO_CA_NAME, *, years: int = 10) -> Authority:
    """A self-signed certification authority."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = utcnow()
    subject = _name(name, "Dialogue")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(key=key, certificate=certificate)


def make_ward_keystore(
    authority: Authority,
    common_name: str,
    organisation: str,
    *,
    passphrase: str,
    days: int = 3 * 365,
    valid_from=None,
) -> bytes:
    """A PKCS#12 file: the ward's key, its signing certificate, and the authority's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = valid_from or utcnow() - timedelta(days=1)
    issuer = authority.certificate
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
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
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(
        name=common_name.encode("utf-8"),
        key=key,
        cert=certificate,
        cas=[issuer],
        encryption_algorithm=encryption,
    )


def ward_signer_names(full_name: str) -> tuple[str, str]:
    """The common name and organisation of a ward's certificate: its People's Committee."""
    agency = f"Ủy ban nhân dân {full_name}"
    return agency, agency


def write_demo_keystores(directory: Path, wards: list[tuple[str, str]]) -> str:
    """Make an authority and a PKCS#12 file per ward (slug, full name); return the passphrase.

    The authority's key is thrown away once the wards' certificates are made: nothing else
    is ever issued under it. Its certificate stays, for whoever wants to trust the demo.
    """
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    passphrase_file = directory / PASSPHRASE_FILE
    if passphrase_file.is_file():
        passphrase = passphrase_file.read_text().strip()
    else:
        passphrase = secrets.token_urlsafe(18)
        passphrase_file.write_text(passphrase + "\n")
        passphrase_file.chmod(0o600)
    authority = make_authority()
    (directory / "demo-ca.pem").write_bytes(authority.pem)
    for slug, full_name in wards:
        target = directory / f"{slug}.p12"
        common_name, organisation = ward_signer_names(full_name)
        target.write_bytes(
            make_ward_keystore(authority, common_name, organisation, passphrase=passphrase)
        )
        target.chmod(0o600)
    return passphrase
