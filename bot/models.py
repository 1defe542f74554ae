"""The types every layer shares: recordings and their files (`GET /v1/corp/records`), routes.

Records:

Frozen pydantic models, validated when built. A value of the documented type passes natively
(fast, as when the store rebuilds its rows); anything else goes through the coercions the API
needs: an id sent as a number becomes a string, a time sent as a numeric string a number, 0 / 1
a flag. What cannot be coerced fails with the error type `wrong_type`. `extra` holds the fields
the API sends that a model does not name, and takes no part in equality or hashing. Reading an
answer (gathering the unknown fields, naming a bad field's path) is the Tencent side's job:
bot/tencent/records.py. Secrets (passwords, download addresses) are kept out of `repr`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from bot.i18n import _

STATE_RECORDING = 1
STATE_TRANSCODING = 2
STATE_DONE = 3
STATE_NAMES = {STATE_RECORDING: "recording", STATE_TRANSCODING: "transcoding", STATE_DONE: "ready"}

# The priorities of an API call (the throttle and its ledger in the store both use them):
# a person waiting in Slack goes ahead of the poller and the backfill.
INTERACTIVE = "interactive"
BACKGROUND = "background"


def _text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError("not a str")


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError("not an int")


def _flag(value: Any) -> bool:
    if value in (0, 1):
        return bool(value)
    raise ValueError("not a bool")


_EXACT = {
    "str": core_schema.str_schema(strict=True),
    "int": core_schema.int_schema(strict=True),
    "bool": core_schema.bool_schema(strict=True),
}


@dataclass(frozen=True)
class _Lenient:
    """The exact type natively; anything else through `coerce`, or one `wrong_type` error."""

    kind: str  # "str", "int" or "bool"
    coerce: Callable[[Any], Any]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.union_schema(
            [_EXACT[self.kind], core_schema.no_info_plain_validator_function(self.coerce)],
            mode="left_to_right",
            custom_error_type="wrong_type",
            custom_error_message=f"should be {self.kind}",
            custom_error_context={"kind": self.kind},
        )


# A str, or an int sent for one; an int, or a bool, an integral float or a numeric str; a bool,
# or 0 / 1.
Text = Annotated[str, _Lenient("str", _text)]
Whole = Annotated[int, _Lenient("int", _whole)]
Flag = Annotated[bool, _Lenient("bool", _flag)]


class ApiRecord(BaseModel):
    """Base of the record types: frozen, built by keyword; `extra` is ignored by == and hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def _compared(self) -> tuple[Any, ...]:
        return tuple(value for name, value in self.__dict__.items() if name != "extra")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._compared())


class RecordFile(ApiRecord):
    record_file_id: Text
    record_start_time: Whole  # ms
    record_end_time: Whole  # ms
    record_size: Whole  # bytes
    sharing_state: Whole  # 0 off, 1 on
    sharing_url: Text | None = None
    required_same_corp: Flag | None = None
    required_participant: Flag | None = None
    password: Text | None = Field(default=None, repr=False)
    sharing_expire: Whole | None = None  # ms; 0 = never
    view_address: Text | None = Field(default=None, repr=False)
    allow_download: Flag | None = None
    download_address: Text | None = Field(default=None, repr=False)
    extra: dict[str, Any] = Field(default_factory=dict, repr=False)
    # Not an API field: the file has a password the store did not keep (no PASSWORD_KEY, every
    # route hides it, or it could not be decrypted); it is fetched fresh when someone may see it.
    password_withheld: bool = Field(default=False, repr=False)

    @property
    def has_password(self) -> bool:
        return bool(self.password) or self.password_withheld

    def without_password(self) -> RecordFile:
        """This file with its password left out (remembering that it has one)."""
        if not self.password:
            return self
        return self.model_copy(update={"password": None, "password_withheld": True})

    @property
    def duration_seconds(self) -> int:
        return max(0, (self.record_end_time - self.record_start_time) // 1000)

    @property
    def shared(self) -> bool:
        return self.sharing_state == 1


class RecordMeeting(ApiRecord):
    meeting_record_id: Text
    meeting_id: Text
    meeting_code: Text
    userid: Text
    media_start_time: Whole  # ms
    subject: Text
    state: Whole  # 1 recording, 2 transcoding, 3 done
    record_files: tuple[RecordFile, ...] = ()
    extra: dict[str, Any] = Field(default_factory=dict, repr=False)
    # When the store learnt it was deleted in Tencent Meeting (never sent by the API).
    deleted_at: float | None = Field(default=None, exclude=True)

    @property
    def done(self) -> bool:
        return self.state == STATE_DONE

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def state_name(self) -> str:
        return STATE_NAMES.get(self.state, f"state {self.state}")

    @property
    def start_seconds(self) -> int:
        return self.media_start_time // 1000

    @property
    def duration_seconds(self) -> int:
        return sum(f.duration_seconds for f in self.record_files)

    @property
    def total_size(self) -> int:
        return sum(f.record_size for f in self.record_files)


class RecordsPage(ApiRecord):
    """One page of `GET /v1/corp/records`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)  # `rejected` holds exceptions

    total_count: Whole
    current_size: Whole
    current_page: Whole
    total_page: Whole
    record_meetings: tuple[RecordMeeting, ...]
    # Records left out because they were malformed (only with strict=False): each error (the
    # Tencent side's MalformedRecordError) names the record (its id when it has one) and the field.
    rejected: tuple[Exception, ...] = ()


class Addresses(ApiRecord):
    """Fresh, short-lived addresses of one record file (`GET /v1/addresses/{id}`)."""

    record_file_id: Text
    view_address: Text | None = Field(default=None, repr=False)
    download_address: Text | None = Field(default=None, repr=False)
    audio_address: Text | None = Field(default=None, repr=False)
    extra: dict[str, Any] = Field(default_factory=dict, repr=False)


# -- routes: which recordings go to which channel (the rules are in bot/routing.py) ----
PASSWORD_POLICIES = ("show", "button", "hide")
DEFAULT_POLICY = "button"  # noqa: S105 (a policy name, not a password)
# What a channel gets of a recording's AI minutes, to-dos and chapters (in the post's thread):
# `thread` only for recordings shared company-wide or to everyone, `always` whatever the
# sharing, `off` never.
SUMMARY_POLICIES = ("thread", "off", "always")
DEFAULT_SUMMARY = "thread"
# The language a channel gets the AI minutes and chapters in (Tencent translates: `lang`);
# `default` is the meeting's own.
CONTENT_LANGS = ("default", "zh", "en", "ja")
DEFAULT_LANG = "default"


@dataclass(frozen=True)
class RouteSpec:
    """What a new route matches and how it posts (parsed from `host:... subject:...`)."""

    match_host: str | None = None
    match_subject: str | None = None
    match_subject_regex: str | None = None
    match_code: str | None = None
    password_policy: str = DEFAULT_POLICY
    download: bool = False
    summary: str = DEFAULT_SUMMARY
    lang: str = DEFAULT_LANG


@dataclass(frozen=True)
class Route:
    id: int | None
    channel: str
    channel_name: str | None = None
    match_host: str | None = None
    match_subject: str | None = None
    match_subject_regex: str | None = None
    match_code: str | None = None
    password_policy: str = DEFAULT_POLICY
    download: bool = False
    is_default: bool = False
    broken_reason: str | None = None
    created_by: str | None = None
    created_at: float | None = None
    summary: str = DEFAULT_SUMMARY
    lang: str = DEFAULT_LANG

    def conditions(self) -> list[str]:
        """The match conditions in words, e.g. ["host=alice", "subject contains 周会"]."""
        out = []
        if self.match_host:
            out.append(f"host={self.match_host}")
        if self.match_subject:
            out.append(_("subject contains {words}").format(words=self.match_subject))
        if self.match_subject_regex:
            out.append(
                _("subject matches {pattern}").format(pattern=f"/{self.match_subject_regex}/")
            )
        if self.match_code:
            out.append(f"code={self.match_code}")
        return out

    def describe(self) -> str:
        """One line, e.g. "#2 → <#C123>: host=alice, password: button, download: off"
        (`summary: off|always` when not the default)."""
        if self.id is None:
            label = _("default") if self.is_default else _("route")
        else:
            label = f"#{self.id}" + (" " + _("(default)") if self.is_default else "")
        what = self.conditions() or [_("everything")]
        parts = [
            *what,
            f"password: {self.password_policy}",
            f"download: {'on' if self.download else 'off'}",
        ]
        if self.summary != DEFAULT_SUMMARY:
            parts.append(f"summary: {self.summary}")
        if self.lang != DEFAULT_LANG:
            parts.append(f"lang: {self.lang}")
        line = f"{label} → <#{self.channel}>: {', '.join(parts)}"
        if self.broken_reason:
            line += " " + _("(broken: {reason})").format(reason=self.broken_reason)
        return line
