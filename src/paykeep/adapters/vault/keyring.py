"""Envelope keys: versioned data keys per purpose, AES-256-GCM-wrapped by the master key
kept outside the DB."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import stat
import struct
import threading
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import inspect, select, update

from paykeep.adapters.db.engine import Database
from paykeep.adapters.db.tables.foundation import secret_keys

# Purposes whose key never rotates (their outputs are stored and looked up by value).
FIXED_PURPOSES = ("lookup", "fingerprint")
ROTATING_PURPOSES = ("data",)


class MasterKeyError(RuntimeError):
    """The master key is missing, malformed, or not the one the database was initialised with."""


def generate_master_key() -> bytes:
    return secrets.token_bytes(32)


def encode_master_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_master_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise MasterKeyError("the master key is not valid base64") from exc
    if len(key) != 32:
        raise MasterKeyError("the master key must be 32 bytes (base64-encoded)")
    return key


def write_key_file(path: Path, key: bytes) -> None:
    """Create the key file with mode 0600 (never overwrites; the mode is set again in case of a umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(encode_master_key(key) + "\n")


STRICT_KEY_FILE_ENV = "PAYKEEP_STRICT_KEY_FILE"  # "1": refuse a key file others may read (docs/deployment.md)


def read_key_file(path: Path) -> bytes:
    """The master key from its file. A file that group or others may read or write is a warning on stderr,
    or, with PAYKEEP_STRICT_KEY_FILE=1 (what a live deployment should set), a MasterKeyError."""
    try:
        with path.open() as fh:
            mode = os.fstat(fh.fileno()).st_mode
            text = fh.read()
    except FileNotFoundError as exc:
        raise MasterKeyError(f"key file {path} not found (set PAYKEEP_MASTER_KEY or --key-file)") from exc
    if mode & 0o077:
        problem = (f"key file {path} is readable by others (mode {stat.S_IMODE(mode):04o}); "
                   f"make it private: chmod 600 {path}")
        if os.environ.get(STRICT_KEY_FILE_ENV, "") == "1":
            raise MasterKeyError(problem)
        logging.getLogger("paykeep.vault").warning(problem)
    return decode_master_key(text)


def master_key_id(key: bytes) -> str:
    return hashlib.sha256(b"paykeep-master-key-id:" + key).hexdigest()[:16]


def keys_stored(db: Database) -> bool:
    """Whether the database already holds wrapped keys (then a missing master key is an error, not a first
    run)."""
    if not inspect(db.engine).has_table("secret_keys"):
        return False
    with db.begin(write=False) as conn:
        return conn.execute(select(secret_keys.c.purpose).limit(1)).first() is not None


class Keyring:
    """Unwrapped data keys in memory; the database only ever holds them wrapped."""

    def __init__(self, db: Database, master_key: bytes) -> None:
        self._db = db
        self._master = master_key
        self._master_id = master_key_id(master_key)
        self._keys: dict[tuple[str, int], bytes] = {}
        self._lock = threading.Lock()

    # -- wrapping ---------------------------------------------------------------------------------
    @staticmethod
    def _wrap(master: bytes, purpose: str, version: int, key: bytes) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + AESGCM(master).encrypt(nonce, key, f"{purpose}:{version}".encode())

    @staticmethod
    def _unwrap(master: bytes, purpose: str, version: int, blob: bytes) -> bytes:
        try:
            return AESGCM(master).decrypt(blob[:12], blob[12:], f"{purpose}:{version}".encode())
        except InvalidTag as exc:
            raise MasterKeyError("the master key does not match this database") from exc

    # -- loading ----------------------------------------------------------------------------------
    def load(self) -> None:
        with self._db.begin(write=False) as conn:
            rows = conn.execute(select(secret_keys)).mappings().all()
        keys = {
            (r["purpose"], r["version"]): self._unwrap(self._master, r["purpose"], r["version"], r["wrapped"])
            for r in rows
        }
        with self._lock:
            self._keys = keys

    def is_initialised(self) -> bool:
        with self._db.begin(write=False) as conn:
            return conn.execute(select(secret_keys.c.purpose).limit(1)).first() is not None

    def ensure(self) -> None:
        """Create version 1 of every purpose that has no key yet."""
        with self._db.begin(write=True) as conn:
            have = {r[0] for r in conn.execute(select(secret_keys.c.purpose)).all()}
            for purpose in FIXED_PURPOSES + ROTATING_PURPOSES:
                if purpose not in have:
                    self._insert(conn, purpose, 1)
        self.load()

    def _insert(self, conn: object, purpose: str, version: int) -> None:
        key = secrets.token_bytes(32)
        conn.execute(  # type: ignore[attr-defined]
            secret_keys.insert().values(
                purpose=purpose,
                version=version,
                wrapped=self._wrap(self._master, purpose, version, key),
                master_key_id=self._master_id,
                created=int(time.time() * 1000),
            )
        )

    # -- rotation ---------------------------------------------------------------------------------
    def rotate(self, purpose: str = "data") -> int:
        """New version of a rotating key; old versions stay to decrypt old ciphertexts."""
        if purpose not in ROTATING_PURPOSES:
            raise ValueError(f"the {purpose!r} key does not rotate")
        with self._db.begin(write=True) as conn:
            versions = [r[0] for r in conn.execute(
                select(secret_keys.c.version).where(secret_keys.c.purpose == purpose)).all()]
            version = max(versions, default=0) + 1
            self._insert(conn, purpose, version)
        self.load()
        return version

    def rewrap(self, new_master: bytes) -> int:
        """Re-wrap every data key under a new master key; ciphertexts are untouched."""
        with self._db.begin(write=True) as conn:
            rows = conn.execute(select(secret_keys)).mappings().all()
            for r in rows:
                key = self._unwrap(self._master, r["purpose"], r["version"], r["wrapped"])
                conn.execute(
                    update(secret_keys)
                    .where(secret_keys.c.purpose == r["purpose"], secret_keys.c.version == r["version"])
                    .values(wrapped=self._wrap(new_master, r["purpose"], r["version"], key),
                            master_key_id=master_key_id(new_master))
                )
        self._master = new_master
        self._master_id = master_key_id(new_master)
        self.load()
        return len(rows)

    # -- use --------------------------------------------------------------------------------------
    def key(self, purpose: str, version: int) -> bytes:
        try:
            return self._keys[(purpose, version)]
        except KeyError:
            self.load()  # another process may have rotated
            return self._keys[(purpose, version)]

    def current_version(self, purpose: str) -> int:
        return max(v for (p, v) in self._keys if p == purpose)

    def keyed_hash(self, purpose: str, data: bytes) -> str:
        return hmac.new(self.key(purpose, 1), data, hashlib.sha256).hexdigest()

    def seal(self, plaintext: bytes, aad: bytes, purpose: str = "data") -> bytes:
        """version (4 bytes) | nonce (12) | AES-GCM ciphertext+tag."""
        version = self.current_version(purpose)
        nonce = secrets.token_bytes(12)
        return (
            struct.pack(">I", version)
            + nonce
            + AESGCM(self.key(purpose, version)).encrypt(nonce, plaintext, aad)
        )

    def open(self, blob: bytes, aad: bytes, purpose: str = "data") -> bytes:
        (version,) = struct.unpack(">I", blob[:4])
        return AESGCM(self.key(purpose, version)).decrypt(blob[4:16], blob[16:], aad)

    @staticmethod
    def version_of(blob: bytes) -> int:
        return int(struct.unpack(">I", blob[:4])[0])
