"""The STS-Token rule (数据敏感类接口票据), as an option of the emulator.

When `required`, `GET /v1/addresses/{id}` and `GET /v1/records/transcripts/details` need a valid
`STS-Token` request header. Tokens are issued by the test (`issue`), which also rotates them (a
new token invalidates the previous one: whether Tencent keeps the old one alive is unknown, and
the strict reading is the one to test against) and expires them.

Assumed, not documented by Tencent: the error code and message of a missing or invalid token
(`E_STS_TOKEN`, HTTP 400), and `expire_ts` in Unix seconds.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.emulator.tencent.answers import Rejection

E_STS_TOKEN = 190320  # assumed: the real code is unpublished
STS_HEADER = "STS-Token"
STS_EVENT = "common.sts-token"
DEFAULT_LIFETIME = 24 * 3600  # seconds (the [3P] request API offers 6, 12 or 24 hours)


@dataclass(frozen=True)
class StsToken:
    token: str
    req_id: str
    expire_ts: int  # Unix seconds (assumed unit)


class StsRule:
    """Which STS token is valid now, and whether the sensitive endpoints require one."""

    def __init__(self, required: bool = False):
        self.required = required
        self._current: StsToken | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> StsToken | None:
        with self._lock:
            return self._current

    def issue(self, now: float, lifetime: float = DEFAULT_LIFETIME) -> StsToken:
        """A new token valid for `lifetime` s from `now`; the previous one stops working."""
        token = StsToken(secrets.token_urlsafe(24), uuid.uuid4().hex[:12], int(now + lifetime))
        with self._lock:
            self._current = token
        return token

    def expire(self) -> None:
        """The current token stops working (as if its time had run out)."""
        with self._lock:
            if self._current is not None:
                self._current = StsToken(self._current.token, self._current.req_id, 0)

    def check(self, header: str | None, now: float) -> Rejection | None:
        """None when the call may go on; else the rejection Tencent answers (assumed)."""
        if not self.required:
            return None
        if not header:
            return Rejection(E_STS_TOKEN, "STS-Token is required for this API (header missing)")
        with self._lock:
            current = self._current
        if current is None or not secrets.compare_digest(header, current.token):
            return Rejection(E_STS_TOKEN, "STS-Token is invalid")
        if current.expire_ts <= now:
            return Rejection(E_STS_TOKEN, "STS-Token has expired")
        return None


def sts_token_event(
    token: StsToken, now: float, operator: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The `common.sts-token` webhook event announcing `token` (official example's shape)."""
    return {
        "event": STS_EVENT,
        "trace_id": str(uuid.uuid4()),
        "payload": [
            {
                "operate_time": int(now * 1000),
                "operator": dict(operator or {"userid": "admin", "user_name": "admin"}),
                "token_info": {
                    "req_id": token.req_id,
                    "sts_token": token.token,
                    "expire_ts": token.expire_ts,
                },
            }
        ],
    }
