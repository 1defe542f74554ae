"""Settings: every problem named at once, secrets never echoed, .env read when present."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from bot.config import (
    DEMO_APP_ID,
    DEMO_SECRET_ID,
    ConfigError,
    Settings,
    env_name,
    load_settings,
)


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


def test_a_malformed_password_key_fails_every_command_clearly(tmp_path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if k != "PASSWORD_KEY"}
    env.update(PASSWORD_KEY="tooshort", RECORDINGS_DB=str(tmp_path / "x.db"))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "poll", "--once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "PASSWORD_KEY must be at least 16 characters" in done.stderr
    assert "tooshort" not in done.stderr  # a secret, even a bad one, is not echoed
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_the_given_mapping_replaces_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    settings = load_settings({"WEBHOOK_PORT": " 4001 ", "ADMIN_CHANNEL": "   "})
    assert (settings.port, settings.webhook_port, settings.admin_channel) == (3000, 4001, "")
    assert not settings.slack_bot_token
    assert Settings().port == 8080  # Settings() itself reads the environment
    assert load_settings(dotenv=False).slack_bot_token.get_secret_value().startswith("xoxb-from")


def test_a_dotenv_file_never_overrides_the_environment(tmp_path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("RECORDINGS_DB=from-dotenv.db\nADMIN_CHANNEL=C-dotenv\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")  # found in a parent folder of the working one
    monkeypatch.setenv("RECORDINGS_DB", "from-env.db")
    # Restored after the test, which also undoes what load_dotenv writes into os.environ.
    monkeypatch.delenv("ADMIN_CHANNEL", raising=False)
    settings = load_settings()
    assert (settings.recordings_db, settings.admin_channel) == ("from-env.db", "C-dotenv")


def test_urls_lose_their_trailing_slash_and_required_values_are_judged_as_given() -> None:
    settings = load_settings({"SLACK_API_URL": "http://localhost:9/api/", "PORT": "3"})
    assert settings.slack_api_url == "http://localhost:9/api"
    with pytest.raises(ConfigError) as caught:
        load_settings({"PORT": "x"}, require=("port", "tencent_api_url"))
    assert caught.value.problems == [
        "PORT must be a whole number, got 'x'",
        "PORT is required but not set",
        "TENCENT_MEETING_API_URL is required but not set",
    ]
    assert env_name("slack_app_token") == "SLACK_APP_TOKEN"


def test_a_changed_copy_is_validated_and_keeps_secrets_secret() -> None:
    settings = load_settings({})
    demo = settings.replace(
        tencent_app_id=DEMO_APP_ID, tencent_secret_id=DEMO_SECRET_ID, tencent_secret_key="k-123"
    )
    assert demo.has_tencent_credentials and not settings.has_tencent_credentials
    assert demo.tencent_secret_key.get_secret_value() == "k-123" and "k-123" not in repr(demo)
    assert demo.redacted()["tencent_secret_key"] == "(set)"
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 7),  # 70% of 10
        ({"TENCENT_MEETING_RATE_LIMIT": "100"}, 70),
        ({"TENCENT_MEETING_INTERACTIVE_LIMIT": "5"}, 5),
        ({"TENCENT_MEETING_INTERACTIVE_LIMIT": "10"}, 9),  # never the whole budget
        ({"TENCENT_MEETING_RATE_LIMIT": "2"}, 1),
    ],
)
def test_peoples_share_of_the_budget_leaves_the_poller_some(env, expected) -> None:
    assert load_settings(env).interactive_call_limit == expected


def test_a_rate_limit_below_two_is_named() -> None:
    # With one call a minute, people's share would be all of it and the poller would starve.
    with pytest.raises(ConfigError, match="TENCENT_MEETING_RATE_LIMIT must be at least 2"):
        load_settings({"TENCENT_MEETING_RATE_LIMIT": "1"})


def test_a_negative_interactive_limit_is_named() -> None:
    with pytest.raises(ConfigError, match="TENCENT_MEETING_INTERACTIVE_LIMIT must be 0 or more"):
        load_settings({"TENCENT_MEETING_INTERACTIVE_LIMIT": "-1"})
