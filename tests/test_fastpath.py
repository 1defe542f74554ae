"""The webhook's fast path over loopback, without HTTP: a `recording.completed` payload handed
straight to FastPath.complete, with the Tencent emulator, the Slack stand-in and a real store."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.emulator.tencent import RECORDS_PATH
from bot.emulator.tencent.webhook_sender import completed_event
from bot.fastpath import EARLY_POLL_GAP, FastPath, complete_in_store, fetch_window
from bot.models import BACKGROUND, INTERACTIVE, STATE_TRANSCODING, RecordMeeting, RouteSpec
from bot.poller import CycleReport
from bot.tencent.records import parse_meeting
from bot.tencent.webhook import EventPayload, parse_event
from tests.conftest import PRODUCT_CHANNEL, REC_CHANNEL, BotEnv


class Clock:
    """An injected monotonic clock, for the gap between early polls."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Env:
    bot: BotEnv
    fastpath: FastPath
    clock: Clock
    polls: list[CycleReport]

    def meeting(self, *, done: bool = True, userid: str = "alice") -> str:
        """A recording of a meeting that started an hour ago: complete, or still transcoding."""
        dataset = self.bot.dataset
        mid = dataset.add_meeting(
            start=time.time() - 3600, duration=1800, transcode_seconds=10**6, userid=userid
        )
        dataset.set_state(mid, 3 if done else STATE_TRANSCODING)
        return mid

    def event(self, mid: str) -> dict:
        return completed_event(self.bot.dataset.get(mid), self.bot.tencent.now())

    def payload(self, event: dict) -> EventPayload:
        [payload] = parse_event(json.dumps(event)).payloads
        return payload

    def complete(self, mid: str) -> None:
        self.fastpath.complete(self.payload(self.event(mid)))

    def posted(self, mid: str, channel: str | None = None) -> list[dict]:
        return [
            m
            for m in self.bot.posts(channel)
            if m["metadata"]["event_payload"]["meeting_record_id"] == mid
        ]

    def api_calls(self) -> int:
        return self.bot.tencent.call_count(RECORDS_PATH)


@pytest.fixture
def env(bot_env: BotEnv) -> Iterator[Env]:
    services = bot_env.services
    services.store.routes.add(REC_CHANNEL, RouteSpec())  # every recording
    services.store.routes.add(PRODUCT_CHANNEL, RouteSpec(match_host="alice"))
    clock = Clock()
    polls: list[CycleReport] = []

    def poll_now() -> None:
        polls.append(services.poller.run_cycle())

    settings = bot_env.settings
    fastpath = FastPath(
        services.store,
        services.tencent,
        services.deliverer,
        poll_now,
        default_channel=settings.default_channel,
        pending_max_hours=settings.pending_max_hours,
        monotonic=clock,
    )
    yield Env(bot_env, fastpath, clock, polls)


def test_a_completed_recording_is_fetched_in_a_narrow_window_and_posted(env: Env) -> None:
    mid = env.meeting()
    env.complete(mid)
    assert len(env.posted(mid, REC_CHANNEL)) == 1
    assert len(env.posted(mid, PRODUCT_CHANNEL)) == 1
    assert env.api_calls() == 1
    query = env.bot.tencent.calls[0].query
    start = env.bot.dataset.get(mid).start
    assert (int(query["start_time"]), int(query["end_time"])) == (int(start) - 60, int(start) + 60)
    assert (env.fastpath.counters.fetched, env.fastpath.counters.delivered) == (1, 1)
    # The narrow window is not marked synced: the poller's catch-up must not skip anything.
    assert env.bot.services.store.recordings.synced_until() is None
    env.complete(mid)  # again: the store knows it all, the ledger posted it
    assert len(env.posted(mid)) == 2 and env.api_calls() == 1


def test_an_event_for_a_recording_the_poller_posted_costs_no_call(env: Env) -> None:
    mid = env.meeting()
    report = env.bot.cycle()
    assert report.sent == 2
    calls = env.api_calls()
    env.complete(mid)
    assert env.api_calls() == calls
    assert env.fastpath.counters.from_store == 1
    assert len(env.bot.posts()) == 2


def test_an_event_before_the_api_shows_state_3_is_left_to_the_poller(env: Env) -> None:
    mid = env.meeting(done=False)
    env.complete(mid)
    assert env.bot.posts() == []
    assert env.fastpath.counters.not_ready == 1
    env.bot.dataset.complete_now(mid)
    env.bot.cycle()
    assert len(env.posted(mid, REC_CHANNEL)) == 1


def test_an_exhausted_budget_leaves_the_event_to_the_poller(env: Env) -> None:
    mid = env.meeting()
    settings, throttle = env.bot.settings, env.bot.services.tencent.throttle
    for _ in range(settings.interactive_call_limit):  # people's share, then the rest
        throttle.acquire(INTERACTIVE, max_wait=0)
    for _ in range(settings.tencent_rate_limit - settings.interactive_call_limit):
        throttle.acquire(BACKGROUND, max_wait=0)
    env.fastpath.fetch_max_wait = 0
    env.complete(mid)
    assert env.fastpath.counters.failed == 1
    assert env.api_calls() == 0
    assert env.bot.posts() == []


def test_an_api_error_leaves_the_event_to_the_poller(env: Env) -> None:
    mid = env.meeting()
    env.bot.tencent.faults.add("error", code=190311, message="daily limit")
    env.complete(mid)
    assert env.fastpath.counters.failed == 1
    assert env.bot.posts() == []
    env.bot.cycle()
    assert len(env.posted(mid, REC_CHANNEL)) == 1


def test_an_event_without_a_start_time_runs_an_early_poll(env: Env) -> None:
    mid = env.meeting()
    event = env.event(mid)
    for key in ("start_time", "end_time"):
        del event["payload"][0]["meeting_info"][key]
    env.fastpath.complete(env.payload(event))
    assert env.fastpath.counters.early_polls == 1
    assert len(env.polls) == 1 and env.polls[0].ran
    assert len(env.posted(mid, REC_CHANNEL)) == 1


def test_early_polls_are_spaced_out(env: Env) -> None:
    event = env.event(env.meeting())
    for key in ("start_time", "end_time"):
        del event["payload"][0]["meeting_info"][key]
    payload = env.payload(event)
    env.fastpath.complete(payload)
    env.clock.now += EARLY_POLL_GAP - 1
    env.fastpath.complete(payload)  # too soon: left to the next poll cycle
    assert (env.fastpath.counters.early_polls, len(env.polls)) == (1, 1)
    env.clock.now += 1
    env.fastpath.complete(payload)
    assert (env.fastpath.counters.early_polls, len(env.polls)) == (2, 2)


# -- pure parts ----------------------------------------------------------------------------------
def test_fetch_window_choices() -> None:
    with_start = EventPayload(None, (), "m1", start_time=1_700_000_000)
    assert fetch_window(with_start) == (1_699_999_940, 1_700_000_060)
    # A recording the poller saw start later in the meeting widens the window to include it.
    assert fetch_window(with_start, [1_700_001_000]) == (1_699_999_940, 1_700_001_060)
    assert fetch_window(EventPayload(1_700_000_000_000, (), "m2")) is None
    assert fetch_window(EventPayload(None, (), "m3"), [1_700_000_000]) == (
        1_699_999_940,
        1_700_000_060,
    )


def test_complete_in_store() -> None:
    def meeting(state: int, *files: str) -> RecordMeeting:
        record = {
            "meeting_record_id": "r1",
            "meeting_id": "m1",
            "meeting_code": "1",
            "userid": "u",
            "media_start_time": 1_700_000_000_000,
            "subject": "s",
            "state": state,
            "record_files": [
                {
                    "record_file_id": f,
                    "record_start_time": 1,
                    "record_end_time": 2,
                    "record_size": 3,
                    "sharing_state": 0,
                }
                for f in files
            ],
        }
        return parse_meeting(record)

    assert complete_in_store([meeting(3, "f1", "f2")], ["f1"])
    assert not complete_in_store([meeting(3, "f1")], ["f1", "f9"])  # a file we do not know
    assert not complete_in_store([meeting(2)], ["f1"])
    assert not complete_in_store([meeting(3, "f1")], [])  # proves nothing
    assert not complete_in_store([], ["f1"])
