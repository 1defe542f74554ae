"""Fixtures shared by every test folder."""

from __future__ import annotations

import itertools
import os
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

# Tests in these files run twice, on SQLite and on PostgreSQL, when they use `db_location`
# (the `store` and `bot_env` fixtures do); the rest run on SQLite.
BOTH_ENGINES = (
    "tests/store/",
    "tests/delivery/",
    "tests/test_poller.py",
    "tests/test_poller_takeover.py",
    "tests/test_crash_recovery.py",
    "tests/test_sync.py",
    "tests/test_recording_deleted.py",
    "tests/test_recording_updated.py",
    "tests/test_fastpath.py",
    "tests/server/test_tencent_webhook.py",
    "tests/tencent/test_throttle.py",
    "tests/test_replicas.py",
)
_ROOT = Path(__file__).resolve().parent.parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_engine" not in metafunc.fixturenames:
        return
    where = metafunc.definition.path.resolve().relative_to(_ROOT).as_posix()
    both = where.startswith(BOTH_ENGINES)
    metafunc.parametrize("db_engine", ["sqlite", "postgresql"] if both else ["sqlite"])


@pytest.fixture
def db_location(db_engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where the test's database is: a fresh SQLite file, or a fresh PostgreSQL database."""
    if db_engine == "postgresql":
        return request.getfixturevalue("pg_url")
    return str(tmp_path / "bot.db")


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
        store = open_store(
            self.settings.database_location, clock=lambda: time.time() + clock_offset
        )
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
            **database_env(self.settings.database_location),
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


def database_env(location: str) -> dict[str, str]:
    """DATABASE_URL for a PostgreSQL URL, RECORDINGS_DB for a SQLite file."""
    if location.startswith("postgresql://"):
        return {"DATABASE_URL": location}
    return {"RECORDINGS_DB": location}


def make_bot_settings(tencent_url: str, slack_api_url: str, db_path: str, **extra: str) -> Settings:
    env = {
        "TENCENT_MEETING_API_URL": tencent_url,
        "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
        "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
        "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
        "TENCENT_MEETING_RATE_LIMIT": "100",
        **database_env(db_path),
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": slack_api_url,
        "ADMIN_CHANNEL": ADMIN_CHANNEL_ID,
        "DEFAULT_CHANNEL": REC_CHANNEL,
    }
    env.update(extra)
    return load_settings(env)


@pytest.fixture
def bot_env(db_location: str) -> Iterator[BotEnv]:
    dataset = Dataset()
    tencent = TencentEmulator(dataset=dataset, rate_limit=100).start()
    slack = SlackStandIn(bot_token="xoxb-test-token").start()
    slack.add_channel(REC_CHANNEL, "recordings")
    slack.add_channel(PRODUCT_CHANNEL, "product")
    slack.add_channel(ADMIN_CHANNEL_ID, "recordings-admins")
    settings = make_bot_settings(tencent.url, slack.api_url, db_location)
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


from tests.postgres_server import NoPostgres, PostgresServer, scratch_database  # noqa: E402
from tests.slack_env import slack_env  # noqa: E402, F401 (a fixture for every folder)

# -- PostgreSQL: one throwaway server per test session, started when a test first needs it, and
# a fresh database per test. RECORDINGS_TEST_POSTGRES_URL points at a server of your own instead;
# RECORDINGS_TEST_POSTGRES=required (CI) makes a missing server a failure, not a skip.
_pg_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server's `postgres` database, for the session."""
    given = os.environ.get("RECORDINGS_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        server = PostgresServer()
    except NoPostgres as exc:
        if os.environ.get("RECORDINGS_TEST_POSTGRES") == "required":
            pytest.fail(f"RECORDINGS_TEST_POSTGRES=required, but {exc}")
        pytest.skip(str(exc))
    try:
        yield server.start().url
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (pg_trgm installed) for this test; dropped after."""
    with scratch_database(postgres_server, f"t_{os.getpid()}_{next(_pg_names)}") as url:
        yield url
