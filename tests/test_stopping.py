"""Stopping promptly: a SIGTERM must not wait for a cycle that waits for the API budget or for
Slack pacing, and what was interrupted is handed back intact."""

from __future__ import annotations

import threading
import time

from bot.poller import CycleReport
from bot.stopping import ShuttingDown
from bot.sync import sync_range
from tests.conftest import REC_CHANNEL, BotEnv


def _in_thread(target) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(target()), daemon=True)
    thread.start()
    return thread, out


class Waits:
    """The waits begun on `stopping`. Every wait the bot can be stopped out of (the API budget,
    backoff, Slack pacing) is a `stopping.wait(seconds)`, so a test sees that the code has come
    to its wait instead of sleeping and hoping it has."""

    def __init__(self, stopping: threading.Event):
        self.seconds: list[float | None] = []
        self._begun = threading.Condition()
        wait = stopping.wait

        def recorded_wait(timeout: float | None = None) -> bool:
            with self._begun:
                self.seconds.append(timeout)
                self._begun.notify_all()
            return wait(timeout)

        stopping.wait = recorded_wait

    def wait_for_one(self, at_least: float = 0.0, timeout: float = 5.0) -> float:
        """Block until a wait of `at_least` seconds has begun; its length."""
        with self._begun:
            begun = self._begun.wait_for(
                lambda: [s for s in self.seconds if s is not None and s >= at_least], timeout
            )
        assert begun, f"no wait of {at_least} s or more began within {timeout} s"
        return begun[0]


def test_stop_interrupts_a_cycle_waiting_for_the_api_budget(bot_env: BotEnv) -> None:
    store = bot_env.services.store
    store.budget.block_until("corp_records", time.time() + 120)  # the budget is spent for 2 min
    waits = Waits(bot_env.services.stopping)
    thread, out = _in_thread(bot_env.cycle)
    waits.wait_for_one()
    assert thread.is_alive()  # waiting for a call slot
    assert bot_env.tencent.call_count() == 0
    started = time.monotonic()
    bot_env.services.stopping.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and time.monotonic() - started < 2
    report: CycleReport = out[0]
    assert report.ran and report.error is None
    assert store.state.get("poller.consecutive_failures") in (None, 0)  # not counted as failed
    assert store.state.get("poller.watermark") is None  # nothing claimed as synced


def test_stop_hands_back_a_delivery_waiting_for_its_turn(bot_env: BotEnv) -> None:
    now = time.time()
    for i in range(2):
        bot_env.dataset.add_meeting(
            start=now - 3600 - i, duration=600, transcode_seconds=60, subject=f"Paced {i}"
        )
    services = bot_env.services
    sync_range(
        services.store, services.tencent, int(now - 7200), int(now), default_channel=REC_CHANNEL
    )
    services.deliverer.min_interval = 60.0  # the second message must wait a minute

    def deliver() -> str:
        try:
            services.deliverer.deliver_due()
        except ShuttingDown:
            return "stopped"
        return "finished"

    waits = Waits(services.stopping)
    thread, out = _in_thread(deliver)
    bot_env.slack.wait_for(lambda: bot_env.posts(), timeout=5)
    waits.wait_for_one(at_least=30.0)  # the second message waits for its turn
    services.stopping.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and out == ["stopped"]
    assert len(bot_env.posts()) == 1
    [waiting] = services.store.deliveries.undelivered()
    assert waiting.state == "pending" and waiting.last_error is None  # handed back, not failed
