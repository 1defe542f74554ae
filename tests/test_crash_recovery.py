"""A poller process killed (SIGKILL) at random points over 20 cycles still delivers every
completed recording exactly once: the real `recordings-bot poll --once`, run as a subprocess
against the Tencent emulator and the Slack stand-in."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.poller import LEASE_NAME
from bot.store import open_store
from bot.wiring import build_services
from tests.conftest import REC_CHANNEL, make_bot_settings

CYCLES = 20
pytestmark = pytest.mark.slow


def wait_for_the_lease_to_free(db: str, timeout: float = 10.0) -> None:
    """Until no live process holds the poller's lease (a killed one's expires on its own)."""
    if not Path(db).exists():
        return  # killed before it opened the database: it held nothing
    store = open_store(db)
    try:
        deadline = time.monotonic() + timeout
        while store.leases.holder(LEASE_NAME) is not None:
            assert time.monotonic() < deadline, "the poller's lease never expired"
            time.sleep(0.02)
    finally:
        store.close()


def test_sigkill_at_random_points_never_loses_or_duplicates_a_message(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    now = time.time()
    dataset = Dataset()
    ids = [
        dataset.add_meeting(
            start=now - 3600 + i * 30,
            duration=600,
            transcode_seconds=30 + i * 20,
            subject=f"Crash test {i}",
            files=1 + i % 2,
        )
        for i in range(12)
    ]
    db = str(tmp_path / "bot.db")
    with (
        TencentEmulator(dataset=dataset, rate_limit=1000) as tencent,
        SlackStandIn(bot_token="xoxb-test-token") as slack,
    ):
        slack.add_channel(REC_CHANNEL, "recordings")
        env = {
            **os.environ,
            "TENCENT_MEETING_API_URL": tencent.url,
            "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
            "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
            "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
            "TENCENT_MEETING_RATE_LIMIT": "1000",
            "RECORDINGS_DB": db,
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": slack.api_url,
            "DEFAULT_CHANNEL": REC_CHANNEL,
            "POLL_LEASE_SECONDS": "1",  # a killed holder's lease frees quickly
        }
        killed = 0
        for _ in range(CYCLES):
            tencent.advance(25)  # recordings keep completing between cycles
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "poll", "--once"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                proc.wait(timeout=rng.uniform(0.2, 2.0))  # a cycle that ends in time is spared
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait(timeout=30)
            wait_for_the_lease_to_free(db)  # a killed holder's lease expires after 1 s
        assert killed >= 3, "the test should really kill some cycles"

        # Every recording is complete by now. Later, a survivor runs (dead claims have expired).
        tencent.advance(600)
        settings = make_bot_settings(tencent.url, slack.api_url, db, POLL_LEASE_SECONDS="1")
        store = open_store(db, clock=lambda: time.time() + 300)
        services = build_services(settings, store=store)
        services.deliverer.min_interval = 0.0
        assert services.poller.run_cycle().ok
        services.close()

        posted = [  # the recordings' posts (their minutes, in threads, are not posts)
            m["metadata"]["event_payload"]["meeting_record_id"]
            for m in slack.messages()
            if m.get("thread_ts") in (None, m["ts"])
        ]
        assert sorted(posted) == sorted(ids), "each completed recording exactly once"
        check = open_store(db)
        states = {d.state for mid in ids for d in check.deliveries.sent_for(mid)}
        assert states == {"sent"}
