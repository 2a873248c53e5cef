"""The repo's keystore: one private key per file under ``<repo>/keystore``, Lotus's on-disk format.

Lotus counterpart: ``node/repo/fsrepo.go`` (``diskKeyStore``) and ``chain/types/keystore.go``
(``KeyInfo``); reference/lotus-miner.md §2.1.

Format, kept byte-compatible with Lotus so a key can move between the two:

* the directory is mode 0700, each file 0600;
* a file's name is the key name in base32 (RFC 4648 alphabet, upper case, no padding):
  ``auth-jwt-private`` → ``MF2XI2BNNJ3XILLQOJUXMYLUMU``, ``libp2p-host`` → ``NRUWE4BSOAWWQ33TOQ``.
  base32 makes any name a safe file name (no ``/``, no ``..``), and since it encodes bytes in
  upper case only, names that differ in case stay distinct on case-insensitive filesystems;
* the content is JSON ``{"Type": "<type>", "PrivateKey": "<base64>"}``.

Keys are never overwritten (:class:`~pylotus.repo.errors.KeyExists`): a lost JWT secret
invalidates every token handed out, a lost libp2p key changes the miner's peer ID on chain.
A key file that group or others may read is refused, as Lotus refuses it, rather than silently
tightened: the operator should learn that the secret may have leaked.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import json
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import final

from .errors import KeyExists, KeyNotFound, KeyPermissionsTooRelaxed, KeystoreError
from .files import create_exclusive, os_errors

__all__ = ["KeyInfo", "Keystore", "key_file_name"]

log = logging.getLogger(__name__)

KEYSTORE_DIR_MODE = 0o700
KEY_FILE_MODE = 0o600
_GROUP_OTHER_BITS = 0o077  # Lotus: `fstat.Mode()&0077 != 0` refuses the key


@dataclass(frozen=True)
class KeyInfo:
    """A private key and its type (``jwt-hmac-secret``, ``libp2p-host``, ``bls``, ``secp256k1``).

    ``private_key`` is left out of ``repr`` so a logged ``KeyInfo`` leaks nothing.
    """

    type: str
    private_key: bytes = field(repr=False)

    def to_json(self) -> bytes:
        """Lotus's encoding: ``{"Type": …, "PrivateKey": <standard base64>}``."""
        return json.dumps(
            {"Type": self.type, "PrivateKey": base64.b64encode(self.private_key).decode("ascii")}
        ).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> KeyInfo:
        """Decode :meth:`to_json`'s output (or a Lotus key file).

        Raises:
            KeystoreError: not JSON, a field missing or of the wrong type, or bad base64.
        """
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise KeystoreError(f"key info is not valid json: {exc}") from exc
        if not isinstance(doc, dict):
            raise KeystoreError("key info is not a json object")
        key_type, encoded = doc.get("Type"), doc.get("PrivateKey")
        if not isinstance(key_type, str) or not isinstance(encoded, str):
            raise KeystoreError("key info needs string fields 'Type' and 'PrivateKey'")
        try:
            private_key = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise KeystoreError(f"key info 'PrivateKey' is not base64: {exc}") from exc
        return cls(type=key_type, private_key=private_key)


def key_file_name(name: str) -> str:
    """The file name Lotus uses for key ``name``: base32, upper case, no padding."""
    return base64.b32encode(name.encode("utf-8")).decode("ascii").rstrip("=")


def _key_name(file_name: str) -> str:
    padded = file_name + "=" * (-len(file_name) % 8)
    return base64.b32decode(padded, casefold=False).decode("utf-8")


@final
class Keystore:
    """The keys of one repo; every call goes to disk, there is no cache to go stale.

    Not meant to be shared between processes that write the same name at once; the repo lock
    already guarantees one writer per repo.  Calls block on small file I/O only.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Keystore({str(self.path)!r})"

    def _file(self, name: str) -> Path:
        if not name:
            raise ValueError("key name must not be empty")
        return self.path / key_file_name(name)

    # builtins.list: inside the class body, a bare `list` would name this method for type checkers.
    def list(self) -> builtins.list[str]:
        """The names of all keys, sorted.

        Raises:
            KeystoreError: a file whose name is not base32 of a UTF-8 name (not a key we wrote).
            RepoError: the directory cannot be read.
        """
        with os_errors("list keystore", self.path):
            entries = sorted(entry.name for entry in os.scandir(self.path))
        names = []
        for entry in entries:
            if entry.startswith("."):  # in-flight temporary files of put()
                continue
            try:
                names.append(_key_name(entry))
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise KeystoreError(
                    f"keystore file '{self.path / entry}' is not a base32 key name; "
                    "move it out of the keystore"
                ) from exc
        return sorted(names)

    def has(self, name: str) -> bool:
        """Whether a key called ``name`` exists (its permissions are not checked)."""
        with os_errors("check key file", self.path):
            return self._file(name).exists()

    def get(self, name: str) -> KeyInfo:
        """The key called ``name``.

        Raises:
            KeyNotFound: no such key.
            KeyPermissionsTooRelaxed: the file has any group or other permission bit.
            KeystoreError: the file is not a key (message names the file).
        """
        path = self._file(name)
        with os_errors("read key file", path):
            try:
                mode = stat.S_IMODE(path.stat().st_mode)
            except FileNotFoundError as exc:
                raise KeyNotFound(name) from exc
            if mode & _GROUP_OTHER_BITS:
                raise KeyPermissionsTooRelaxed(name, mode)
            data = path.read_bytes()
        try:
            return KeyInfo.from_json(data)
        except KeystoreError as exc:
            raise KeystoreError(
                f"key file '{path}' for key '{name}' is corrupt: {exc}; restore it from a backup"
            ) from exc

    def put(self, name: str, info: KeyInfo) -> None:
        """Store ``info`` as ``name``; mode 0600 from creation, fsynced, never half-written.

        Raises:
            KeyExists: a key called ``name`` is already stored (it is left untouched).
            RepoError: the keystore directory is missing or not writable.
        """
        path = self._file(name)
        if not create_exclusive(path, info.to_json(), mode=KEY_FILE_MODE):
            raise KeyExists(name)
        log.info("key stored name=%s type=%s", name, info.type)

    def delete(self, name: str) -> None:
        """Remove the key called ``name``.

        Raises:
            KeyNotFound: no such key.
        """
        path = self._file(name)
        with os_errors("delete key file", path):
            try:
                path.unlink()
            except FileNotFoundError as exc:
                raise KeyNotFound(name) from exc
        log.info("key deleted name=%s", name)
