"""Meeting passwords at rest: encrypted with PASSWORD_KEY, or not kept at all.

The key is any string of 16+ characters; the Fernet key (AES-128-CBC + HMAC-SHA256) is derived
from it with HKDF-SHA256 (fixed salt and info below), so a rotated PASSWORD_KEY simply makes the
old values unreadable. A stored value is `enc1:` + a Fernet token. Without a key, `seal` keeps
nothing; a value that cannot be opened (another key, a damaged row) reads as absent, and the
caller fetches the password fresh. Neither a password nor a key is ever logged.
"""

from __future__ import annotations

import base64
import logging
import threading
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

PREFIX = "enc1:"
_SALT = b"recordings-bot/record_files.password"
_INFO = b"fernet key v1"

if TYPE_CHECKING:
    from bot.store import Db


def fernet_from(key: str) -> Fernet:
    """The Fernet derived from PASSWORD_KEY (HKDF-SHA256, 32 bytes)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        key.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(raw))


class PasswordBox:
    """Seals passwords for the store and opens them again (`key` None or "": keeps none)."""

    def __init__(self, key: str | None = None):
        self._fernet = fernet_from(key) if key else None
        self._warned = False
        self._lock = threading.Lock()

    @property
    def keeps(self) -> bool:
        """Whether passwords are stored at all (a PASSWORD_KEY is set)."""
        return self._fernet is not None

    def seal(self, password: str | None) -> str | None:
        """The value to store for `password`: encrypted, or None (no key, no password)."""
        if not password or self._fernet is None:
            return None
        return PREFIX + self._fernet.encrypt(password.encode("utf-8")).decode("ascii")

    def open(self, stored: str | None) -> str | None:
        """The password a stored value holds; None when there is none or it cannot be read
        (then one warning, without the value, the first time)."""
        if not stored:
            return None
        if self._fernet is None or not stored.startswith(PREFIX):
            self._warn("no PASSWORD_KEY is set" if self._fernet is None else "not encrypted")
            return None
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            self._warn("PASSWORD_KEY changed, or the value is damaged")
            return None

    def _warn(self, why: str) -> None:
        with self._lock:
            if self._warned:
                return
            self._warned = True
        log.warning(
            "a stored meeting password could not be read (%s): it is fetched fresh when needed",
            why,
        )

    @staticmethod
    def is_sealed(stored: str) -> bool:
        return stored.startswith(PREFIX)


def seal_plaintext(conn: Db, box: PasswordBox) -> int:
    """The startup step for rows written before passwords were encrypted (SQL cannot encrypt):
    each plaintext password is encrypted when a key is set, cleared when not. Idempotent;
    returns how many rows it changed. Runs in the caller's transaction."""
    rows = conn.execute(
        "SELECT record_file_id, password FROM record_files "
        "WHERE password IS NOT NULL AND substr(password, 1, ?) != ?",
        (len(PREFIX), PREFIX),
    ).fetchall()
    if rows:
        conn.executemany(
            "UPDATE record_files SET password = ?, has_password = 1 WHERE record_file_id = ?",
            [(box.seal(password), file_id) for file_id, password in rows],
        )
    return len(rows)
