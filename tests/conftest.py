"""Fixtures shared by every test folder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, Settings, load_settings
from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.poller import CycleReport
from bot.store import open_store
from bot.wiring import Services, build_services


@pytest.fixture
def tmp_db_path(tmp_path: Path) -> str:
    """A fresh SQLite file path (not yet created) in the test's temporary folder."""
    return str(tmp_path / "recordings.db")


@pytest.fixture
def tencent_emulator() -> Iterator[TencentEmulator]:
    """A running Tencent Meeting emulator on loopback with the demo credentials and a generated
    week of meetings (`.credentials` signs requests; `.url` is its base URL)."""
    with TencentEmulator() as emulator:
        yield emulator


# -- a whole bot without the Slack app: emulator + Slack stand-in + store + poller ---------------
REC_CHANNEL = "CRECORDS1"
PRODUCT_CHANNEL = "CPRODUCT1"
ADMIN_CHANNEL_ID = "CADMINS01"


@dataclass
class BotEnv:
    tencent: TencentEmulator
    slack: SlackStandIn
    dataset: Dataset
    settings: Settings
    services: Services
    opened: list[Services] = field(default_factory=list)

    def cycle(self, services: Services | None = None) -> CycleReport:
        return (services or self.services).poller.run_cycle()

    def restart(self, *, clock_offset: float = 0.0) -> Services:
        """Open the same database anew, as a restarted process would (optionally with a clock
        that runs `clock_offset` seconds ahead, to let claims and leases expire)."""
        store = open_store(self.settings.recordings_db, clock=lambda: time.time() + clock_offset)
        services = build_services(self.settings, store=store)
        if services.deliverer is not None:
            services.deliverer.min_interval = 0.0
        self.opened.append(services)
        return services

    def cli_env(self) -> dict[str, str]:
        """The variables a `recordings-bot` command needs to reach these emulators and DB."""
        return {
            "TENCENT_MEETING_API_URL": self.tencent.url,
            "TENCENT_MEETING_APP_ID": self.settings.tencent_app_id,
            "TENCENT_MEETING_SECRET_ID": self.settings.tencent_secret_id,
            "TENCENT_MEETING_SECRET_KEY": self.settings.tencent_secret_key.get_secret_value(),
            "TENCENT_MEETING_RATE_LIMIT": "100",
            "RECORDINGS_DB": self.settings.recordings_db,
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": self.slack.api_url,
        }

    def posts(self, channel: str | None = None, *, replies: bool = False) -> list[dict]:
        """Messages posted (not ephemeral), excluding admin notices unless asked for, and
        thread replies (the minutes under a post) unless `replies`."""
        return [
            m
            for m in self.slack.messages(channel)
            if (channel is not None or m["channel"] != ADMIN_CHANNEL_ID)
            and (replies or not m.get("thread_ts") or m.get("thread_ts") == m.get("ts"))
        ]


def make_bot_settings(tencent_url: str, slack_api_url: str, db_path: str, **extra: str) -> Settings:
    env = {
        "TENCENT_MEETING_API_URL": tencent_url,
        "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
        "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
        "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
        "TENCENT_MEETING_RATE_LIMIT": "100",
        "RECORDINGS_DB": db_path,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": slack_api_url,
        "ADMIN_CHANNEL": ADMIN_CHANNEL_ID,
        "DEFAULT_CHANNEL": REC_CHANNEL,
    }
    env.update(extra)
    return load_settings(env)


@pytest.fixture
def bot_env(tmp_path: Path) -> Iterator[BotEnv]:
    dataset = Dataset()
    tencent = TencentEmulator(dataset=dataset, rate_limit=100).start()
    slack = SlackStandIn(bot_token="xoxb-test-token").start()
    slack.add_channel(REC_CHANNEL, "recordings")
    slack.add_channel(PRODUCT_CHANNEL, "product")
    slack.add_channel(ADMIN_CHANNEL_ID, "recordings-admins")
    settings = make_bot_settings(tencent.url, slack.api_url, str(tmp_path / "bot.db"))
    services = build_services(settings)
    assert services.deliverer is not None
    services.deliverer.min_interval = 0.0
    env = BotEnv(tencent, slack, dataset, settings, services)
    try:
        yield env
    finally:
        for extra in env.opened:
            extra.store.close()
        services.close()
        slack.stop()
        tencent.stop()


from tests.slack_env import slack_env  # noqa: E402, F401 (a fixture for every folder)
