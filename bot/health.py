"""The bot's health, read from the store: what `/recordings status`, `/healthz` and the admins'
App Home show. Every process reads the same facts, whichever of them runs the poller."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.models import RecordMeeting, Route
from bot.store import Store
from bot.store.deliveries import Delivery
from bot.tencent.throttle import CORP_RECORDS_BUCKET


@dataclass
class Health:
    healthy: bool
    summary: str
    last_success_at: float | None
    last_cycle: dict[str, Any] | None
    next_run_at: float | None
    consecutive_failures: int
    last_error: dict[str, Any] | None
    poller_holder: str | None
    pending: list[RecordMeeting] = field(default_factory=list)
    stuck: list[RecordMeeting] = field(default_factory=list)
    calls_last_minute: int = 0
    calls_today: int = 0
    rate_limit: int = 10
    undelivered: list[Delivery] = field(default_factory=list)
    broken_routes: list[Route] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    malformed: dict[str, Any] | None = None  # records the API sent broken in the last cycle

    def as_json(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "summary": self.summary,
            "last_success_at": self.last_success_at,
            "next_run_at": self.next_run_at,
            "consecutive_failures": self.consecutive_failures,
            "pending": len(self.pending),
            "stuck": len(self.stuck),
            "calls_last_minute": self.calls_last_minute,
            "calls_today": self.calls_today,
            "rate_limit": self.rate_limit,
            "undelivered": len(self.undelivered),
            "broken_routes": len(self.broken_routes),
            "malformed_records": (self.malformed or {}).get("count", 0),
        }


def collect_health(store: Store, settings: Settings, now: float | None = None) -> Health:
    now = store.now() if now is None else now
    state = store.state
    last_success = state.get("poller.last_success_at")
    started = state.get("poller.last_started_at")
    failures = int(state.get("poller.consecutive_failures", 0) or 0)
    stale_after = 3 * settings.poll_interval_seconds + 60
    if started is None:
        healthy, summary = True, "starting: no poll cycle has run yet"
    elif failures >= 2:
        healthy, summary = False, f"failing: the last {failures} poll cycles failed"
    elif last_success is None and now - started > stale_after:
        healthy, summary = False, "failing: no poll cycle has succeeded yet"
    elif last_success is not None and now - last_success > stale_after:
        healthy, summary = False, f"stale: no successful poll for {int(now - last_success)} s"
    else:
        healthy, summary = True, "ok"
    midnight = datetime.fromtimestamp(now, settings.tz).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    webhook = None
    if settings.tencent_webhook_token:
        webhook = store.webhooks.stats(midnight.timestamp())
    return Health(
        healthy=healthy,
        summary=summary,
        last_success_at=last_success,
        last_cycle=state.get("poller.last_cycle"),
        next_run_at=state.get("poller.next_run_at"),
        consecutive_failures=failures,
        last_error=state.get("poller.last_error"),
        poller_holder=store.leases.holder("poller"),
        pending=store.recordings.pending(now, settings.pending_max_hours),
        stuck=store.recordings.stuck(),
        calls_last_minute=store.budget.calls_since(CORP_RECORDS_BUCKET, now - 60),
        calls_today=store.budget.calls_since(CORP_RECORDS_BUCKET, midnight.timestamp()),
        rate_limit=settings.tencent_rate_limit,
        undelivered=store.deliveries.undelivered(),
        broken_routes=store.routes.broken(),
        webhook=webhook,
        malformed=state.get("sync.malformed"),
    )
