"""Settings from the environment (and a `.env` file if present), validated once at start.

Every problem is reported at once, naming the variable; secret values are never echoed.

`Settings` is a frozen pydantic-settings model: each field names its environment variable
(its alias), secrets are `SecretStr` (shown as `**********`; read with `.get_secret_value()`),
and the validators below give the messages the README promises, e.g.
"TENCENT_MEETING_RATE_LIMIT must be a whole number, got 'ten'". Values are stripped and a blank
value counts as unset. `load_settings` reads a given mapping, or os.environ after loading the
`.env` of the working folder (python-dotenv, never overriding the real environment), and turns
pydantic's errors into one ConfigError.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

# Credentials the embedded emulator accepts by default, so a bot and an emulator started
# from one (empty) environment agree. They open nothing outside this machine.
DEMO_APP_ID = "200000001"
DEMO_SECRET_ID = "demo-secret-id"  # noqa: S105 (a local demo value)
DEMO_SECRET_KEY = "demo-secret-key-not-for-production"  # noqa: S105

_PROBLEM = "config_problem"  # the error type of the validators below


class ConfigError(ValueError):
    """One or more environment variables are missing or malformed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Configuration problems:\n" + "\n".join(f"  - {p}" for p in problems))


def _problem(text: str) -> PydanticCustomError:
    # The text goes in as context, so braces in a quoted value are not read as a template.
    return PydanticCustomError(_PROBLEM, "{problem}", {"problem": text})


def _name(info: ValidationInfo) -> str:
    return env_name(info.field_name) if info.field_name else "a setting"


def _whole(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise _problem(f"{_name(info)} must be a whole number, got {value!r}") from None
    return value


def _number(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise _problem(f"{_name(info)} must be a number, got {value!r}") from None
    return value


def _positive(value: float, info: ValidationInfo) -> float:
    if value <= 0:
        raise _problem(f"{_name(info)} must be greater than 0")
    return value


def _at_least_two(value: int, info: ValidationInfo) -> int:
    if value < 2:
        raise _problem(
            f"{_name(info)} must be at least 2: the poller and people's questions each need a "
            "call a minute"
        )
    return value


def _not_negative(value: float, info: ValidationInfo) -> float:
    if value < 0:
        raise _problem(f"{_name(info)} must be 0 or more")
    return value


def _url(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str) and value:
        if not value.startswith(("http://", "https://")):
            raise _problem(f"{_name(info)} must start with http:// or https://")
        return value.rstrip("/")
    return value


def _time_zone(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _problem(
                f"{_name(info)} must be an IANA time zone such as Asia/Shanghai"
            ) from None
    return value


PASSWORD_KEY_MIN_LENGTH = 16


def _password_key(value: SecretStr, info: ValidationInfo) -> SecretStr:
    secret = value.get_secret_value()
    if secret and (len(secret) < PASSWORD_KEY_MIN_LENGTH or secret != secret.strip()):
        raise _problem(
            f"{_name(info)} must be at least {PASSWORD_KEY_MIN_LENGTH} characters (any string: "
            "a Fernet key is derived from it), e.g. the output of `openssl rand -base64 32`"
        )
    return value


def _csv(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


Whole = Annotated[int, BeforeValidator(_whole)]
PositiveWhole = Annotated[int, BeforeValidator(_whole), AfterValidator(_positive)]
NonNegativeWhole = Annotated[int, BeforeValidator(_whole), AfterValidator(_not_negative)]
CallsAMinute = Annotated[int, BeforeValidator(_whole), AfterValidator(_at_least_two)]
Number = Annotated[float, BeforeValidator(_number)]
PositiveNumber = Annotated[float, BeforeValidator(_number), AfterValidator(_positive)]
BaseUrl = Annotated[str, BeforeValidator(_url)]  # http(s)://..., without a trailing slash
TimeZoneName = Annotated[str, BeforeValidator(_time_zone)]
PasswordKey = Annotated[SecretStr, AfterValidator(_password_key)]
CommaSeparated = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_csv)]
_UNSET = SecretStr("")


def _env(variable: str, default: Any = "") -> Any:
    return Field(default, validation_alias=variable)


# The mapping load_settings reads instead of os.environ, for the Settings built in its context.
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("settings_environ", default=None)


class _Environment(EnvSettingsSource):
    """The environment variables (os.environ, or the mapping given to load_settings), each
    value stripped, blank ones left out."""

    def __init__(self, settings_cls: type[BaseSettings]):
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environ = _ENVIRON.get()
        if environ is None:
            environ = os.environ
        return {name: value.strip() for name, value in environ.items() if value and value.strip()}


class Settings(BaseSettings):
    """The bot's settings; `Settings()` reads os.environ, `load_settings` any mapping."""

    model_config = SettingsConfigDict(frozen=True, validate_by_name=True, extra="ignore")

    # Tencent Meeting
    tencent_api_url: BaseUrl = _env("TENCENT_MEETING_API_URL", "https://api.meeting.qq.com")
    tencent_app_id: str = _env("TENCENT_MEETING_APP_ID")
    tencent_sdk_id: str = _env("TENCENT_MEETING_SDK_ID")
    tencent_secret_id: str = _env("TENCENT_MEETING_SECRET_ID")
    tencent_secret_key: SecretStr = _env("TENCENT_MEETING_SECRET_KEY", _UNSET)
    tencent_operator_id: str = _env("TENCENT_MEETING_OPERATOR_ID")
    tencent_rate_limit: CallsAMinute = _env("TENCENT_MEETING_RATE_LIMIT", 10)
    # 0: automatic (70% of the rate limit); see interactive_call_limit
    tencent_interactive_limit: NonNegativeWhole = _env("TENCENT_MEETING_INTERACTIVE_LIMIT", 0)
    tencent_webhook_token: SecretStr = _env("TENCENT_MEETING_WEBHOOK_TOKEN", _UNSET)
    tencent_webhook_aes_key: SecretStr = _env("TENCENT_MEETING_WEBHOOK_AES_KEY", _UNSET)
    # Store and time
    recordings_db: str = _env("RECORDINGS_DB", "recordings.db")
    # postgresql://USER:PASSWORD@HOST:PORT/DATABASE: PostgreSQL instead of the SQLite file
    database_url: SecretStr = _env("DATABASE_URL", _UNSET)
    # How long a write waits for another process's lock on the database before failing.
    recordings_db_busy_seconds: PositiveNumber = _env("RECORDINGS_DB_BUSY_SECONDS", 30.0)
    bot_timezone: TimeZoneName = _env("BOT_TIMEZONE", "Asia/Shanghai")
    # The language of channel messages whose route names none, and of admin notices
    bot_language: Literal["en", "zh"] = _env("BOT_LANGUAGE", "en")
    # Encrypts the meeting passwords the store keeps; unset: none are kept (bot/store/passwords.py)
    password_key: PasswordKey = _env("PASSWORD_KEY", _UNSET)
    # Poller
    poll_interval_seconds: PositiveWhole = _env("POLL_INTERVAL_SECONDS", 120)
    poll_lookback_hours: PositiveNumber = _env("POLL_LOOKBACK_HOURS", 12.0)
    pending_max_hours: PositiveNumber = _env("PENDING_MAX_HOURS", 72.0)
    # 0: automatic (3 poll intervals, at least 120 s)
    poll_lease_seconds: Number = _env("POLL_LEASE_SECONDS", 0.0)
    # Slack
    slack_bot_token: SecretStr = _env("SLACK_BOT_TOKEN", _UNSET)
    slack_signing_secret: SecretStr = _env("SLACK_SIGNING_SECRET", _UNSET)
    slack_app_token: SecretStr = _env("SLACK_APP_TOKEN", _UNSET)
    slack_api_url: BaseUrl = _env("SLACK_API_URL")
    admin_user_ids: CommaSeparated = _env("ADMIN_USER_IDS", ())
    admin_channel: str = _env("ADMIN_CHANNEL")
    default_channel: str = _env("DEFAULT_CHANNEL")
    port: PositiveWhole = _env("PORT", 3000)
    webhook_port: PositiveWhole = _env("WEBHOOK_PORT", 3001)
    # text: one readable line a record; json: one JSON object a line, for log collectors
    log_format: Literal["text", "json"] = _env("LOG_FORMAT", "text")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments, then the environment; `.env` is loaded by load_settings (python-dotenv).
        return init_settings, _Environment(settings_cls)

    @property
    def database_location(self) -> str:
        """What the store opens: DATABASE_URL when set, else the SQLite file RECORDINGS_DB."""
        return self.database_url.get_secret_value().strip() or self.recordings_db

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)

    @property
    def interactive_call_limit(self) -> int:
        """corp/records calls a minute people's queries may use: TENCENT_MEETING_INTERACTIVE_LIMIT,
        or 70% of the rate limit; never all of it, so the poller always gets a call a minute."""
        limit = self.tencent_rate_limit
        share = self.tencent_interactive_limit or limit * 7 // 10
        return max(1, min(share, limit - 1))

    @property
    def has_tencent_credentials(self) -> bool:
        return bool(self.tencent_app_id and self.tencent_secret_id and self.tencent_secret_key)

    def redacted(self) -> dict[str, object]:
        """The settings as a dict safe to print: secrets shown only as set / unset."""
        return {
            name: ("(set)" if value else "(unset)") if isinstance(value, SecretStr) else value
            for name, value in self
        }

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, validated like the original (a str given for a
        secret becomes a SecretStr). The settings themselves never change."""
        return _read({}, {**dict(self), **changes})


def env_name(field_name: str) -> str:
    """The environment variable that sets a Settings field."""
    return str(Settings.model_fields[field_name].validation_alias)


def _read(environ: Mapping[str, str], overrides: dict[str, object]) -> Settings:
    token = _ENVIRON.set(environ)
    try:
        return Settings(**overrides)
    finally:
        _ENVIRON.reset(token)


def _describe(error: Any) -> str:
    if error["type"] == _PROBLEM:
        return str(error["ctx"]["problem"])
    where = str(error["loc"][0]) if error["loc"] else "settings"
    return f"{env_name(where) if where in Settings.model_fields else where}: {error['msg']}"


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
    given = {k: v for k, v in overrides.items() if v is not None}
    problems: list[str] = []
    try:
        settings = _read(environ, given)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems += [_describe(error) for error in errors]
        # Read again without the bad values, to judge `require` as if they were unset.
        bad = {str(error["loc"][0]) for error in errors if error["loc"]}
        bad |= {env_name(name) for name in bad if name in Settings.model_fields}
        settings = _read(
            {k: v for k, v in environ.items() if k not in bad},
            {k: v for k, v in given.items() if k not in bad},
        )
    for fname in require:
        if fname not in settings.model_fields_set or not getattr(settings, fname):
            problems.append(f"{env_name(fname)} is required but not set")
    if problems:
        raise ConfigError(problems)
    return settings
