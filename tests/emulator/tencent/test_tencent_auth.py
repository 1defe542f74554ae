"""Request verification: credentials, timestamps, replays and the signature over the raw URI, over
loopback and in the checker itself (Tencent's documented test vectors)."""

from __future__ import annotations

import time

import pytest
import requests

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.tencent.auth import ReplayGuard, check_request
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.server import TencentEmulator
from bot.tencent.signing import Credentials, signed_headers
from tests.emulator.tencent.signed_calls import (
    DAY,
    NOW,
    FakeClock,
    call,
    error_code,
    records_uri,
    week_uri,
)


# -- authentication ---------------------------------------------------------------------------
def test_the_official_sdk_signs_requests_the_emulator_accepts(emu: TencentEmulator) -> None:
    config_mod = pytest.importorskip("wemeet_openapi.core.config")
    auth_mod = pytest.importorskip("wemeet_openapi.core.authenticator")
    c = emu.credentials
    config = config_mod.Config(
        app_id=c.app_id, sdk_id="", secret_id=c.secret_id, secret_key=c.secret_key
    )
    authenticator = auth_mod.JWTAuthenticator()
    authenticator.options_build()(config)
    prepared = requests.Request("GET", emu.url + week_uri(page_size=5)).prepare()
    authenticator.auth_header(prepared)
    with requests.Session() as session:
        resp = session.send(prepared, timeout=5)
    assert resp.status_code == 200, resp.text
    assert resp.json()["current_size"] == 5


@pytest.mark.parametrize(
    ("creds", "code"),
    [
        (Credentials("999", DEMO_SECRET_ID, DEMO_SECRET_KEY), 190303),
        (Credentials(DEMO_APP_ID, "other-secret-id", DEMO_SECRET_KEY), 190303),
        (Credentials(DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, sdk_id="123"), 190303),
        (Credentials(DEMO_APP_ID, DEMO_SECRET_ID, "wrong-key"), 200003),
    ],
)
def test_bad_credentials_are_rejected(emu: TencentEmulator, creds: Credentials, code: int) -> None:
    resp = call(emu, week_uri(), creds)
    assert resp.status_code == 400
    info = resp.json()["error_info"]
    assert info["error_code"] == code
    assert info["new_error_code"] == 200_000_000 + code
    assert info["message"]
    assert DEMO_SECRET_KEY not in resp.text


def test_an_expected_sdk_id_must_be_sent(clock: FakeClock) -> None:
    with TencentEmulator(sdk_id="20000123", dataset=Dataset(), clock=clock) as emu:
        without = Credentials(DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY)
        assert error_code(call(emu, week_uri(), without)) == 190303
        assert call(emu, week_uri(), emu.credentials).status_code == 200


@pytest.mark.parametrize("skew", [-400, 301, 3600])
def test_a_timestamp_more_than_5_minutes_off_is_rejected(emu: TencentEmulator, skew: int) -> None:
    resp = call(emu, week_uri(), timestamp=int(time.time()) + skew)
    assert resp.status_code == 400
    assert error_code(resp) == 190300


def test_a_timestamp_4_minutes_off_is_accepted(emu: TencentEmulator) -> None:
    assert call(emu, week_uri(), timestamp=int(time.time()) - 240).status_code == 200


def test_the_signed_uri_is_the_raw_path_and_query(emu: TencentEmulator) -> None:
    signed_for = week_uri(page_size=10)
    headers = signed_headers(emu.credentials, "GET", signed_for)
    tampered = signed_for.replace("page_size=10", "page_size=11")
    resp = requests.get(emu.url + tampered, headers=headers, timeout=5)
    assert error_code(resp) == 200003
    signed_order = "/v1/corp/records?start_time=1759000000&end_time=1759086400"
    sent_order = "/v1/corp/records?end_time=1759086400&start_time=1759000000"
    headers = signed_headers(emu.credentials, "GET", signed_order)
    assert error_code(requests.get(emu.url + sent_order, headers=headers, timeout=5)) == 200003


def test_the_raw_digest_signature_mistake_is_rejected(emu: TencentEmulator) -> None:
    import base64
    import hashlib
    import hmac

    from bot.tencent.signing import string_to_sign

    uri = week_uri()
    headers = signed_headers(emu.credentials, "GET", uri)
    message = string_to_sign(
        "GET", DEMO_SECRET_ID, headers["X-TC-Nonce"], headers["X-TC-Timestamp"], uri, ""
    )
    raw = hmac.new(DEMO_SECRET_KEY.encode(), message.encode(), hashlib.sha256).digest()
    headers["X-TC-Signature"] = base64.b64encode(raw).decode()
    assert error_code(requests.get(emu.url + uri, headers=headers, timeout=5)) == 200003


def test_a_replayed_timestamp_and_nonce_are_rejected(emu: TencentEmulator) -> None:
    uri = week_uri()
    headers = signed_headers(emu.credentials, "GET", uri)
    assert requests.get(emu.url + uri, headers=headers, timeout=5).status_code == 200
    again = requests.get(emu.url + uri, headers=headers, timeout=5)
    assert again.status_code == 400
    assert error_code(again) == 190301
    # a new nonce is fine
    assert call(emu, uri, timestamp=int(headers["X-TC-Timestamp"])).status_code == 200


def test_a_bad_signature_does_not_burn_the_nonce(emu: TencentEmulator) -> None:
    uri = week_uri()
    headers = signed_headers(emu.credentials, "GET", uri)
    good_signature = headers["X-TC-Signature"]
    headers["X-TC-Signature"] = "bm90IGl0"
    assert error_code(requests.get(emu.url + uri, headers=headers, timeout=5)) == 200003
    headers["X-TC-Signature"] = good_signature
    assert requests.get(emu.url + uri, headers=headers, timeout=5).status_code == 200


def test_signatures_verify_against_the_real_clock_after_advance(emu: TencentEmulator) -> None:
    emu.advance(30 * DAY)
    resp = call(emu, records_uri(NOW + 23 * DAY, NOW + 30 * DAY))
    assert resp.status_code == 200
    assert resp.json()["total_count"] == 0


# -- the documented test vectors, in the checker ----------------------------------------------
VECTOR_CREDS = Credentials(
    "corp-1", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
)
GET_URI = (
    "/v1/corp/records?start_time=1735689600&end_time=1738272000&page_size=20&page=1"
    "&operator_id=admin&operator_id_type=1"
)
GET_SIG = "ZDgwMTFkMzM0Njk5ZDhjYTEzZTA0YWFjYmUzZmUzOGZjNTgyMGEyOWRkYTczYTY3NjY0MTZlOWQxZGIyNTNkNw=="
POST_URI = "/v1/meetings/7567454748865986567/cancel"
POST_BODY = '{"userid":"test1","instanceid":1,"reason_code":1,"reason_detail":"取消会议"}'
POST_SIG = (
    "ZDdhMDJkMzE5MDg1OWZhODJmMjE2OTNlZjgyMDQzZmE4ODZkZDBmZDI0OWRjY2E0YThhYzViN2I0OWE4NGE3Yw=="
)


def vector_headers(signature: str) -> dict[str, str]:
    return {
        "AppId": "corp-1",
        "X-TC-Key": VECTOR_CREDS.secret_id,
        "X-TC-Timestamp": "1572168600",
        "X-TC-Nonce": "1234567",
        "X-TC-Signature": signature,
    }


def test_the_documented_vectors_verify_in_the_checker() -> None:
    now = 1572168600 + 42
    get = check_request(
        "GET", GET_URI, vector_headers(GET_SIG), "", credentials=VECTOR_CREDS, now=now
    )
    assert get is None
    post = check_request(
        "POST", POST_URI, vector_headers(POST_SIG), POST_BODY, credentials=VECTOR_CREDS, now=now
    )
    assert post is None


def test_the_checker_rejects_variants_of_the_vectors() -> None:
    now = 1572168600
    raw_digest = vector_headers("16AtMZCFn6gvIWk++CBD+oht0P0kncykqKxbe0moSnw=")
    rej = check_request("POST", POST_URI, raw_digest, POST_BODY, credentials=VECTOR_CREDS, now=now)
    assert rej is not None and rej.error_code == 200003
    rej = check_request(
        "POST",
        POST_URI,
        vector_headers(POST_SIG),
        POST_BODY + " ",
        credentials=VECTOR_CREDS,
        now=now,
    )
    assert rej is not None and rej.error_code == 200003
    rej = check_request(
        "GET", GET_URI, vector_headers(GET_SIG), "", credentials=VECTOR_CREDS, now=now + 301
    )
    assert rej is not None and rej.error_code == 190300
    replays = ReplayGuard()
    first = check_request(
        "GET",
        GET_URI,
        vector_headers(GET_SIG),
        "",
        credentials=VECTOR_CREDS,
        now=now,
        replays=replays,
    )
    second = check_request(
        "GET",
        GET_URI,
        vector_headers(GET_SIG),
        "",
        credentials=VECTOR_CREDS,
        now=now + 10,
        replays=replays,
    )
    assert first is None
    assert second is not None and second.error_code == 190301
