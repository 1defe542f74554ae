"""Answers of `GET /v1/corp/records` to the record types of bot/models.py, and back.

Reading an answer: the fields a model does not name are gathered in its `extra` (a meeting's
and each of its files'), then the model validates and coerces, and its first problem becomes a
MalformedRecordError naming the field's path as the answer spells it
(`record_meetings[1].record_files[0].record_size is missing`; null counts as missing). A page
read with strict=False leaves a malformed record out and lists it in `rejected`, so one bad
record cannot block every record beside it. `to_api_dict` writes a record back as the API sends
it (the emulator's data, round-trip tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.models import RecordFile, RecordMeeting, RecordsPage
from bot.tencent.errors import MalformedRecordError

_COUNTS = ("total_count", "current_size", "current_page", "total_page")
_NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}
_NOT_A_LIST = {"tuple_type", "list_type", "iterable_type"}

Model = TypeVar("Model", bound=BaseModel)


def _where(path: str, loc: tuple[int | str, ...]) -> str:
    return path + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)


def _malformed(exc: ValidationError, path: str) -> MalformedRecordError:
    """The first problem found (fields are checked in the models' order, the API's)."""
    error = exc.errors(include_url=False)[0]
    where = _where(path, tuple(error["loc"]))
    if error["type"] == "missing" or (error["type"] == "wrong_type" and error["input"] is None):
        return MalformedRecordError(where, "is missing")
    if error["type"] == "wrong_type":
        got = type(error["input"]).__name__
        return MalformedRecordError(where, f"should be {error['ctx']['kind']}, got {got}")
    if error["type"] in _NOT_AN_OBJECT:
        return MalformedRecordError(where, "is not an object")
    if error["type"] in _NOT_A_LIST:
        return MalformedRecordError(where, "is not a list")
    return MalformedRecordError(where, error["msg"])


_NOT_API = {"extra", "password_withheld"}  # model fields the API does not send


def _split(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields `model` names, and every other one gathered in `extra`."""
    names = model.model_fields.keys() - _NOT_API
    values = {key: value for key, value in data.items() if key in names}
    values["extra"] = {key: value for key, value in data.items() if key not in names}
    return values


def _meeting_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    values = _split(RecordMeeting, data)
    files = values.pop("record_files", None)
    if isinstance(files, list):
        files = [_split(RecordFile, item) if isinstance(item, Mapping) else item for item in files]
    if files:  # null or empty: no files; anything else but a list fails validation, in order
        values["record_files"] = files
    return values


def _validated(model: type[Model], data: Any, path: str) -> Model:
    if not isinstance(data, Mapping):
        raise MalformedRecordError(path, "is not an object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _malformed(exc, path) from None


def parse_file(data: Any, path: str = "record_file") -> RecordFile:
    """One record file of an answer; raises MalformedRecordError naming the field's path."""
    if isinstance(data, Mapping):
        data = _split(RecordFile, data)
    return _validated(RecordFile, data, path)


def parse_meeting(data: Any, path: str = "record_meetings[0]") -> RecordMeeting:
    """One recorded meeting of an answer, with its files; unknown fields kept in `extra`."""
    if isinstance(data, Mapping):
        data = _meeting_fields(data)
    return _validated(RecordMeeting, data, path)


def parse_page(data: Any, *, strict: bool = True) -> RecordsPage:
    """Parse a page. strict: a malformed record fails the page; otherwise it is left out
    and listed in `rejected`, so one bad record cannot block every record beside it."""
    if not isinstance(data, Mapping):
        raise MalformedRecordError("response", "is not a JSON object")
    counts = {key: data[key] for key in _COUNTS if key in data}
    page = _validated(RecordsPage, {**counts, "record_meetings": ()}, "response")
    raw = data.get("record_meetings") or []
    if not isinstance(raw, list):
        raise MalformedRecordError("response.record_meetings", "is not a list")
    meetings: list[RecordMeeting] = []
    rejected: list[MalformedRecordError] = []
    for i, item in enumerate(raw):
        try:
            meetings.append(parse_meeting(item, f"record_meetings[{i}]"))
        except MalformedRecordError as exc:
            if strict:
                raise
            record_id = item.get("meeting_record_id") if isinstance(item, Mapping) else None
            if isinstance(record_id, str | int) and not isinstance(record_id, bool):
                exc.args = (f"{exc.args[0]} (meeting_record_id {record_id})",)
            rejected.append(exc)
    return page.model_copy(update={"record_meetings": tuple(meetings), "rejected": tuple(rejected)})


def to_api_dict(meeting: RecordMeeting) -> dict[str, Any]:
    """The record as the API would send it (the inverse of `parse_meeting`)."""
    out: dict[str, Any] = dict(meeting.extra)
    out.update(meeting.model_dump(exclude={"extra", "record_files"}))
    files = [
        {**f.extra, **f.model_dump(exclude=_NOT_API, exclude_none=True)}
        for f in meeting.record_files
    ]
    if files:
        out["record_files"] = files
    return out
