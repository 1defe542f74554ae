"""A call budget shared by every process on one database: never more than `limit` calls in any
`window` seconds.

Each call first takes a slot from a `Ledger` (the store's `store.budget`, one atomic transaction
per grant), so two processes (the poller and the Slack app) can never together exceed the
limit. The ledger's window is `window + margin`: the server counts a call when it arrives, a
little after we granted it, and the margin absorbs that delay.

An interactive caller (a person waiting in Slack) registers itself while it waits; background
callers step aside until it has been served, and leave `reserve` slots free for it. People get
at most `interactive_limit` calls a window, though: the rest of the window always goes to the
background callers (the poller), however many people are asking.

The throttle is handed its ledger: the Tencent side never imports the store.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from bot import metrics
from bot.models import BACKGROUND, INTERACTIVE
from bot.tencent.errors import BudgetExhaustedError

log = logging.getLogger(__name__)

CORP_RECORDS_BUCKET = "corp_records"  # the ledger bucket of GET /v1/corp/records
ADDRESSES_BUCKET = "addresses"  # the ledger bucket of GET /v1/addresses/{id}
# The ledger bucket of the content calls: /v1/smart/*, /v1/records/transcripts/*, and the batch
# GET /v1/addresses?meeting_record_id= (never a corp/records or a Download-button slot).
CONTENT_BUCKET = "content"
_STEP = 1.0  # longest single sleep, so a newly waiting interactive caller is noticed
_WAITER_TTL = 5.0  # a waiter that stops refreshing (its process died) expires after this


@runtime_checkable
class Ledger(Protocol):
    """Where the granted calls are counted, shared by every process (`bot.store.budget`)."""

    def now(self) -> float:
        """The ledger's clock (Unix seconds)."""
        ...

    def try_acquire(
        self,
        bucket: str,
        *,
        limit: int,
        window: float,
        priority: str,
        reserve: int = 1,
        pid: int | None = None,
        interactive_limit: int | None = None,
    ) -> float:
        """Take one call slot if one is free: 0.0 when granted, else seconds to wait.
        Interactive callers get at most `interactive_limit` (default `limit`) a window."""
        ...

    def block_until(self, bucket: str, until: float) -> None:
        """Grant nothing in `bucket` before `until`."""
        ...

    def add_waiter(self, bucket: str, priority: str, ttl: float) -> int:
        """Register a waiting caller for `ttl` seconds; its id."""
        ...

    def refresh_waiter(self, waiter_id: int, ttl: float) -> None: ...

    def remove_waiter(self, waiter_id: int) -> None: ...

    def calls_since(self, bucket: str, since: float) -> int:
        """How many calls were granted in `bucket` since `since`."""
        ...


class Throttle:
    """The budget of one API (one `bucket`) shared through a ledger."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        limit: int,
        window: float = 60.0,
        bucket: str = CORP_RECORDS_BUCKET,
        reserve: int = 1,
        margin: float = 0.5,
        interactive_limit: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if interactive_limit is not None and interactive_limit < 1:
            raise ValueError("interactive_limit must be at least 1")
        self.ledger = ledger
        self.limit = limit
        self.window = window
        self.bucket = bucket
        self.reserve = reserve
        self.margin = margin
        self.interactive_limit = interactive_limit  # None: people may take the whole window
        self._sleep = sleep

    @property
    def ledger_window(self) -> float:
        """The window the ledger counts over: the server's window plus the safety margin."""
        return self.window + self.margin

    def acquire(self, priority: str = BACKGROUND, max_wait: float | None = None) -> None:
        """Block until a call slot is granted.

        Raises BudgetExhaustedError(retry_after) when the slot would come later than `max_wait`
        seconds from now (`max_wait=0`: take a free slot or fail at once).
        """
        ledger = self.ledger
        started = ledger.now()
        waiter_id: int | None = None
        try:
            while True:
                wait = ledger.try_acquire(
                    self.bucket,
                    limit=self.limit,
                    window=self.ledger_window,
                    priority=priority,
                    reserve=self.reserve,
                    pid=os.getpid(),
                    interactive_limit=self.interactive_limit,
                )
                if wait <= 0:
                    waited = max(0.0, ledger.now() - started)
                    metrics.BUDGET_WAIT.labels(self.bucket, priority).observe(waited)
                    return
                if max_wait is not None:
                    waited = ledger.now() - started
                    if waited + wait > max_wait:
                        raise BudgetExhaustedError(wait)
                if priority == INTERACTIVE:
                    if waiter_id is None:
                        waiter_id = ledger.add_waiter(self.bucket, INTERACTIVE, _WAITER_TTL)
                        log.info("waiting %.1f s for a %s call slot", wait, self.bucket)
                    else:
                        ledger.refresh_waiter(waiter_id, _WAITER_TTL)
                self._sleep(min(wait, _STEP))
        finally:
            if waiter_id is not None:
                ledger.remove_waiter(waiter_id)

    def penalize(self, seconds: float) -> None:
        """The server said we are throttled: grant nothing for `seconds`, in every process."""
        log.warning("Tencent Meeting throttled %s calls: pausing %.0f s", self.bucket, seconds)
        self.ledger.block_until(self.bucket, self.ledger.now() + seconds)

    def calls_in_last(self, seconds: float) -> int:
        """How many calls were granted in the last `seconds` (by every process)."""
        return self.ledger.calls_since(self.bucket, self.ledger.now() - seconds)
