"""The app's current STS-Token (Tencent's ticket for its "data-sensitive" endpoints), shared by
every process on the database. It arrives in a `common.sts-token` webhook event; the client asks
for it on each call to an endpoint under the rule. The token itself never leaves this module in
a log or in `info()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store import Store

KEY = "tencent.sts_token"
EXPIRY_MARGIN = 300.0  # seconds: a token this close to its end is no longer sent


@dataclass(frozen=True)
class StsTokenState:
    """What `status` may show about the token (never the token)."""

    received_at: float
    expires_at: float | None
    usable: bool


class StsTokenRepo:
    def __init__(self, store: Store):
        self.store = store

    def keep(self, token: str, *, expires_at: float | None, issued_ms: int | None = None) -> bool:
        """Keep `token` unless a newer one (by Tencent's operate time) is already kept; True
        when kept. Joins the caller's transaction."""
        issued = issued_ms if issued_ms is not None else int(self.store.now() * 1000)
        with self.store.transaction():
            current = self.store.state.get(KEY)
            if isinstance(current, dict) and int(current.get("issued_ms") or 0) > issued:
                return False  # an older event arriving late
            self.store.state.set(
                KEY,
                {
                    "token": token,
                    "expires_at": expires_at,
                    "issued_ms": issued,
                    "received_at": self.store.now(),
                },
            )
        return True

    def reject(self, token: str) -> None:
        """Tencent refused `token` although its time is not up: never send it again (the next
        `common.sts-token` event brings a new one)."""
        with self.store.transaction():
            saved = self.store.state.get(KEY)
            if isinstance(saved, dict) and saved.get("token") == token:
                self.store.state.set(KEY, {**saved, "rejected_at": self.store.now()})

    def current(self) -> str | None:
        """The token to send now, or None (none received, refused by Tencent, or about to
        expire)."""
        saved = self.store.state.get(KEY)
        if not isinstance(saved, dict) or not saved.get("token") or saved.get("rejected_at"):
            return None
        expires_at = saved.get("expires_at")
        if expires_at is not None and float(expires_at) - EXPIRY_MARGIN <= self.store.now():
            return None
        return str(saved["token"])

    def info(self) -> StsTokenState | None:
        saved = self.store.state.get(KEY)
        if not isinstance(saved, dict) or not saved.get("token"):
            return None
        expires_at = saved.get("expires_at")
        return StsTokenState(
            received_at=float(saved.get("received_at") or 0),
            expires_at=float(expires_at) if expires_at is not None else None,
            usable=self.current() is not None,
        )
