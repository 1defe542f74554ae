"""Request verification, as Tencent does it: AppId / X-TC-Key / SdkId, a timestamp within 5
minutes, no replayed timestamp + nonce, and the HMAC signature over the raw path + query."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from typing import Any

from bot.emulator.tencent.answers import (
    E_REPLAY,
    E_SIGNATURE,
    E_TIMESTAMP,
    E_UNKNOWN_APP,
    Rejection,
)
from bot.tencent.signing import Credentials, sign, string_to_sign

MAX_SKEW = 300.0  # seconds a timestamp may be off, and how long a nonce is remembered


class ReplayGuard:
    """Remembers (app, timestamp, nonce) for 5 minutes; thread-safe."""

    def __init__(self, window: float = MAX_SKEW):
        self.window = window
        self._seen: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, key: tuple[str, str, str], now: float) -> bool:
        """True the first time `key` is seen within the window (and remember it)."""
        with self._lock:
            if len(self._seen) > 1000:
                self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
            expiry = self._seen.get(key)
            if expiry is not None and expiry > now:
                return False
            self._seen[key] = now + self.window
            return True


def header_lookup(headers: Mapping[str, str] | Any) -> Callable[[str], str | None]:
    """A case-insensitive getter over request headers."""
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    return lambda name: lowered.get(name.lower())


def check_request(
    method: str,
    uri: str,
    headers: Mapping[str, str] | Any,
    body: str,
    *,
    credentials: Credentials,
    now: float,
    replays: ReplayGuard | None = None,
) -> Rejection | None:
    """Verify a request as Tencent does; None when it passes.

    `uri` is the raw path plus query string exactly as received; `now` is the server's
    (real) clock. With `replays`, a (timestamp, nonce) pair is accepted once per 5 minutes.
    """
    get = header_lookup(headers)
    app_id, secret_id, sdk_id = get("AppId"), get("X-TC-Key"), get("SdkId") or ""
    if app_id != credentials.app_id or secret_id != credentials.secret_id:
        return Rejection(E_UNKNOWN_APP, "unknown AppId or X-TC-Key")
    if sdk_id != credentials.sdk_id:
        return Rejection(E_UNKNOWN_APP, "unknown SdkId")
    timestamp = get("X-TC-Timestamp") or ""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return Rejection(E_TIMESTAMP, "X-TC-Timestamp is missing or not a number")
    if abs(now - int(timestamp)) > MAX_SKEW:
        return Rejection(E_TIMESTAMP, "X-TC-Timestamp is more than 5 minutes off")
    nonce = get("X-TC-Nonce") or ""
    signature = get("X-TC-Signature") or ""
    if not (nonce.isascii() and nonce.isdigit()) or not signature:
        return Rejection(E_SIGNATURE, "X-TC-Nonce or X-TC-Signature is missing")
    expected = sign(
        credentials.secret_key,
        string_to_sign(method, secret_id, nonce, timestamp, uri, body),
    )
    if not secrets.compare_digest(expected.encode(), signature.encode()):
        return Rejection(E_SIGNATURE, "signature verification failed")
    if replays is not None and not replays.first_use((app_id, timestamp, nonce), now):
        return Rejection(E_REPLAY, "replayed request: timestamp and nonce already used")
    return None
