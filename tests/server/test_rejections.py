"""bot.server.rejections: refused requests cost one bounded log line each, and a flood of them
against a real `recordings-bot run` costs a few KB of log whatever the bodies' size."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import requests

from bot.emulator.tencent.webhook_sender import WebhookSender
from bot.server.rejections import LINES_PER_MINUTE, RejectionLog
from tests.server.run_helpers import (
    bot_env,
    free_port,
    healthz,
    start_run,
    terminate,
    wait_until,
)

BIG = 3_900_000  # what the adversarial test sent: Bolt logged each body whole, 4 MB a request


def test_at_most_so_many_lines_a_minute_then_a_count(caplog) -> None:
    clock = [0.0]
    rejections = RejectionLog(logging.getLogger("test.rejections"), "thing", clock=lambda: clock[0])
    caplog.set_level(logging.WARNING)

    logged = [rejections.refused("401", "bad signature", "10.0.0.1") for _ in range(25)]

    assert logged == [True] * LINES_PER_MINUTE + [False] * (25 - LINES_PER_MINUTE)
    assert len(caplog.records) == LINES_PER_MINUTE
    assert caplog.records[0].getMessage() == "thing refused (401): bad signature from 10.0.0.1"
    assert "further refusals this minute are counted" in caplog.records[-1].getMessage()
    clock[0] += 60
    caplog.clear()
    assert rejections.refused("413", "body too large")
    assert [r.getMessage() for r in caplog.records] == [
        "thing: 5 more refused in the last minute were not logged",
        "thing refused (413): body too large",
    ]


def _unsigned(url: str, field: str, size: int) -> int | None:
    """POST an unsigned form body of `size` bytes; the status, or None if the server closed the
    connection while the body was still being sent (it answered 413 on the length alone).

    A `text=` body is what Bolt logged whole; a `payload=` body that is not JSON made Bolt fail
    (500) with a traceback before it checked the signature."""
    body = f"{field}=".encode() + b"A" * (size - len(field) - 1)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return requests.post(url, data=body, headers=headers, timeout=30).status_code
    except requests.ConnectionError:
        return None


def test_a_flood_of_forged_requests_costs_a_few_kb_of_log(backends, tmp_path: Path) -> None:
    tencent, slack = backends
    port, db = free_port(), str(tmp_path / "bot.db")
    env = bot_env(tencent, slack, db, port) | {"TENCENT_MEETING_WEBHOOK_TOKEN": "hook-token"}
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        proc = start_run(env, tmp_path, log)
        try:
            wait_until(lambda: healthz(port) == 200 or proc.poll() is not None, what="/healthz")
            assert proc.poll() is None, log_path.read_text()
            before = log_path.stat().st_size
            events = f"http://127.0.0.1:{port}/slack/events"
            started = time.monotonic()

            big = [_unsigned(events, "text", BIG) for _ in range(20)]
            small = [_unsigned(events, f, 300_000) for f in ("text", "payload") * 10]
            forger = WebhookSender(f"http://127.0.0.1:{port}/tencent/webhook", "not-the-token")
            forged = [forger.send_forged("bad_signature") for _ in range(50)]

            elapsed = time.monotonic() - started
            added = log_path.stat().st_size - before
            code, _ = terminate(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = log_path.read_text()
    assert added < 8_000, f"{added} bytes of log for 90 forged requests"
    assert set(big) <= {413, None} and small == [401] * 20
    assert all(f is not None and f.status_code == 401 for f in forged)
    assert code == 0
    assert "AAAAAAAAAA" not in text
    assert text.count("slack request refused") <= LINES_PER_MINUTE
    assert text.count("tencent webhook refused") <= LINES_PER_MINUTE
    print(f"90 forged requests in {elapsed:.2f} s added {added} bytes of log")
