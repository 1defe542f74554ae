"""Builds the running parts from settings: store, Tencent client, Slack client, deliverer, poller.

One place wires them, so the CLI, the Slack app, the demo and the tests all get the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.config import Settings
from bot.delivery import Deliverer
from bot.poller import Poller, holder_id
from bot.slack.webclient import make_web_client
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

    def close(self) -> None:
        self.poller.release()
        self.store.close()


def build_services(
    settings: Settings, *, store: Store | None = None, with_slack: bool = True
) -> Services:
    store = store or open_store(settings.recordings_db)
    tencent = TencentMeetingClient.from_settings(settings, store)
    holder = holder_id()
    slack = deliverer = None
    if with_slack and settings.slack_bot_token:
        slack = make_web_client(settings, for_delivery=True)
        deliverer = Deliverer(store, slack, settings, claimer=holder)
    poller = Poller(store, tencent, deliverer, settings, holder=holder)
    return Services(settings, store, tencent, slack, deliverer, poller)
