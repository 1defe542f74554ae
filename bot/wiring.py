"""Builds the running parts from settings: store, Tencent client, Slack client, deliverer, poller.

One place wires them, so the CLI, the Slack app, the demo and the tests all get the same graph.
It also owns stopping: `Services.stop()` wakes every wait (the API budget, backoff, pacing) so
a SIGTERM ends a long catch-up cycle or a waiting query within a second, and then drains the
worker pools before the store is closed under them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.access import AccessDesk
from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, ConfigError, Settings
from bot.delivery import Deliverer
from bot.passwords import forget_hidden
from bot.poller import Poller, holder_id
from bot.preflight import open_checked_store
from bot.slack.webclient import make_web_client
from bot.stopping import interruptible_sleep
from bot.store import Store
from bot.tencent.client import PRODUCTION_URL, TencentMeetingClient
from bot.tencent.signing import Credentials
from bot.tencent.throttle import Throttle


@dataclass
class Services:
    settings: Settings
    store: Store
    tencent: TencentMeetingClient
    slack: WebClient | None
    deliverer: Deliverer | None
    poller: Poller
    stopping: threading.Event = field(default_factory=threading.Event)
    executors: list[Executor] = field(default_factory=list)  # listener pools, drained by stop()
    access: AccessDesk | None = None  # requests to view recordings (None without Slack)

    def stop(self) -> None:
        """Wake every wait, then let the listener pools finish (their waits end at once)."""
        self.stopping.set()
        for executor in self.executors:
            executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self.stop()
        self.poller.release()
        self.store.close()


def build_services(
    settings: Settings, *, store: Store | None = None, with_slack: bool = True
) -> Services:
    store = store or open_checked_store(settings)  # StartupError: the database is unusable
    forget_hidden(store, settings.default_channel or None)  # routes may have changed since
    stopping = threading.Event()
    sleep = interruptible_sleep(stopping)
    tencent = make_tencent_client(settings, store, sleep=sleep)
    holder = holder_id()
    slack = deliverer = access = None
    if with_slack and settings.slack_bot_token:
        slack = make_web_client(settings, for_delivery=True, sleep=sleep)
        deliverer = Deliverer(store, slack, settings, claimer=holder, sleep=sleep)
        access = AccessDesk.from_settings(settings, store, tencent, slack, claimer=holder)
    poller = Poller(
        store, tencent, deliverer, settings, holder=holder, stopping=stopping, access=access
    )
    return Services(
        settings, store, tencent, slack, deliverer, poller, stopping=stopping, access=access
    )


# -- the Tencent Meeting client ---------------------------------------------------------------
def demo_credentials(settings: Settings) -> Credentials:
    """The credentials a local emulator accepts by default (they open nothing elsewhere)."""
    return Credentials(
        app_id=DEMO_APP_ID,
        secret_id=DEMO_SECRET_ID,
        secret_key=DEMO_SECRET_KEY,
        sdk_id=settings.tencent_sdk_id,
    )


def tencent_credentials(settings: Settings) -> Credentials:
    """The credentials to call `settings.tencent_api_url` with (the one place that reads them).

    Without credentials the client can only talk to a local emulator (which accepts the demo
    credentials): pointed at production, or given only some of them, it refuses instead of
    failing on the first call.
    """
    if settings.has_tencent_credentials:
        return Credentials(
            app_id=settings.tencent_app_id,
            secret_id=settings.tencent_secret_id,
            secret_key=settings.tencent_secret_key.get_secret_value(),
            sdk_id=settings.tencent_sdk_id,
        )
    given = {
        "TENCENT_MEETING_APP_ID": settings.tencent_app_id,
        "TENCENT_MEETING_SECRET_ID": settings.tencent_secret_id,
        "TENCENT_MEETING_SECRET_KEY": settings.tencent_secret_key.get_secret_value(),
    }
    if settings.tencent_api_url.rstrip("/") == PRODUCTION_URL or any(given.values()):
        missing = [name for name, value in given.items() if not value]
        raise ConfigError(
            [f"{name} is required to call {settings.tencent_api_url}" for name in missing]
        )
    return demo_credentials(settings)


def make_tencent_client(
    settings: Settings,
    store: Store,
    *,
    sleep: Callable[[float], None] = time.sleep,
    api_url: str | None = None,
    credentials: Credentials | None = None,
    **options: Any,
) -> TencentMeetingClient:
    """A client configured from the settings, its throttle counting in the store's ledger.

    `api_url` and `credentials`, given together, point it elsewhere (the `sync` command's
    embedded emulator); `options` go to the client (timeouts, retries).
    """
    if (api_url is None) != (credentials is None):
        raise ValueError("give api_url and credentials together, or neither")
    if credentials is None:
        credentials = tencent_credentials(settings)
    throttle = Throttle(
        store.budget,
        limit=settings.tencent_rate_limit,
        interactive_limit=settings.interactive_call_limit,
        sleep=sleep,
    )
    options.setdefault("sts_token", store.sts.current)  # from `common.sts-token` events
    return TencentMeetingClient(
        api_url or settings.tencent_api_url,
        credentials,
        throttle,
        operator_id=settings.tencent_operator_id,
        sleep=sleep,
        **options,
    )
