"""The emulator's side of Tencent Meeting's webhook: sends `recording.completed` events.

Attach it with `TencentEmulator.enable_webhooks(url, token, aes_key)`: when a recording reaches
state 3 the emulator's ticker calls `on_completed`, and the event is POSTed (signed, encrypted
when an EncodingAESKey is given) from a background thread, so the emulator's own requests never
wait on the bot. On request it misbehaves as a real network might: `delay` (seconds before
sending), `duplicates` (extra copies of the same event, each with a new nonce, as an honest
retry would be), `drop` (the event is lost). `send_forged(kind)` sends what an attacker might;
`url_check()` performs the console's GET check.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from bot.tencent.webhook import (
    EVENT_RECORDING_APPLY,
    EVENT_RECORDING_COMPLETED,
    EVENT_RECORDING_DELETED,
    EVENT_RECORDING_UPDATED,
    build_request,
    build_url_check,
    encode_data,
    signature,
)

if TYPE_CHECKING:
    from bot.emulator.tencent.dataset import EmulatedMeeting

log = logging.getLogger(__name__)

FORGERIES = (
    "bad_signature",
    "stale_timestamp",
    "replayed_nonce",
    "undecryptable",
    "malformed_json",
)


def meeting_info(meeting: EmulatedMeeting) -> dict[str, Any]:
    """An event item's `meeting_info` for `meeting`."""
    return {
        "meeting_id": meeting.meeting_id,
        "meeting_code": meeting.meeting_code,
        "subject": meeting.subject,
        "creator": {"userid": meeting.userid, "user_name": meeting.userid},
        "meeting_type": 0,
        "start_time": int(meeting.start),
        "end_time": int(meeting.end),
    }


def completed_event(meeting: EmulatedMeeting, now: float) -> dict[str, Any]:
    """The `recording.completed` event Tencent sends for `meeting`, completed at `now`."""
    return {
        "event": EVENT_RECORDING_COMPLETED,
        "trace_id": str(uuid.uuid4()),
        "payload": [
            {
                "operate_time": int(now * 1000),
                "recording_files": [{"record_file_id": f.record_file_id} for f in meeting.files],
                "meeting_info": meeting_info(meeting),
            }
        ],
    }


def apply_event(
    meeting: EmulatedMeeting,
    apply_id: str,
    now: float,
    *,
    requester: str,
    requester_name: str | None = None,
    note: str = "",
) -> dict[str, Any]:
    """The `recording.apply` event Tencent sends when `requester` asks to view `meeting`."""
    return {
        "event": EVENT_RECORDING_APPLY,
        "trace_id": str(uuid.uuid4()),
        "payload": [
            {
                "operate_time": int(now * 1000),
                "operator": {"userid": requester, "user_name": requester_name or requester},
                "record_apply_info": {
                    "meeting_record_id": meeting.meeting_record_id,
                    "apply_id": apply_id,
                    "apply_spesification": note,
                },
                "meeting_info": meeting_info(meeting),
            }
        ],
    }


def deleted_event(meeting: EmulatedMeeting, now: float) -> dict[str, Any]:
    """The `recording.deleted` event Tencent sends when `meeting`'s files are deleted (in the
    client or by the API) at `now`: it names the files and the operator."""
    body = completed_event(meeting, now) | {"event": EVENT_RECORDING_DELETED}
    body["payload"][0]["operator"] = {"userid": meeting.userid, "user_name": meeting.userid}
    return body


def updated_event(meeting: EmulatedMeeting, now: float) -> dict[str, Any]:
    """The `recording.updated` event Tencent sends when `meeting`'s name or sharing settings
    change: it names the recording (`record_info`) and the meeting, not the files."""
    body = completed_event(meeting, now) | {"event": EVENT_RECORDING_UPDATED}
    item = body["payload"][0]
    del item["recording_files"]
    item["record_info"] = {"meeting_record_id": meeting.meeting_record_id}
    item["operator"] = {"userid": meeting.userid, "user_name": meeting.userid}
    return body


def smart_event(
    meeting: EmulatedMeeting, now: float, event: str, *, result: int = 1
) -> dict[str, Any]:
    """A `smart.transcripts` or `smart.minutes` event for `meeting`'s files (the minutes one
    carries `job_id` and `result`, 1 success or 2 failure, in its payload element)."""
    body = completed_event(meeting, now) | {"event": event}
    item = body["payload"][0]
    item["meeting_info"] |= {"start_time": str(int(meeting.start)), "media_set_type": 2}
    if event == "smart.minutes":
        item |= {"job_id": str(uuid.uuid4()), "result": result}
    return body


def _timestamp(at: float | None = None) -> str:
    """A header timestamp in milliseconds, as in Tencent's own example (13 digits)."""
    return str(int((time.time() if at is None else at) * 1000))


@dataclass(frozen=True)
class Sent:
    """One POST made: which event, which meeting, and the bot's HTTP answer (0: no answer)."""

    trace_id: str
    meeting_record_id: str | None
    status: int
    sent_at: float


class WebhookSender:
    """Sends signed webhook events to `url`. `delay`, `duplicates` and `drop` may be changed at
    any time; they apply to the recordings completing after the change."""

    def __init__(
        self,
        url: str,
        token: str,
        aes_key: str | None = None,
        *,
        delay: float = 0.0,
        duplicates: int = 0,
        drop: bool = False,
        timeout: float = 5.0,
    ):
        self.url = url
        self.token = token
        self.aes_key = aes_key or None
        self.delay = delay
        self.duplicates = duplicates
        self.drop = drop
        self.timeout = timeout
        self.sent: list[Sent] = []
        self.dropped: list[str] = []  # meeting_record_ids whose event was lost
        self._last: tuple[dict[str, str], bytes] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)

    # -- the emulator's callback -----------------------------------------------------------------
    def on_completed(self, meeting: EmulatedMeeting, now: float) -> None:
        """Called by the emulator (dataset.tick) when `meeting` reaches state 3; never blocks."""
        if self.drop:
            with self._lock:
                self.dropped.append(meeting.meeting_record_id)
            log.info("webhook for %s dropped (as asked)", meeting.meeting_record_id)
            return
        event = completed_event(meeting, now)
        copies, delay = 1 + max(0, self.duplicates), self.delay
        with self._lock:
            self._in_flight += 1
        thread = threading.Thread(
            target=self._deliver,
            args=(event, meeting.meeting_record_id, copies, delay),
            name="webhook-sender",
            daemon=True,
        )
        thread.start()

    def _deliver(self, event: dict[str, Any], mid: str, copies: int, delay: float) -> None:
        try:
            if delay > 0 and self._stop.wait(delay):
                return
            for _ in range(copies):
                if self._stop.is_set():
                    return
                self.send_event(event, meeting_record_id=mid)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    # -- sending ---------------------------------------------------------------------------------
    def send_event(
        self,
        event: Mapping[str, Any],
        *,
        meeting_record_id: str | None = None,
        timestamp: str | None = None,
        nonce: str | None = None,
    ) -> requests.Response | None:
        """POST one event, signed (new nonce unless given); None when the bot did not answer."""
        headers, body = build_request(
            self.token, self.aes_key, event, timestamp=timestamp or _timestamp(), nonce=nonce
        )
        with self._lock:
            self._last = (headers, body)
        return self._post(headers, body, str(event.get("trace_id", "")), meeting_record_id)

    def _post(
        self, headers: dict[str, str], body: bytes, trace_id: str, mid: str | None
    ) -> requests.Response | None:
        try:
            response = requests.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("webhook to the bot failed: %s", type(exc).__name__)
            response = None
        with self._lock:
            status = response.status_code if response is not None else 0
            self.sent.append(Sent(trace_id, mid, status, time.time()))
        return response

    def send_forged(
        self, kind: str, event: Mapping[str, Any] | None = None
    ) -> requests.Response | None:
        """Send a forged or broken request (see FORGERIES) and return the bot's answer.

        "replayed_nonce" re-sends the last request this sender made, byte for byte (a valid
        event is sent first when there was none). The others carry `event` (default: a
        recording.completed for a meeting that does not exist).
        """
        if kind not in FORGERIES:
            raise ValueError(f"unknown forgery {kind!r}; one of {', '.join(FORGERIES)}")
        event = dict(event) if event is not None else _phantom_event()
        trace_id = str(event.get("trace_id", ""))
        if kind == "replayed_nonce":
            with self._lock:
                last = self._last
            if last is None:
                self.send_event(event)
                with self._lock:
                    last = self._last
            assert last is not None
            return self._post(dict(last[0]), last[1], trace_id, None)
        plaintext = json.dumps(event, ensure_ascii=False).encode("utf-8")
        ts, nonce, token = _timestamp(), str(secrets.randbelow(10**9) + 1), self.token
        if kind == "stale_timestamp":
            ts = _timestamp(time.time() - 600)
        if kind == "bad_signature":
            token = self.token + "-forged"
        if kind == "malformed_json":
            plaintext = plaintext[: len(plaintext) // 2]
        data = encode_data(plaintext, self.aes_key)
        if kind == "undecryptable":
            # Valid base64, but not what our key encrypted (or not base64 at all, unencrypted).
            data = (
                base64.b64encode(secrets.token_bytes(37)).decode("ascii")
                if self.aes_key
                else "%%not-base64%%"
            )
        headers = {
            "Content-Type": "application/json",
            "timestamp": ts,
            "nonce": nonce,
            "signature": signature(token, ts, nonce, data),
        }
        return self._post(headers, json.dumps({"data": data}).encode("utf-8"), trace_id, None)

    def url_check(self, plaintext: str | None = None) -> str:
        """Perform the console's URL check; returns the bot's answer (raises on HTTP errors)."""
        plaintext = plaintext if plaintext is not None else secrets.token_hex(8)
        headers, check_str = build_url_check(
            self.token, self.aes_key, plaintext, timestamp=_timestamp()
        )
        response = requests.get(
            self.url, params={"check_str": check_str}, headers=headers, timeout=self.timeout
        )
        response.raise_for_status()
        return response.text

    # -- lifecycle -------------------------------------------------------------------------------
    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every scheduled event (and its copies) was sent; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def close(self) -> None:
        """Cancel delayed events not yet sent."""
        self._stop.set()


def _phantom_event() -> dict[str, Any]:
    """A recording.completed for a meeting nobody has (started at the epoch)."""
    return {
        "event": EVENT_RECORDING_COMPLETED,
        "trace_id": str(uuid.uuid4()),
        "payload": [
            {
                "operate_time": int(time.time() * 1000),
                "recording_files": [{"record_file_id": "9000000000000000001"}],
                "meeting_info": {
                    "meeting_id": "9000000000000000002",
                    "meeting_code": "900000003",
                    "subject": "forged",
                    "creator": {"userid": "mallory", "user_name": "mallory"},
                    "start_time": 86400,
                    "end_time": 90000,
                },
            }
        ],
    }
