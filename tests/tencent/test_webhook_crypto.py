"""Webhook signature, data envelope (plain and AES) and event parsing."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.tencent.webhook import (
    EVENT_RECORDING_COMPLETED,
    WebhookDecodeError,
    build_request,
    build_url_check,
    check_timestamp,
    decode_data,
    encode_data,
    generate_aes_key,
    parse_event,
    signature,
    verify_signature,
)

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOKEN = "webhook-token"

# Known answers computed once with the openssl command line tool, not with Python:
#   KEYHEX=$(printf '%s' "$KEY=" | base64 -d | xxd -p -c 64)   # 69b71d79...10831051
#   printf '%s' "$PLAINTEXT" | openssl enc -aes-256-cbc -K $KEYHEX -iv ${KEYHEX:0:32} | base64 -w0
KAT = [
    (b"hello tencent", "ubeSb2m/Q2O+ubSsB/219w=="),
    (
        b'{"event":"recording.completed","trace_id":"kat-1"}',
        "GrTTf3F7pcUwilO/MnQ3W57NDbf3YhQDII+efhT8dhLAvL/RZrlkkHHvuvTsnXF00zl0qzX404VK0iGArFTdFg==",
    ),
]
KEY_HEX = "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051"


def event_body(**meeting_overrides: object) -> dict:
    meeting = {
        "meeting_id": "7567173273889276131",
        "meeting_code": "806146667",
        "subject": "周会 weekly sync",
        "creator": {"userid": "alice", "user_name": "Alice"},
        "start_time": 1763600400,
        "end_time": 1763604000,
        "meeting_type": 0,
    }
    meeting.update(meeting_overrides)
    return {
        "event": EVENT_RECORDING_COMPLETED,
        "trace_id": "trace-1",
        "payload": [
            {
                "operate_time": 1763604100123,
                "recording_files": [{"record_file_id": "rf-1"}, {"record_file_id": "rf-2"}],
                "meeting_info": meeting,
            }
        ],
    }


# --- signature ---


def test_signature_matches_hand_computed_sha1():
    # sorted: "12345" < "1700000000000" < "ZGF0YQ==" < "tok" (digits, upper, lower)
    expected = hashlib.sha1(
        b"12345" + b"1700000000000" + b"ZGF0YQ==" + b"tok", usedforsecurity=False
    ).hexdigest()
    assert expected == "c7bd1297b0bfe409444230c10f71ee2735800a53"  # also `sha1sum` of the same
    assert signature("tok", "1700000000000", "12345", "ZGF0YQ==") == expected


def test_verify_signature_accepts_only_the_right_one():
    sig = signature(TOKEN, "1700000000", "42", "ZGF0YQ==")
    assert verify_signature(TOKEN, "1700000000", "42", "ZGF0YQ==", sig)
    assert verify_signature(TOKEN, "1700000000", "42", "ZGF0YQ==", sig.upper())
    assert not verify_signature("other", "1700000000", "42", "ZGF0YQ==", sig)
    assert not verify_signature(TOKEN, "1700000001", "42", "ZGF0YQ==", sig)
    assert not verify_signature(TOKEN, "1700000000", "42", "ZGF0YQ==", "")
    assert not verify_signature(TOKEN, "1700000000", "42", "ZGF0YQ==", "签名")
    assert not verify_signature(TOKEN, "1700000000", "42", "ZGF0YQ==", None)  # header missing


def test_timestamp_is_text_not_a_number():
    # "0170" and "170" are different texts, so the signatures differ
    assert signature(TOKEN, "0170", "1", "d") != signature(TOKEN, "170", "1", "d")


@pytest.mark.parametrize(
    ("timestamp", "ok"),
    [
        ("1700000000", True),
        ("1700000299", True),
        ("1699999701", True),
        ("1700000301", False),
        ("1700000000000", True),  # milliseconds, as in Tencent's own example
        ("1700000299999", True),
        ("1700000400000", False),
        ("", False),
        ("-1700000000", False),
        ("17e8", False),
        ("１７００００００００", False),  # full-width digits
    ],
)
def test_check_timestamp(timestamp, ok):
    assert check_timestamp(timestamp, now=1_700_000_000.0) is ok


def test_check_timestamp_tolerance():
    assert check_timestamp("1700000010", now=1_700_000_000.0, tolerance=10)
    assert not check_timestamp("1700000011", now=1_700_000_000.0, tolerance=10)


# --- data envelope ---


@pytest.mark.parametrize(("plaintext", "expected"), KAT)
def test_aes_known_answer_from_openssl(plaintext, expected):
    assert encode_data(plaintext, KEY) == expected
    assert decode_data(expected, KEY) == plaintext


def test_key_derivation_matches_openssl_key():
    assert base64.b64decode(KEY + "=").hex() == KEY_HEX


def test_aes_against_cryptography_with_manual_padding():
    """A second route: the primitive used directly, PKCS#7 applied by hand."""
    key = bytes.fromhex(KEY_HEX)
    plaintext = "录制完成 recording done".encode()
    n = 16 - len(plaintext) % 16
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    ciphertext = enc.update(plaintext + bytes([n]) * n) + enc.finalize()
    assert base64.b64decode(encode_data(plaintext, KEY)) == ciphertext
    assert decode_data(base64.b64encode(ciphertext).decode(), KEY) == plaintext


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 31, 32, 1000])
def test_round_trip_with_and_without_aes(size):
    plaintext = bytes(range(256)) * 4
    plaintext = plaintext[:size]
    key = generate_aes_key()
    assert decode_data(encode_data(plaintext, key), key) == plaintext
    assert decode_data(encode_data(plaintext, None), None) == plaintext
    assert decode_data(encode_data(plaintext, ""), "") == plaintext
    # a full block of padding when the plaintext fills whole blocks
    assert len(base64.b64decode(encode_data(plaintext, key))) == (size // 16 + 1) * 16


def test_plain_data_is_plain_base64():
    assert encode_data(b"{}", None) == "e30="
    assert decode_data("e30=", None) == b"{}"


def test_generated_keys_are_43_chars_and_distinct():
    keys = {generate_aes_key() for _ in range(20)}
    assert len(keys) == 20
    for key in keys:
        assert len(key) == 43
        assert len(base64.b64decode(key + "=")) == 32


def _encrypt_raw(padded: bytes) -> str:
    key = bytes.fromhex(KEY_HEX)
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(padded) + enc.finalize()).decode()


@pytest.mark.parametrize(
    "padded",
    [
        b"A" * 16,  # last byte 0x41 > 16
        b"A" * 15 + b"\x00",  # zero is not a padding length
        b"A" * 13 + b"\x01\x02\x03",  # bytes before the last disagree
        b"A" * 12 + b"\x03\x04\x04\x04",  # says 4, only 3 match
        b"A" * 16 + b"\x11" * 16,  # 17 > block size
    ],
)
def test_bad_padding_raises(padded):
    with pytest.raises(WebhookDecodeError, match="padding"):
        decode_data(_encrypt_raw(padded), KEY)


def test_wrong_key_raises():
    data = encode_data(b'{"event":"recording.completed"}', KEY)
    other = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
    with pytest.raises(WebhookDecodeError) as err:
        decode_data(data, other)
    assert other not in str(err.value) and data not in str(err.value)


@pytest.mark.parametrize(
    ("bad_key", "match"),
    [
        ("short", "43 characters"),
        ("a" * 44, "43 characters"),
        ("!" * 43, "base64"),
        ("é" * 43, "base64"),
    ],
)
def test_malformed_key_raises(bad_key, match):
    with pytest.raises(WebhookDecodeError, match=match):
        decode_data(encode_data(b"x", None), bad_key)
    with pytest.raises(WebhookDecodeError, match=match):
        encode_data(b"x", bad_key)


def test_truncated_data_raises():
    data = encode_data(b"x" * 40, KEY)  # 48 bytes of ciphertext
    raw = base64.b64decode(data)
    for cut in (raw[:-1], raw[:20], raw[:16] + raw[17:]):
        with pytest.raises(WebhookDecodeError, match="multiple of 16"):
            decode_data(base64.b64encode(cut).decode(), KEY)
    with pytest.raises(WebhookDecodeError, match="multiple of 16"):
        decode_data("", KEY)


@pytest.mark.parametrize("bad", ["not base64!", "abc", "e30", "é30=", "e3 0=x", None, b"e30="])
def test_non_base64_raises(bad):
    with pytest.raises(WebhookDecodeError):
        decode_data(bad, None)
    with pytest.raises(WebhookDecodeError):
        decode_data(bad, KEY)


# --- events ---


def test_parse_recording_completed():
    raw = json.dumps(event_body(), ensure_ascii=False).encode()
    event = parse_event(raw)
    assert event.event == EVENT_RECORDING_COMPLETED
    assert event.trace_id == "trace-1"
    (p,) = event.payloads
    assert p.operate_time_ms == 1763604100123
    assert p.record_file_ids == ("rf-1", "rf-2")
    assert p.meeting_id == "7567173273889276131"
    assert p.meeting_code == "806146667"
    assert p.subject == "周会 weekly sync"
    assert p.creator_userid == "alice"
    assert p.creator_name == "Alice"
    assert (p.start_time, p.end_time) == (1763600400, 1763604000)
    assert p.extra == {"meeting_type": 0}


def test_parse_normalises_ms_meeting_times_to_seconds():
    raw = json.dumps(event_body(start_time=1763600400000, end_time="1763604000999"))
    (p,) = parse_event(raw.encode()).payloads
    assert (p.start_time, p.end_time) == (1763600400, 1763604000)


def test_parse_unknown_event_and_optional_fields():
    body = {
        "event": "meeting.started",
        "payload": [{"meeting_info": {"meeting_id": 123}}],
    }
    event = parse_event(json.dumps(body).encode())
    assert event.event == "meeting.started"
    assert event.trace_id == ""
    (p,) = event.payloads
    assert p.meeting_id == "123"
    assert p.record_file_ids == ()
    assert p.operate_time_ms is None and p.start_time is None and p.creator_userid is None
    assert p.subject == ""


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[]", "event body should be an object"),
        (b'{"payload": []}', "event is missing"),
        (b'{"event": "", "payload": []}', "event is empty"),
        (b'{"event": "x"}', "payload is missing"),
        (b'{"event": "x", "payload": {}}', "payload should be a list"),
        (b'{"event": "x", "payload": [1]}', r"payload\[0\] should be an object"),
        (b'{"event": "x", "payload": [{}]}', r"payload\[0\]\.meeting_info is missing"),
        (
            b'{"event": "x", "payload": [{"meeting_info": {}}]}',
            r"meeting_info\.meeting_id is missing",
        ),
        (
            b'{"event": "x", "payload": [{"meeting_info":'
            b' {"meeting_id": "1", "start_time": "x"}}]}',
            r"meeting_info\.start_time should be an integer",
        ),
        (
            b'{"event": "x", "payload": [{"meeting_info": {"meeting_id": "1"},'
            b' "recording_files": [{}]}]}',
            r"recording_files\[0\]\.record_file_id is missing",
        ),
        (
            b'{"event": "x", "payload": [{"meeting_info": {"meeting_id": "1"},'
            b' "recording_files": "rf"}]}',
            "recording_files should be a list",
        ),
        (
            b'{"event": "x", "payload": [{"meeting_info": {"meeting_id": "1", "creator": "a"}}]}',
            r"creator should be an object",
        ),
    ],
)
def test_malformed_events_raise_naming_the_field(raw, match):
    with pytest.raises(WebhookDecodeError, match=match):
        parse_event(raw)


# --- what Tencent sends ---


@pytest.mark.parametrize("aes_key", [KEY, None])
def test_build_request_round_trip(aes_key):
    headers, body = build_request(
        TOKEN, aes_key, event_body(), timestamp="1700000000000", nonce="777"
    )
    assert headers["timestamp"] == "1700000000000" and headers["nonce"] == "777"
    data = json.loads(body)["data"]
    assert verify_signature(
        TOKEN, headers["timestamp"], headers["nonce"], data, headers["signature"]
    )
    assert check_timestamp(headers["timestamp"], now=1_700_000_100)
    event = parse_event(decode_data(data, aes_key))
    assert event.payloads[0].record_file_ids == ("rf-1", "rf-2")
    assert event.payloads[0].subject == "周会 weekly sync"


def test_build_request_defaults_are_fresh():
    h1, _ = build_request(TOKEN, KEY, event_body())
    h2, _ = build_request(TOKEN, KEY, event_body())
    assert h1["nonce"] != h2["nonce"]
    assert check_timestamp(h1["timestamp"], now=time.time())


@pytest.mark.parametrize("aes_key", [KEY, None])
def test_build_url_check_round_trip(aes_key):
    headers, check_str = build_url_check(TOKEN, aes_key, "echo-me-123")
    assert set(headers) == {"timestamp", "nonce", "signature"}
    assert verify_signature(
        TOKEN, headers["timestamp"], headers["nonce"], check_str, headers["signature"]
    )
    assert decode_data(check_str, aes_key) == b"echo-me-123"
