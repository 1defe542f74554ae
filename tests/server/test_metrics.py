"""GET /metrics over real HTTP, beside /healthz: a webhook event that becomes Slack messages, a
forged one, a poll cycle and a Slack error each move the counters they should, by the right
amounts, and no secret ever appears in the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.models import RouteSpec
from tests.server.run_helpers import wait_until
from tests.server.test_tencent_webhook import ALICE_CHANNEL, BOT_TOKEN, CHANNEL, Env, _make_env


@pytest.fixture
def hook_env(tmp_path) -> Iterator[Env]:
    """A bot served over HTTP with its webhook on (as in test_tencent_webhook.py)."""
    yield from _make_env(tmp_path)


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(env: Env) -> tuple[Samples, str]:
    answer = requests.get(f"{env.server.url}/metrics", timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, answer.text


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_a_webhook_a_forgery_and_a_cycle_are_counted(hook_env: Env) -> None:
    env = hook_env
    before, _ = scrape(env)
    mid = env.meeting(userid="alice")

    assert env.sender().send_event(env.event(mid)).status_code == 200
    wait_until(lambda: len(env.posted(mid)) == 2, 15, "the recording in both channels")
    forged = env.sender().send_forged("bad_signature")
    assert forged is not None and forged.status_code == 401
    report = env.services.poller.run_cycle()
    assert report.ok, report.error

    after, text = scrape(env)
    assert delta(before, after, "recordings_webhook_events_total", outcome="accepted") == 1
    assert delta(before, after, "recordings_webhook_events_total", outcome="rejected") == 1
    assert delta(before, after, "recordings_deliveries_total", outcome="sent") == 2
    calls = delta(
        before, after, "recordings_tencent_api_calls_total", endpoint="corp/records", outcome="ok"
    )
    assert calls >= 2  # the webhook's narrow fetch and the cycle's
    assert delta(before, after, "recordings_poll_cycles_total", outcome="ok") == 1
    assert delta(before, after, "recordings_poll_cycle_seconds_count", outcome="ok") == 1
    waits = delta(
        before,
        after,
        "recordings_budget_wait_seconds_count",
        bucket="corp_records",
        priority="background",
    )
    assert waits == calls  # every call waited (or not) for its slot once
    # The queues, read from the database: nothing left to post.
    assert value(after, "recordings_queue_depth", queue="deliveries_pending") == 0
    assert ("recordings_queue_depth", (("queue", "recordings_transcoding"),)) in after
    for secret in (BOT_TOKEN, "test-signing-secret", "webhook-test-token", mid):
        assert secret not in text


def test_slack_errors_are_counted_by_code(hook_env: Env) -> None:
    env = hook_env
    env.services.store.routes.add("CNOSUCH01", RouteSpec(match_host="bob"))
    before, _ = scrape(env)
    mid = env.meeting(userid="bob")

    report = env.services.poller.run_cycle()
    assert not report.ok and "channel_not_found" in (report.error or "")  # the broken route

    after, _ = scrape(env)
    assert env.posted(mid, CHANNEL)
    code = delta(
        before,
        after,
        "recordings_slack_errors_total",
        method="chat.postMessage",
        error="channel_not_found",
    )
    assert code >= 1
    unsent = ("failed", "defer_channel")
    assert sum(delta(before, after, "recordings_deliveries_total", outcome=o) for o in unsent) >= 1


def test_metrics_beside_healthz_answer_head_and_only_get(hook_env: Env) -> None:
    env = hook_env
    assert requests.head(f"{env.server.url}/metrics", timeout=5).status_code == 200
    assert requests.post(f"{env.server.url}/metrics", timeout=5).status_code == 404
    assert requests.get(f"{env.server.url}/healthz", timeout=5).status_code in (200, 503)
    assert ALICE_CHANNEL  # the fixture's second route is in place
