"""Faults to inject into the next matching calls: errors, HTML, broken JSON, slow or dropped
answers, and reshaped pages."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bot.emulator.tencent.answers import (
    E_API_MINUTE_LIMIT,
    E_APP_MINUTE_LIMIT,
    E_INTERNAL,
    Answer,
    Rejection,
)
from bot.emulator.tencent.records import RECORDS_PATH
from bot.models import STATE_DONE

FAULT_KINDS = frozenset(
    {
        "500",
        "503_html",
        "slow",
        "malformed_json",
        "wrong_shape",
        "missing_field",
        "drop",
        "throttle",
        "throttle_app",
        "error",
    }
)
# Faults where the server saw and failed on the call: they use up rate-limit room.
COUNTED_FAULTS = frozenset({"500", "503_html", "malformed_json", "drop"})

_HTML_503 = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>"
)


@dataclass
class Fault:
    kind: str
    count: int | None = 1  # None: until cleared
    path_prefix: str = RECORDS_PATH
    delay: float = 5.0  # "slow": seconds before answering
    code: int | None = None  # "error": the error_code
    status: int = 400  # "error": the HTTP status
    message: str = ""
    variant: str = "no_total_page"  # "wrong_shape": or "meetings_not_list"
    field: str = "meeting_id"  # "missing_field": the field left out of the first record


class Faults:
    """Faults to inject into the next matching calls, first added first served.

    A fault is taken before the signature check. "slow" then answers normally after `delay`;
    "wrong_shape" and "missing_field" reshape the normal answer; the others replace it. On
    corp/records, "500", "503_html", "malformed_json" and "drop" use up rate-limit room (the
    server saw the call); the error kinds do not (rejected calls never count).
    """

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        count: int | None = 1,
        path_prefix: str = RECORDS_PATH,
        *,
        delay: float = 5.0,
        code: int | None = None,
        status: int = 400,
        message: str = "",
        variant: str = "no_total_page",
        field: str = "meeting_id",
    ) -> Fault:
        """Make the next `count` calls under `path_prefix` fail as `kind` (see FAULT_KINDS)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        if kind == "error" and code is None:
            raise ValueError('the "error" fault needs code=')
        if variant not in ("no_total_page", "meetings_not_list"):
            raise ValueError(f"unknown wrong_shape variant {variant!r}")
        fault = Fault(kind, count, path_prefix, delay, code, status, message, variant, field)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        """The fault for a call to `path`, if any (using up one of its count)."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path_prefix):
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self._faults.remove(fault)
                    return fault
            return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


def replacement(fault: Fault) -> Answer | None:
    """The answer that replaces the real one; None when the real one is served ("slow", after
    its delay) or reshaped ("wrong_shape", "missing_field": see `reshape`)."""
    kind = fault.kind
    if kind == "500":
        rej = Rejection(fault.code or E_INTERNAL, fault.message or "internal error", 500)
        return Answer.error(rej)
    if kind == "503_html":
        return Answer(503, _HTML_503, "text/html")
    if kind == "malformed_json":
        return Answer(200, b'{"total_count": 3, "current_size": 3, "record_meetings": [{"m')
    if kind == "drop":
        return Answer(0, drop=True)
    if kind == "throttle":
        msg = fault.message or "the per-minute limit of this API was exceeded"
        return Answer.error(Rejection(E_API_MINUTE_LIMIT, msg))
    if kind == "throttle_app":
        msg = fault.message or "the app's per-minute call limit was exceeded"
        return Answer.error(Rejection(E_APP_MINUTE_LIMIT, msg))
    if kind == "error":
        assert fault.code is not None
        msg = fault.message or f"injected error {fault.code}"
        return Answer.error(Rejection(fault.code, msg, fault.status))
    return None  # slow / wrong_shape / missing_field


def reshape(fault: Fault, answer: Answer) -> None:
    """Apply a wrong_shape / missing_field fault to a successful JSON answer."""
    payload = answer.payload
    if answer.status != 200 or not isinstance(payload, dict):
        return
    if fault.kind == "wrong_shape":
        if fault.variant == "meetings_not_list":
            payload["record_meetings"] = {"record_meeting": payload.get("record_meetings")}
        else:
            payload.pop("total_page", None)
    elif fault.kind == "missing_field":
        meetings = payload.get("record_meetings")
        if isinstance(meetings, list):
            if not meetings:
                meetings.append(
                    {
                        "meeting_record_id": "1000000000000000001",
                        "meeting_id": "1000000000000000002",
                        "meeting_code": "100000003",
                        "userid": "ghost",
                        "media_start_time": 0,
                        "subject": "missing field",
                        "state": STATE_DONE,
                    }
                )
                payload["total_count"] = max(1, payload.get("total_count", 0))
                payload["current_size"] = len(meetings)
            meetings[0].pop(fault.field, None)
