"""Settings: every problem named at once, secrets never echoed, .env read when present."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, load_settings


def test_defaults_need_nothing() -> None:
    settings = load_settings({})
    assert settings.tencent_api_url == "https://api.meeting.qq.com"
    assert settings.tencent_rate_limit == 10
    assert settings.recordings_db == "recordings.db"
    assert settings.bot_timezone == "Asia/Shanghai"
    assert settings.poll_interval_seconds == 120 and settings.pending_max_hours == 72


def test_every_malformed_or_missing_variable_is_named_at_once() -> None:
    env = {
        "TENCENT_MEETING_RATE_LIMIT": "ten",
        "BOT_TIMEZONE": "Mars/Olympus",
        "TENCENT_MEETING_API_URL": "api.meeting.qq.com",
        "POLL_INTERVAL_SECONDS": "0",
    }
    with pytest.raises(ConfigError) as caught:
        load_settings(env, require=("slack_bot_token", "slack_signing_secret"))
    text = str(caught.value)
    for name in (
        "TENCENT_MEETING_RATE_LIMIT",
        "BOT_TIMEZONE",
        "TENCENT_MEETING_API_URL",
        "POLL_INTERVAL_SECONDS",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ):
        assert name in text
    assert len(caught.value.problems) == 6


def test_secrets_are_never_shown() -> None:
    settings = load_settings(
        {
            "TENCENT_MEETING_SECRET_KEY": "very-secret-key",
            "SLACK_BOT_TOKEN": "xoxb-secret-token",
            "SLACK_SIGNING_SECRET": "signing-secret-value",
            "ADMIN_USER_IDS": "U1, U2,,",
        }
    )
    shown = repr(settings) + str(settings.redacted())
    for secret in ("very-secret-key", "xoxb-secret-token", "signing-secret-value"):
        assert secret not in shown
    assert settings.redacted()["tencent_secret_key"] == "(set)"
    assert settings.admin_user_ids == ("U1", "U2")


def test_a_dotenv_file_is_read_and_a_bad_value_fails_the_cli_clearly(tmp_path) -> None:
    (tmp_path / ".env").write_text("TENCENT_MEETING_RATE_LIMIT=abc\nRECORDINGS_DB=x.db\n")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("TENCENT_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "routes", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TENCENT_MEETING_RATE_LIMIT must be a whole number" in done.stderr
    assert "Traceback" not in done.stderr
