"""This instance's bundle keys and its peers' public keys (issue 19.2).

Each instance holds two private keys in ``BUNDLE_DIR/keys`` (files 0600, never
in the database): an Ed25519 key that signs what it sends (bundles from a
county, acknowledgements from the province) and an age X25519 identity that
opens what is encrypted to it. Public keys travel as a small JSON file
(`public_file`) that the other side registers (`Peer`). Rotation writes a new
key pair and keeps the old ones, so earlier bundles and receipts still open
and verify; the new public file must be sent to the peers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from pyrage import x25519

from pims.lib import clock
from pims.lib.errors import Invalid, Unavailable
from pims.lib.private_files import create_private, write_private_text

from . import errors

PUBLIC_FORMAT = "pims-bundle-public-key"


def key_dir() -> Path:
    return Path(settings.BUNDLE_DIR) / "keys"


@dataclass(frozen=True)
class KeyPair:
    key_id: str
    signing: Ed25519PrivateKey
    identity: x25519.Identity

    @property
    def signing_public(self) -> str:
        raw = self.signing.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    @property
    def recipient(self) -> str:
        return str(self.identity.to_public())


def instance_id() -> str:
    """This instance's lasting identifier (written once, at `init`)."""
    path = key_dir() / "instance.json"
    if not path.exists():
        raise Unavailable(errors.NO_KEYS)
    return json.loads(path.read_text())["instance_id"]


def _write_pair(directory: Path) -> KeyPair:
    signing = Ed25519PrivateKey.generate()
    identity = x25519.Identity.generate()
    raw = signing.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = hashlib.sha256(raw).hexdigest()[:16]
    pem = signing.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with create_private(directory / f"signing-{key_id}.pem") as f:
        f.write(pem)
    with create_private(directory / f"age-{key_id}.txt") as f:
        f.write(f"{identity}\n".encode())
    write_private_text(directory / "current", key_id)
    return KeyPair(key_id, signing, identity)


def init() -> KeyPair:
    directory = key_dir()
    if (directory / "current").exists():
        raise Invalid(errors.KEYS_EXIST)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    with create_private(directory / "instance.json") as f:
        f.write(json.dumps({"instance_id": str(uuid.uuid4()), "created": clock.now().isoformat()}).encode())
    return _write_pair(directory)


def rotate() -> KeyPair:
    current()  # refuses when there is nothing to rotate
    return _write_pair(key_dir())


def _load(key_id: str) -> KeyPair:
    directory = key_dir()
    signing = serialization.load_pem_private_key((directory / f"signing-{key_id}.pem").read_bytes(), password=None)
    assert isinstance(signing, Ed25519PrivateKey)
    identity = x25519.Identity.from_str((directory / f"age-{key_id}.txt").read_text().strip())
    return KeyPair(key_id, signing, identity)


def current() -> KeyPair:
    path = key_dir() / "current"
    if not path.exists():
        raise Unavailable(errors.NO_KEYS)
    return _load(path.read_text().strip())


def all_identities() -> list[x25519.Identity]:
    """Every age identity this instance ever had (a bundle sealed to an older key still opens)."""
    return [_load(p.name[len("age-") : -len(".txt")]).identity for p in sorted(key_dir().glob("age-*.txt"))]


def public_file(*, tier: str, county_code: str = "") -> dict:
    pair = current()
    return {
        "format": PUBLIC_FORMAT,
        "instance_id": instance_id(),
        "tier": tier,
        "county_code": county_code,
        "key_id": pair.key_id,
        "signing_public": pair.signing_public,
        "recipient": pair.recipient,
        "created": clock.now().isoformat(),
    }


def parse_public_file(name: str, text: str) -> dict:
    """The fields of a peer's public file, checked (the keys must load)."""
    try:
        data = json.loads(text)
        if data.get("format") != PUBLIC_FORMAT or data.get("tier") not in ("county", "province"):
            raise ValueError("not a public key file of this system")
        verifier(data["signing_public"])
        x25519.Recipient.from_str(data["recipient"])
        for key in ("instance_id", "key_id"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ValueError(f"{key} missing")
    except (ValueError, KeyError, TypeError, Exception) as exc:  # pyrage raises its own errors
        raise Invalid(errors.PEER_FILE_BAD, name=name, detail=str(exc)[:200]) from None
    return data


def verifier(signing_public: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(signing_public, validate=True))


def sign(data: bytes) -> tuple[str, str]:
    """(key id, base64 signature) by this instance's current key."""
    pair = current()
    return pair.key_id, base64.b64encode(pair.signing.sign(data)).decode()


def verify(signing_public: str, data: bytes, signature: str) -> bool:
    try:
        verifier(signing_public).verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
