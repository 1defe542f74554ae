"""The types every layer shares: recordings and their files (`GET /v1/corp/records`), routes.

Records:

Parsing keeps every field the API sends that the model does not name (in `extra`), and rejects
a record that misses a required field with an error naming the field's path.
Secrets (passwords, download addresses) are kept out of `repr`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.tencent.errors import MalformedRecordError

STATE_RECORDING = 1
STATE_TRANSCODING = 2
STATE_DONE = 3
STATE_NAMES = {STATE_RECORDING: "recording", STATE_TRANSCODING: "transcoding", STATE_DONE: "ready"}

# The priorities of an API call (the throttle and its ledger in the store both use them):
# a person waiting in Slack goes ahead of the poller and the backfill.
INTERACTIVE = "interactive"
BACKGROUND = "background"


def _require(data: Mapping[str, Any], key: str, kind: type, path: str) -> Any:
    if key not in data or data[key] is None:
        raise MalformedRecordError(f"{path}.{key}", "is missing")
    return _coerce(data[key], kind, f"{path}.{key}")


def _optional(data: Mapping[str, Any], key: str, kind: type, path: str) -> Any:
    if key not in data or data[key] is None:
        return None
    return _coerce(data[key], kind, f"{path}.{key}")


def _coerce(value: Any, kind: type, path: str) -> Any:
    if kind is str:
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    elif kind is int:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif kind is bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
    raise MalformedRecordError(path, f"should be {kind.__name__}, got {type(value).__name__}")


@dataclass(frozen=True)
class RecordFile:
    record_file_id: str
    record_start_time: int  # ms
    record_end_time: int  # ms
    record_size: int  # bytes
    sharing_state: int  # 0 off, 1 on
    sharing_url: str | None = None
    required_same_corp: bool | None = None
    required_participant: bool | None = None
    password: str | None = field(default=None, repr=False)
    sharing_expire: int | None = None  # ms; 0 = never
    view_address: str | None = field(default=None, repr=False)
    allow_download: bool | None = None
    download_address: str | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN = (
        ("record_file_id", str, True),
        ("record_start_time", int, True),
        ("record_end_time", int, True),
        ("record_size", int, True),
        ("sharing_state", int, True),
        ("sharing_url", str, False),
        ("required_same_corp", bool, False),
        ("required_participant", bool, False),
        ("password", str, False),
        ("sharing_expire", int, False),
        ("view_address", str, False),
        ("allow_download", bool, False),
        ("download_address", str, False),
    )

    @property
    def duration_seconds(self) -> int:
        return max(0, (self.record_end_time - self.record_start_time) // 1000)

    @property
    def shared(self) -> bool:
        return self.sharing_state == 1

    @classmethod
    def parse(cls, data: Any, path: str = "record_file") -> RecordFile:
        if not isinstance(data, Mapping):
            raise MalformedRecordError(path, "is not an object")
        values = {
            key: (_require if required else _optional)(data, key, kind, path)
            for key, kind, required in cls._KNOWN  # type: ignore[attr-defined]
        }
        known = {key for key, _, _ in cls._KNOWN}  # type: ignore[attr-defined]
        values["extra"] = {k: v for k, v in data.items() if k not in known}
        return cls(**values)


@dataclass(frozen=True)
class RecordMeeting:
    meeting_record_id: str
    meeting_id: str
    meeting_code: str
    userid: str
    media_start_time: int  # ms
    subject: str
    state: int  # 1 recording, 2 transcoding, 3 done
    record_files: tuple[RecordFile, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _KNOWN = (
        ("meeting_record_id", str),
        ("meeting_id", str),
        ("meeting_code", str),
        ("userid", str),
        ("media_start_time", int),
        ("subject", str),
        ("state", int),
    )

    @property
    def done(self) -> bool:
        return self.state == STATE_DONE

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

    @classmethod
    def parse(cls, data: Any, path: str = "record_meetings[0]") -> RecordMeeting:
        if not isinstance(data, Mapping):
            raise MalformedRecordError(path, "is not an object")
        values: dict[str, Any] = {
            key: _require(data, key, kind, path)
            for key, kind in cls._KNOWN  # type: ignore[attr-defined]
        }
        raw_files = data.get("record_files") or []
        if not isinstance(raw_files, list):
            raise MalformedRecordError(f"{path}.record_files", "is not a list")
        values["record_files"] = tuple(
            RecordFile.parse(item, f"{path}.record_files[{i}]") for i, item in enumerate(raw_files)
        )
        known = {key for key, _ in cls._KNOWN} | {"record_files"}  # type: ignore[attr-defined]
        values["extra"] = {k: v for k, v in data.items() if k not in known}
        return cls(**values)

    def to_api_dict(self) -> dict[str, Any]:
        """The record as the API would send it (the inverse of `parse`)."""
        out: dict[str, Any] = dict(self.extra)
        for key, _ in self._KNOWN:  # type: ignore[attr-defined]
            out[key] = getattr(self, key)
        files = []
        for f in self.record_files:
            item: dict[str, Any] = dict(f.extra)
            for key, _, _ in f._KNOWN:  # type: ignore[attr-defined]
                value = getattr(f, key)
                if value is not None:
                    item[key] = value
            files.append(item)
        if files:
            out["record_files"] = files
        return out


@dataclass(frozen=True)
class RecordsPage:
    """One page of `GET /v1/corp/records`."""

    total_count: int
    current_size: int
    current_page: int
    total_page: int
    record_meetings: tuple[RecordMeeting, ...]
    # Records left out because they were malformed (only with strict=False): each error names
    # the record (its id when it has one) and the field.
    rejected: tuple[MalformedRecordError, ...] = ()

    @classmethod
    def parse(cls, data: Any, *, strict: bool = True) -> RecordsPage:
        """Parse a page. strict: a malformed record fails the page; otherwise it is left out
        and listed in `rejected`, so one bad record cannot block every record beside it."""
        if not isinstance(data, Mapping):
            raise MalformedRecordError("response", "is not a JSON object")
        values = {
            key: _require(data, key, int, "response")
            for key in ("total_count", "current_size", "current_page", "total_page")
        }
        raw = data.get("record_meetings") or []
        if not isinstance(raw, list):
            raise MalformedRecordError("response.record_meetings", "is not a list")
        meetings: list[RecordMeeting] = []
        rejected: list[MalformedRecordError] = []
        for i, item in enumerate(raw):
            path = f"record_meetings[{i}]"
            try:
                meetings.append(RecordMeeting.parse(item, path))
            except MalformedRecordError as exc:
                if strict:
                    raise
                record_id = item.get("meeting_record_id") if isinstance(item, Mapping) else None
                if isinstance(record_id, str | int) and not isinstance(record_id, bool):
                    exc.args = (f"{exc.args[0]} (meeting_record_id {record_id})",)
                rejected.append(exc)
        return cls(record_meetings=tuple(meetings), rejected=tuple(rejected), **values)


@dataclass(frozen=True)
class Addresses:
    """Fresh, short-lived addresses of one record file (`GET /v1/addresses/{id}`)."""

    record_file_id: str
    view_address: str | None = field(default=None, repr=False)
    download_address: str | None = field(default=None, repr=False)
    audio_address: str | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


# -- routes: which recordings go to which channel (the rules are in bot/routing.py) ----
PASSWORD_POLICIES = ("show", "button", "hide")
DEFAULT_POLICY = "button"  # noqa: S105 (a policy name, not a password)


@dataclass(frozen=True)
class RouteSpec:
    """What a new route matches and how it posts (parsed from `host:... subject:...`)."""

    match_host: str | None = None
    match_subject: str | None = None
    match_subject_regex: str | None = None
    match_code: str | None = None
    password_policy: str = DEFAULT_POLICY
    download: bool = False


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

    def conditions(self) -> list[str]:
        """The match conditions in words, e.g. ["host=alice", "subject contains 周会"]."""
        out = []
        if self.match_host:
            out.append(f"host={self.match_host}")
        if self.match_subject:
            out.append(f"subject contains {self.match_subject}")
        if self.match_subject_regex:
            out.append(f"subject matches /{self.match_subject_regex}/")
        if self.match_code:
            out.append(f"code={self.match_code}")
        return out

    def describe(self) -> str:
        """One line, e.g. "#2 → <#C123>: host=alice, password: button, download: off"."""
        if self.id is None:
            label = "default" if self.is_default else "route"
        else:
            label = f"#{self.id}" + (" (default)" if self.is_default else "")
        what = self.conditions() or ["everything"]
        parts = [
            *what,
            f"password: {self.password_policy}",
            f"download: {'on' if self.download else 'off'}",
        ]
        line = f"{label} → <#{self.channel}>: {', '.join(parts)}"
        if self.broken_reason:
            line += f" (broken: {self.broken_reason})"
        return line
