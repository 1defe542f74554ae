"""`recordings-bot -v COMMAND` as a real process: debug logs never carry a meeting password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.models import RouteSpec
from tests.conftest import PRODUCT_CHANNEL, BotEnv

PASSWORD = "Pw-7731-secret"  # noqa: S105 (a test meeting's password)


def _run(bot_env: BotEnv, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENT_", "SLACK_"))}
    env.update(
        {
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
            **bot_env.cli_env(),
            **extra,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_verbose_poll_once_never_logs_a_shown_password(bot_env: BotEnv) -> None:
    bot_env.services.store.routes.add(PRODUCT_CHANNEL, RouteSpec(password_policy="show"))
    bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, subject="Pricing review", password=PASSWORD
    )
    done = _run(bot_env, "-v", "poll", "--once", PASSWORD_KEY="a test key for the store")
    assert done.returncode == 0, done.stderr
    assert "1 message(s) posted" in done.stdout
    posted = bot_env.posts(PRODUCT_CHANNEL)
    assert len(posted) == 1 and PASSWORD in str(posted[0])  # shown in the channel, as asked
    assert "DEBUG" in done.stderr  # verbose indeed
    assert PASSWORD not in done.stdout + done.stderr


def test_verbose_backfill_notify_never_logs_a_shown_password(bot_env: BotEnv) -> None:
    bot_env.services.store.routes.add(PRODUCT_CHANNEL, RouteSpec(password_policy="show"))
    start = time.time() - 2 * 86400
    bot_env.dataset.add_meeting(start=start, duration=600, subject="Old review", password=PASSWORD)
    day = time.strftime("%Y-%m-%d", time.localtime(start - 86400))
    done = _run(
        bot_env,
        "-v",
        "backfill",
        "--since",
        day,
        "--notify",
        PASSWORD_KEY="a test key for the store",
        BOT_TIMEZONE="UTC",
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD in str(bot_env.posts(PRODUCT_CHANNEL))
    assert "DEBUG" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def test_json_logs_are_one_object_a_line_and_never_carry_a_password(bot_env: BotEnv) -> None:
    bot_env.services.store.routes.add(PRODUCT_CHANNEL, RouteSpec(password_policy="show"))
    bot_env.dataset.add_meeting(
        start=time.time() - 3600, duration=600, subject="JSON review", password=PASSWORD
    )
    done = _run(
        bot_env, "-v", "poll", "--once", PASSWORD_KEY="a test key for the store", LOG_FORMAT="json"
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) >= 3
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert {"DEBUG", "INFO"} <= {r["level"] for r in records}
    assert any(r["logger"].startswith("bot.") for r in records)
    assert PASSWORD not in done.stdout + done.stderr
