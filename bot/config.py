"""Settings from the environment (and a `.env` file if present), validated once at start.

Every problem is reported at once, naming the variable; secret values are never echoed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Credentials the embedded emulator accepts by default, so a bot and an emulator started
# from one (empty) environment agree. They open nothing outside this machine.
DEMO_APP_ID = "200000001"
DEMO_SECRET_ID = "demo-secret-id"  # noqa: S105 (a local demo value)
DEMO_SECRET_KEY = "demo-secret-key-not-for-production"  # noqa: S105


class ConfigError(ValueError):
    """One or more environment variables are missing or malformed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Configuration problems:\n" + "\n".join(f"  - {p}" for p in problems))


def _secret(default: str = "") -> str:
    return field(default=default, repr=False)


@dataclass(frozen=True)
class Settings:
    # Tencent Meeting
    tencent_api_url: str = "https://api.meeting.qq.com"
    tencent_app_id: str = ""
    tencent_sdk_id: str = ""
    tencent_secret_id: str = ""
    tencent_secret_key: str = _secret()
    tencent_operator_id: str = ""
    tencent_rate_limit: int = 10
    tencent_webhook_token: str = _secret()
    tencent_webhook_aes_key: str = _secret()
    # Store and time
    recordings_db: str = "recordings.db"
    bot_timezone: str = "Asia/Shanghai"
    # Poller
    poll_interval_seconds: int = 120
    poll_lookback_hours: float = 12.0
    pending_max_hours: float = 72.0
    poll_lease_seconds: float = 0.0  # 0: automatic (3 poll intervals, at least 120 s)
    # Slack
    slack_bot_token: str = _secret()
    slack_signing_secret: str = _secret()
    slack_app_token: str = _secret()
    slack_api_url: str = ""
    admin_user_ids: tuple[str, ...] = ()
    admin_channel: str = ""
    default_channel: str = ""
    port: int = 3000
    webhook_port: int = 3001

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def has_tencent_credentials(self) -> bool:
        return bool(self.tencent_app_id and self.tencent_secret_id and self.tencent_secret_key)

    def redacted(self) -> dict[str, object]:
        """The settings as a dict safe to print: secrets shown only as set / unset."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = ("(set)" if value else "(unset)") if not f.repr else value
        return out


# env name -> (field name, kind). Kinds: str, int, float, url, tz, csv
_VARIABLES: dict[str, tuple[str, str]] = {
    "TENCENT_MEETING_API_URL": ("tencent_api_url", "url"),
    "TENCENT_MEETING_APP_ID": ("tencent_app_id", "str"),
    "TENCENT_MEETING_SDK_ID": ("tencent_sdk_id", "str"),
    "TENCENT_MEETING_SECRET_ID": ("tencent_secret_id", "str"),
    "TENCENT_MEETING_SECRET_KEY": ("tencent_secret_key", "str"),
    "TENCENT_MEETING_OPERATOR_ID": ("tencent_operator_id", "str"),
    "TENCENT_MEETING_RATE_LIMIT": ("tencent_rate_limit", "int"),
    "TENCENT_MEETING_WEBHOOK_TOKEN": ("tencent_webhook_token", "str"),
    "TENCENT_MEETING_WEBHOOK_AES_KEY": ("tencent_webhook_aes_key", "str"),
    "RECORDINGS_DB": ("recordings_db", "str"),
    "BOT_TIMEZONE": ("bot_timezone", "tz"),
    "POLL_INTERVAL_SECONDS": ("poll_interval_seconds", "int"),
    "POLL_LOOKBACK_HOURS": ("poll_lookback_hours", "float"),
    "PENDING_MAX_HOURS": ("pending_max_hours", "float"),
    "POLL_LEASE_SECONDS": ("poll_lease_seconds", "float"),
    "SLACK_BOT_TOKEN": ("slack_bot_token", "str"),
    "SLACK_SIGNING_SECRET": ("slack_signing_secret", "str"),
    "SLACK_APP_TOKEN": ("slack_app_token", "str"),
    "SLACK_API_URL": ("slack_api_url", "url"),
    "ADMIN_USER_IDS": ("admin_user_ids", "csv"),
    "ADMIN_CHANNEL": ("admin_channel", "str"),
    "DEFAULT_CHANNEL": ("default_channel", "str"),
    "PORT": ("port", "int"),
    "WEBHOOK_PORT": ("webhook_port", "int"),
}

_POSITIVE = {
    "tencent_rate_limit",
    "poll_interval_seconds",
    "poll_lookback_hours",
    "pending_max_hours",
    "port",
    "webhook_port",
}


def env_name(field_name: str) -> str:
    """The environment variable that sets a Settings field."""
    for name, (fname, _) in _VARIABLES.items():
        if fname == field_name:
            return name
    raise KeyError(field_name)


def _convert(name: str, kind: str, raw: str) -> object:
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if kind == "url":
        if not raw.startswith(("http://", "https://")):
            raise ValueError(f"{name} must start with http:// or https://")
        return raw.rstrip("/")
    if kind == "tz":
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name} must be an IANA time zone such as Asia/Shanghai") from None
        return raw
    if kind == "csv":
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    require: tuple[str, ...] = (),
    dotenv: bool = True,
    **overrides: object,
) -> Settings:
    """Read Settings from `environ` (default: os.environ, after loading `.env` if present).

    `require` names fields that must be non-empty for the command being run
    (e.g. ("slack_bot_token", "slack_signing_secret") for `run`). Raises ConfigError
    listing every problem.
    """
    if environ is None:
        if dotenv:
            from dotenv import find_dotenv, load_dotenv

            # The .env of the working folder (or a parent), not of the installed package.
            load_dotenv(find_dotenv(usecwd=True), override=False)
        environ = os.environ
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, (fname, kind) in _VARIABLES.items():
        raw = environ.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            value = _convert(name, kind, raw.strip())
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if fname in _POSITIVE and isinstance(value, int | float) and value <= 0:
            problems.append(f"{name} must be greater than 0")
            continue
        values[fname] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    for fname in require:
        if not values.get(fname):
            problems.append(f"{env_name(fname)} is required but not set")
    if problems:
        raise ConfigError(problems)
    return Settings(**values)  # type: ignore[arg-type]
