"""Builds the running parts from settings: store, Tencent client, Slack client, deliverer, poller.

One place wires them, so the CLI, the Slack app, the demo and the tests all get the same graph.
It also owns stopping: `Services.stop()` wakes every wait (the API budget, backoff, pacing) so
a SIGTERM ends a long catch-up cycle or a waiting query within a second, and then drains the
worker pools before the store is closed under them.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor
from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot.config import Settings
from bot.delivery import Deliverer
from bot.poller import Poller, holder_id
from bot.slack.webclient import make_web_client
from bot.stopping import interruptible_sleep
from bot.store import Store, open_store
from bot.tencent.client import TencentMeetingClient


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
    store = store or open_store(settings.recordings_db)
    stopping = threading.Event()
    sleep = interruptible_sleep(stopping)
    tencent = TencentMeetingClient.from_settings(settings, store, sleep=sleep)
    holder = holder_id()
    slack = deliverer = None
    if with_slack and settings.slack_bot_token:
        slack = make_web_client(settings, for_delivery=True)
        deliverer = Deliverer(store, slack, settings, claimer=holder, sleep=sleep)
    poller = Poller(store, tencent, deliverer, settings, holder=holder, stopping=stopping)
    return Services(settings, store, tencent, slack, deliverer, poller, stopping=stopping)
