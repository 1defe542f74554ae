"""Tencent Meeting webhooks: signature, the `data` envelope (optionally AES) and event parsing.

Pure functions, no I/O. Tencent sends `timestamp`, `nonce` and `signature` headers with
`signature = sha1(''.join(sorted([token, timestamp, nonce, data])))` in lowercase hex, where
`data` is the `check_str` query parameter (URL check, GET) or the `data` field of the JSON body
(events, POST). `data` is base64 of the event's JSON; with an EncodingAESKey it is first
encrypted with AES-256-CBC: key = base64decode(EncodingAESKey + "="), IV = key[:16], PKCS#7
padding to the 16-byte AES block (cryptography's `PKCS7(128)`; a full block of padding when the
plaintext fills whole blocks).

`build_request` and `build_url_check` produce what Tencent would send, for the emulator and tests.
No message of an error here carries the token, the key, a signature or the data itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.padding import PKCS7

from bot.tencent.errors import TencentError

EVENT_RECORDING_COMPLETED = "recording.completed"
EVENT_STS_TOKEN = "common.sts-token"  # noqa: S105 (an event name: the ticket is refreshed)
EVENT_SMART_TRANSCRIPTS = "smart.transcripts"  # a recording's transcript has been generated
EVENT_RECORDING_DELETED = "recording.deleted"  # files deleted in the client or by the API
EVENT_RECORDING_UPDATED = "recording.updated"  # its name or sharing settings changed
EVENT_SMART_MINUTES = "smart.minutes"  # its AI minutes: `result` 1 success, 2 failure
EVENT_RECORDING_APPLY = "recording.apply"  # someone asks to view a recording
RESULT_FAILED = 2

_BLOCK = 16  # bytes: the AES block, which the padding fills up to
_MS_THRESHOLD = 10**11  # a Unix time above this is in milliseconds (10**11 s is year 5138)
MAX_SECONDS = 2**32  # the latest time an event may name (year 2106): beyond it, a forgery


class WebhookDecodeError(TencentError, ValueError):
    """A webhook's data or event cannot be decoded; the message names what is wrong."""


# --- signature ---------------------------------------------------------------------------------


def signature(token: str, timestamp: str, nonce: str, data: str) -> str:
    """Lowercase hex sha1 of the four values sorted and joined (the timestamp stays text)."""
    joined = "".join(sorted([token, str(timestamp), str(nonce), data]))
    return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()


def verify_signature(token: str, timestamp: str, nonce: str, data: str, sig: str) -> bool:
    """Constant-time check of a received signature."""
    if not isinstance(sig, str):
        return False
    expected = signature(token, timestamp, nonce, data)
    return hmac.compare_digest(expected.encode("ascii"), sig.strip().lower().encode("utf-8"))


def check_timestamp(timestamp: str, now: float, tolerance: float = 300) -> bool:
    """True when `timestamp` (Unix seconds or milliseconds, as text) is within `tolerance` s."""
    text = str(timestamp).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 16:
        return False
    value = int(text)
    seconds = value / 1000 if value > _MS_THRESHOLD else value
    return abs(seconds - now) <= tolerance


# --- the data envelope -------------------------------------------------------------------------


def generate_aes_key() -> str:
    """A new random EncodingAESKey: 43 base64 characters encoding 32 bytes."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")


def _aes_key_bytes(aes_key: str) -> bytes:
    text = aes_key.strip().rstrip("=")
    if len(text) != 43:
        raise WebhookDecodeError(f"the EncodingAESKey should be 43 characters, not {len(text)}")
    try:
        key = base64.b64decode(text + "=", validate=True)
    except (binascii.Error, ValueError):
        raise WebhookDecodeError("the EncodingAESKey is not valid base64") from None
    if len(key) != 32:
        raise WebhookDecodeError("the EncodingAESKey does not decode to 32 bytes")
    return key


def _cipher(key: bytes) -> Cipher:
    return Cipher(algorithms.AES(key), modes.CBC(key[:_BLOCK]))


def _pad(plaintext: bytes) -> bytes:
    padder = PKCS7(_BLOCK * 8).padder()
    return padder.update(plaintext) + padder.finalize()


def _unpad(padded: bytes) -> bytes:
    if not padded or len(padded) % _BLOCK:
        raise WebhookDecodeError("the decrypted data has a wrong length")
    unpadder = PKCS7(_BLOCK * 8).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise WebhookDecodeError(
            "the decrypted data has bad padding (wrong EncodingAESKey?)"
        ) from None


def decode_data(data: str, aes_key: str | None) -> bytes:
    """The plaintext of a webhook's `data` (decrypted when an EncodingAESKey is given)."""
    if not isinstance(data, str):
        raise WebhookDecodeError("data should be a string")
    try:
        raw = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookDecodeError("data is not valid base64") from None
    if not aes_key:
        return raw
    key = _aes_key_bytes(aes_key)
    if not raw or len(raw) % _BLOCK:
        raise WebhookDecodeError(
            f"encrypted data should be a non-empty multiple of {_BLOCK} bytes, got {len(raw)}"
        )
    decryptor = _cipher(key).decryptor()
    return _unpad(decryptor.update(raw) + decryptor.finalize())


def encode_data(plaintext: bytes, aes_key: str | None) -> str:
    """The inverse of `decode_data`: base64 of the plaintext, encrypted first with a key."""
    if not aes_key:
        return base64.b64encode(plaintext).decode("ascii")
    key = _aes_key_bytes(aes_key)
    encryptor = _cipher(key).encryptor()
    encrypted = encryptor.update(_pad(plaintext)) + encryptor.finalize()
    return base64.b64encode(encrypted).decode("ascii")


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventPayload:
    """One element of an event's `payload`. Times are Unix seconds, except `operate_time_ms`."""

    operate_time_ms: int | None
    record_file_ids: tuple[str, ...]
    meeting_id: str
    meeting_code: str | None = None
    subject: str = ""
    creator_userid: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    creator_name: str | None = None
    # Fields of the payload element and of its meeting_info that are not named above.
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class StsTokenInfo:
    """A `common.sts-token` event's ticket: the `STS-Token` header value for the endpoints
    under Tencent's STS rule. `expires_at` is Unix seconds (Tencent does not say the unit of
    `expire_ts`: a value in milliseconds is converted), None when absent."""

    token: str = field(repr=False)
    req_id: str | None
    expires_at: int | None
    operate_time_ms: int | None


@dataclass(frozen=True)
class AccessRequest:
    """One `recording.apply` item: who asks to view which recording (`apply_id` is what the
    approval call names), with the meeting it belongs to."""

    apply_id: str
    meeting_record_id: str
    meeting_id: str
    subject: str
    host_userid: str | None  # meeting_info.creator.userid
    requester_userid: str | None  # operator.userid (same company), else operator.open_id
    requester_name: str | None
    note: str | None  # record_apply_info.apply_spesification (sic)
    operate_time_ms: int | None


@dataclass(frozen=True)
class WebhookEvent:
    event: str
    trace_id: str
    payloads: tuple[EventPayload, ...]
    sts_tokens: tuple[StsTokenInfo, ...] = ()  # only in a `common.sts-token` event
    access_requests: tuple[AccessRequest, ...] = ()  # only in a `recording.apply` event
    # smart.minutes: `result` / `job_id` when sent at the top level (else in a payload's extra)
    result: int | None = None
    job_id: str | None = None


_PAYLOAD_KEYS = frozenset({"operate_time", "recording_files", "meeting_info"})
_MEETING_KEYS = frozenset(
    {"meeting_id", "meeting_code", "subject", "creator", "start_time", "end_time"}
)


def _text(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise WebhookDecodeError(f"{path} should be a string, got {type(value).__name__}")


def _required_text(value: Any, path: str) -> str:
    text = _text(value, path)
    if text is None:
        raise WebhookDecodeError(f"{path} is missing")
    return text


def _integer(value: Any, path: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        return int(value)
    raise WebhookDecodeError(f"{path} should be an integer, got {type(value).__name__}")


def _seconds(value: Any, path: str) -> int | None:
    """A Unix time in seconds (sent in seconds or milliseconds), within 0 .. MAX_SECONDS."""
    number = _integer(value, path)
    if number is not None and number > _MS_THRESHOLD:
        number //= 1000
    if number is not None and not 0 <= number <= MAX_SECONDS:
        raise WebhookDecodeError(f"{path} is out of range")
    return number


def _milliseconds(value: Any, path: str) -> int | None:
    """A Unix time in milliseconds, within 0 .. MAX_SECONDS * 1000."""
    number = _integer(value, path)
    if number is not None and not 0 <= number <= MAX_SECONDS * 1000:
        raise WebhookDecodeError(f"{path} is out of range")
    return number


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        raise WebhookDecodeError(f"{path} is missing")
    if not isinstance(value, dict):
        raise WebhookDecodeError(f"{path} should be an object, got {type(value).__name__}")
    return value


def _parse_payload(item: Any, path: str) -> EventPayload:
    item = _mapping(item, path)
    info = _mapping(item.get("meeting_info"), f"{path}.meeting_info")
    files = item.get("recording_files")
    if files is None:
        files = []
    if not isinstance(files, list):
        raise WebhookDecodeError(f"{path}.recording_files should be a list")
    file_ids = tuple(
        _required_text(
            _mapping(f, f"{path}.recording_files[{i}]").get("record_file_id"),
            f"{path}.recording_files[{i}].record_file_id",
        )
        for i, f in enumerate(files)
    )
    creator = info.get("creator")
    if creator is None:
        creator = {}
    creator = _mapping(creator, f"{path}.meeting_info.creator")
    extra = {k: v for k, v in item.items() if k not in _PAYLOAD_KEYS}
    extra.update({k: v for k, v in info.items() if k not in _MEETING_KEYS})
    mi = f"{path}.meeting_info"
    return EventPayload(
        operate_time_ms=_milliseconds(item.get("operate_time"), f"{path}.operate_time"),
        record_file_ids=file_ids,
        meeting_id=_required_text(info.get("meeting_id"), f"{mi}.meeting_id"),
        meeting_code=_text(info.get("meeting_code"), f"{mi}.meeting_code"),
        subject=_text(info.get("subject"), f"{mi}.subject") or "",
        creator_userid=_text(creator.get("userid"), f"{mi}.creator.userid"),
        start_time=_seconds(info.get("start_time"), f"{mi}.start_time"),
        end_time=_seconds(info.get("end_time"), f"{mi}.end_time"),
        creator_name=_text(creator.get("user_name"), f"{mi}.creator.user_name"),
        extra=extra,
    )


def _parse_sts_token(item: Any, path: str) -> StsTokenInfo:
    item = _mapping(item, path)
    info = _mapping(item.get("token_info"), f"{path}.token_info")
    token = _required_text(info.get("sts_token"), f"{path}.token_info.sts_token")
    if not token or len(token) > 4096 or not token.isprintable():
        raise WebhookDecodeError(f"{path}.token_info.sts_token is not a usable token")
    return StsTokenInfo(
        token=token,
        req_id=_text(info.get("req_id"), f"{path}.token_info.req_id"),
        expires_at=_seconds(info.get("expire_ts"), f"{path}.token_info.expire_ts"),
        operate_time_ms=_milliseconds(item.get("operate_time"), f"{path}.operate_time"),
    )


def _parse_access_request(item: Any, payload: EventPayload, path: str) -> AccessRequest:
    item = _mapping(item, path)
    info = _mapping(item.get("record_apply_info"), f"{path}.record_apply_info")
    operator = item.get("operator")
    operator = _mapping(operator, f"{path}.operator") if operator is not None else {}
    ri = f"{path}.record_apply_info"
    apply_id = _required_text(info.get("apply_id"), f"{ri}.apply_id")
    mid = _required_text(info.get("meeting_record_id"), f"{ri}.meeting_record_id")
    for name, value in (("apply_id", apply_id), ("meeting_record_id", mid)):
        if not value or len(value) > 128 or not value.isprintable():
            raise WebhookDecodeError(f"{ri}.{name} is not a usable id")
    return AccessRequest(
        apply_id=apply_id,
        meeting_record_id=mid,
        meeting_id=payload.meeting_id,
        subject=payload.subject,
        host_userid=payload.creator_userid,
        requester_userid=_text(operator.get("userid"), f"{path}.operator.userid")
        or _text(operator.get("open_id"), f"{path}.operator.open_id"),
        requester_name=_text(operator.get("user_name"), f"{path}.operator.user_name"),
        note=_text(info.get("apply_spesification"), f"{ri}.apply_spesification"),
        operate_time_ms=payload.operate_time_ms,
    )


def parse_event(raw: bytes | str) -> WebhookEvent:
    """The event in a decoded `data`. Unknown event names parse too (the caller decides)."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise WebhookDecodeError("the event is not valid JSON") from None
    body = _mapping(body, "event body")
    event = _required_text(body.get("event"), "event")
    if not event:
        raise WebhookDecodeError("event is empty")
    trace_id = _text(body.get("trace_id"), "trace_id") or ""
    payload = body.get("payload")
    if payload is None:
        raise WebhookDecodeError("payload is missing")
    if not isinstance(payload, list):
        raise WebhookDecodeError(f"payload should be a list, got {type(payload).__name__}")
    if event == EVENT_STS_TOKEN:  # a ticket, not a meeting
        tokens = tuple(_parse_sts_token(item, f"payload[{i}]") for i, item in enumerate(payload))
        return WebhookEvent(event=event, trace_id=trace_id, payloads=(), sts_tokens=tokens)
    payloads = tuple(_parse_payload(item, f"payload[{i}]") for i, item in enumerate(payload))
    if event == EVENT_RECORDING_APPLY:
        requests = tuple(
            _parse_access_request(item, parsed, f"payload[{i}]")
            for i, (item, parsed) in enumerate(zip(payload, payloads, strict=True))
        )
        return WebhookEvent(event, trace_id, payloads, access_requests=requests)
    if event == EVENT_SMART_MINUTES:
        return WebhookEvent(
            event=event,
            trace_id=trace_id,
            payloads=payloads,
            result=_integer(body.get("result"), "result"),
            job_id=_text(body.get("job_id"), "job_id"),
        )
    return WebhookEvent(event=event, trace_id=trace_id, payloads=payloads)


def smart_result(event: WebhookEvent, payload: EventPayload) -> int | None:
    """A smart.* event's `result` for one payload (in the payload, else the event's); None
    when not given or not a number."""
    value = payload.extra.get("result", event.result)
    try:
        return _integer(value, "result")
    except WebhookDecodeError:
        return None


# --- what Tencent sends (for the emulator and tests) -------------------------------------------


def _new_nonce() -> str:
    return str(secrets.randbelow(10**9 - 1) + 1)


def build_request(
    token: str,
    aes_key: str | None,
    event: Mapping[str, Any],
    *,
    timestamp: str | int | None = None,
    nonce: str | int | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and body of an event POST as Tencent would send it."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nc = str(_new_nonce() if nonce is None else nonce)
    plaintext = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    data = encode_data(plaintext, aes_key)
    headers = {
        "Content-Type": "application/json",
        "timestamp": ts,
        "nonce": nc,
        "signature": signature(token, ts, nc, data),
    }
    return headers, json.dumps({"data": data}).encode("utf-8")


def build_url_check(
    token: str,
    aes_key: str | None,
    plaintext: str,
    *,
    timestamp: str | int | None = None,
    nonce: str | int | None = None,
) -> tuple[dict[str, str], str]:
    """Headers and `check_str` of the GET URL check; the app must answer `plaintext`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nc = str(_new_nonce() if nonce is None else nonce)
    check_str = encode_data(plaintext.encode("utf-8"), aes_key)
    headers = {"timestamp": ts, "nonce": nc, "signature": signature(token, ts, nc, check_str)}
    return headers, check_str
