"""The local certificate authorities of the emulator's servers, kept per state directory.

Each kind of server that speaks TLS in run-tasks mode has its CA in its own directory of
the state directory: ``<state_dir>/rds/ca.pem`` signs the RDS instances' certificates
(``rds_servers``), ``<state_dir>/cache/ca.pem`` the ElastiCache nodes' (``cache_nodes``).
Two CAs, as in AWS: RDS signs with its own CA (clients are given ``global-bundle.pem``),
while ElastiCache's certificates chain to Amazon's public root, which the images' system
trust stores already hold. A CA is kept across emulator restarts (its key, ``ca.key``, is
readable by its owner only) and renewed when it has less than ``RENEW_BEFORE`` left.

``write_ca_bundle()`` writes a trust bundle: the system's CA certificates followed by local
CAs (what a task gets as ``SSL_CERT_FILE``, see ``ecs_runner``).
"""

from __future__ import annotations

import contextlib
import datetime
import ssl
from pathlib import Path

from .postgres import new_ca, write_certificate, write_private_key

CA_DAYS = 365
RENEW_BEFORE = datetime.timedelta(days=30)


def load_or_make_ca(home: Path, common_name: str, days: int = CA_DAYS):
    """``home``'s CA (``ca.pem``, ``ca.key``) and its key: the one on disk while it has more
    than ``RENEW_BEFORE`` left, else a new one (EC P-256, valid for ``days``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    home.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = home / "ca.pem", home / "ca.key"
    with contextlib.suppress(OSError, ValueError):
        ca = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        left = ca.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
        if left > RENEW_BEFORE and ca.public_key() == key.public_key():
            return ca, key
    ca, key = new_ca(common_name, days=days)
    write_private_key(key_path, key)
    write_certificate(cert_path, ca)
    return ca, key


def system_ca_file() -> Path | None:
    """The system's bundle of CA certificates (OpenSSL's default file, else certifi's)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    with contextlib.suppress(ImportError):
        import certifi

        return Path(certifi.where())
    return None


def write_ca_bundle(path: Path, ca_files: list[Path]) -> Path:
    """Write ``path``: the system's CA certificates, then those of ``ca_files`` (PEM)."""
    parts = []
    system = system_ca_file()
    if system is not None:
        parts.append(system.read_text(encoding="ascii", errors="replace").rstrip("\n") + "\n")
    parts += [Path(ca).read_text(encoding="ascii").rstrip("\n") + "\n" for ca in ca_files]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(parts), encoding="ascii")
    tmp.replace(path)
    return path
