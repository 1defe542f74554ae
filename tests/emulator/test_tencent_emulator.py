"""The Tencent Meeting emulator over real loopback HTTP, signed as a real client signs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, load_settings
from bot.emulator.dataset import Dataset
from bot.emulator.tencent import ReplayGuard, TencentEmulator, check_request
from bot.tencent.records import parse_page
from bot.tencent.signing import Credentials, signed_headers

DAY = 86400
NOW = 1_760_000_000.0  # a fixed emulated "now"


class FakeClock:
    def __init__(self, now: float = NOW):
        self.now = now

    def __call__(self) -> float:
        return self.now


def records_uri(start: float, end: float, **extra: object) -> str:
    params = {"start_time": int(start), "end_time": int(end), **extra}
    return "/v1/corp/records?" + urlencode(params)


def call(
    emu: TencentEmulator,
    uri: str,
    creds: Credentials | None = None,
    *,
    method: str = "GET",
    timeout: float = 5,
    **sign_kw: object,
) -> requests.Response:
    headers = signed_headers(creds or emu.credentials, method, uri, **sign_kw)  # type: ignore[arg-type]
    return requests.request(method, emu.url + uri, headers=headers, timeout=timeout)


def error_code(resp: requests.Response) -> int:
    return resp.json()["error_info"]["error_code"]


def week_uri(**extra: object) -> str:
    return records_uri(NOW - 7 * DAY, NOW, **extra)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[TencentEmulator]:
    dataset = Dataset.generate(NOW, days=7, seed=3, per_day=4)
    with TencentEmulator(rate_limit=1000, dataset=dataset, clock=clock) as emulator:
        yield emulator


# -- the documented answer --------------------------------------------------------------------
def test_good_request_gets_the_documented_shape(emu: TencentEmulator) -> None:
    resp = call(emu, week_uri(page_size=20, page=1))
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {
        "total_count",
        "current_size",
        "current_page",
        "total_page",
        "record_meetings",
    }
    assert body["current_page"] == 1
    assert body["current_size"] == len(body["record_meetings"]) == min(20, body["total_count"])
    page = parse_page(body)
    starts = [m.media_start_time for m in page.record_meetings]
    assert starts == sorted(starts, reverse=True)
    for meeting in body["record_meetings"]:
        assert {
            "meeting_record_id",
            "meeting_id",
            "meeting_code",
            "userid",
            "media_start_time",
            "subject",
            "state",
        } <= set(meeting)
        assert meeting["meeting_record_id"].isdigit()
        assert ("record_files" in meeting) == (meeting["state"] == 3)


def test_the_fixture_emulator_serves_the_demo_credentials(tencent_emulator) -> None:
    creds = Credentials(DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY)
    now = time.time()
    resp = call(tencent_emulator, records_uri(now - 7 * DAY, now), creds)
    assert resp.status_code == 200
    assert resp.json()["total_count"] > 0


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


# -- authentication ---------------------------------------------------------------------------
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


# -- parameters -------------------------------------------------------------------------------
def test_a_range_of_exactly_31_days_is_accepted_and_one_second_more_is_not(
    emu: TencentEmulator,
) -> None:
    assert call(emu, records_uri(NOW - 31 * DAY, NOW)).status_code == 200
    resp = call(emu, records_uri(NOW - 31 * DAY - 1, NOW))
    assert resp.status_code == 400
    assert error_code(resp) == 190004


@pytest.mark.parametrize(
    "uri",
    [
        week_uri(page_size=21),
        week_uri(page_size=0),
        week_uri(page=0),
        "/v1/corp/records?start_time=1759000000",
        "/v1/corp/records?end_time=1759000000",
        "/v1/corp/records",
        "/v1/corp/records?start_time=abc&end_time=1759000000",
        "/v1/corp/records?start_time=1759000000.5&end_time=1759000001",
        "/v1/corp/records?start_time=-1&end_time=1759000001",
        week_uri(page_size="ten"),
        records_uri(NOW, NOW - 1),
    ],
)
def test_bad_parameters_get_190004(emu: TencentEmulator, uri: str) -> None:
    resp = call(emu, uri)
    assert resp.status_code == 400
    assert error_code(resp) == 190004


def test_optional_parameters_are_accepted(emu: TencentEmulator) -> None:
    uri = week_uri(operator_id="admin", operator_id_type=1, query_record_type=0)
    assert call(emu, uri).status_code == 200


def test_page_size_defaults_to_10(emu: TencentEmulator) -> None:
    body = call(emu, week_uri()).json()
    assert body["total_count"] > 10
    assert body["current_size"] == 10


# -- paging and the time filter ---------------------------------------------------------------
def test_paging_covers_every_meeting_once_newest_first(clock: FakeClock) -> None:
    ds = Dataset()
    ids = [ds.add_meeting(start=NOW - DAY + i * 600, duration=300) for i in range(25)]
    with TencentEmulator(dataset=ds, clock=clock, rate_limit=100) as emu:
        pages = [call(emu, week_uri(page_size=10, page=p)).json() for p in (1, 2, 3, 4)]
    assert [p["total_page"] for p in pages] == [3, 3, 3, 3]
    assert [p["current_size"] for p in pages] == [10, 10, 5, 0]
    assert [p["current_page"] for p in pages] == [1, 2, 3, 4]
    assert all(p["total_count"] == 25 for p in pages)
    seen = [m["meeting_record_id"] for p in pages for m in p["record_meetings"]]
    assert seen == list(reversed(ids))


def test_no_meetings_means_zero_pages(clock: FakeClock) -> None:
    with TencentEmulator(dataset=Dataset(), clock=clock) as emu:
        body = call(emu, week_uri()).json()
    assert body == {
        "total_count": 0,
        "current_size": 0,
        "current_page": 1,
        "total_page": 0,
        "record_meetings": [],
    }


def test_a_meeting_is_in_range_by_its_media_start_time_inclusive(clock: FakeClock) -> None:
    ds = Dataset()
    t0 = int(NOW - 2 * DAY)
    at_start = ds.add_meeting(start=t0, duration=60)
    at_end = ds.add_meeting(start=t0 + 3600, duration=60)
    ds.add_meeting(start=t0 - 0.001, duration=60)
    ds.add_meeting(start=t0 + 3600.001, duration=60)
    with TencentEmulator(dataset=ds, clock=clock) as emu:
        body = call(emu, records_uri(t0, t0 + 3600)).json()
    assert [m["meeting_record_id"] for m in body["record_meetings"]] == [at_end, at_start]


# -- rate limit -------------------------------------------------------------------------------
def test_the_rate_limit_rejects_beyond_n_per_window_and_recovers(clock: FakeClock) -> None:
    with TencentEmulator(dataset=Dataset(), clock=clock, rate_limit=3) as emu:
        for _ in range(3):
            assert call(emu, week_uri()).status_code == 200
            clock.now += 1
        clock.now += 27  # t = 30
        refused = call(emu, week_uri())
        assert refused.status_code == 400
        assert error_code(refused) == 190313
        clock.now = NOW + 60.5  # the call at t=0 has left the window; the refusal never counted
        assert call(emu, week_uri()).status_code == 200
        assert error_code(call(emu, week_uri())) == 190313
        emu.advance(61)
        assert all(call(emu, week_uri()).status_code == 200 for _ in range(3))
        assert emu.call_count("/v1/corp/records") == 9


def test_rejected_calls_do_not_use_the_window(clock: FakeClock) -> None:
    ds = Dataset()
    file_owner = ds.add_meeting(start=NOW - DAY, duration=60, transcode_seconds=60)
    file_id = ds.get(file_owner).files[0].record_file_id
    with TencentEmulator(dataset=ds, clock=clock, rate_limit=1) as emu:
        bad = Credentials(DEMO_APP_ID, DEMO_SECRET_ID, "wrong")
        assert error_code(call(emu, week_uri(), bad)) == 200003
        assert error_code(call(emu, week_uri(page_size=50))) == 190004
        assert call(emu, f"/v1/addresses/{file_id}").status_code == 200
        assert call(emu, week_uri()).status_code == 200
        assert error_code(call(emu, week_uri())) == 190313
        assert call(emu, f"/v1/addresses/{file_id}").status_code == 200


def test_a_short_rate_window_is_configurable() -> None:
    with TencentEmulator(dataset=Dataset(), rate_limit=1, rate_window=0.3) as emu:
        now = time.time()
        uri = records_uri(now - DAY, now)
        assert call(emu, uri).status_code == 200
        assert error_code(call(emu, uri)) == 190313
        time.sleep(0.35)
        assert call(emu, uri).status_code == 200


# -- meeting states over emulated time --------------------------------------------------------
def test_a_meeting_moves_from_recording_to_transcoding_to_done(clock: FakeClock) -> None:
    ds = Dataset()
    mid = ds.add_meeting(
        start=NOW + 60,
        duration=600,
        transcode_seconds=300,
        files=2,
        subject="产品周会 第12期",
        password="abc123",
    )
    completed: list[str] = []
    ds.on_completed.append(lambda m, now: completed.append(m.meeting_record_id))
    with TencentEmulator(dataset=ds, clock=clock) as emu:

        def listed() -> list[dict]:
            now = emu.now()
            return call(emu, records_uri(now - DAY, now)).json()["record_meetings"]

        assert listed() == []
        emu.advance(120)
        (meeting,) = listed()
        assert meeting["state"] == 1 and "record_files" not in meeting
        assert meeting["subject"] == "产品周会 第12期"
        emu.advance(600)
        (meeting,) = listed()
        assert meeting["state"] == 2 and "record_files" not in meeting
        assert completed == []
        emu.advance(300)
        (meeting,) = listed()
        assert meeting["state"] == 3
        assert len(meeting["record_files"]) == 2
        assert meeting["record_files"][0]["password"] == "abc123"
        assert completed == [mid]
        listed()
        assert emu.tick() == []
        assert completed == [mid]


def test_complete_now_and_set_state_force_a_state(clock: FakeClock) -> None:
    ds = Dataset()
    mid = ds.add_meeting(start=NOW - 60, duration=3600)
    with TencentEmulator(dataset=ds, clock=clock) as emu:
        assert call(emu, week_uri()).json()["record_meetings"][0]["state"] == 1
        ds.complete_now(mid)
        assert emu.tick() == [mid]
        meeting = call(emu, week_uri()).json()["record_meetings"][0]
        assert meeting["state"] == 3 and meeting["record_files"]
        ds.set_state(mid, 2)
        assert call(emu, week_uri()).json()["record_meetings"][0]["state"] == 2
        ds.set_state(mid, None)
        assert call(emu, week_uri()).json()["record_meetings"][0]["state"] == 1


# -- faults -----------------------------------------------------------------------------------
def test_fault_500(emu: TencentEmulator) -> None:
    emu.faults.add("500")
    resp = call(emu, week_uri())
    assert resp.status_code == 500
    assert error_code(resp) == 500000
    assert call(emu, week_uri()).status_code == 200


def test_fault_503_html_is_not_json(emu: TencentEmulator) -> None:
    emu.faults.add("503_html")
    resp = call(emu, week_uri())
    assert resp.status_code == 503
    assert resp.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        resp.json()


def test_fault_slow_outlasts_the_client_timeout(emu: TencentEmulator) -> None:
    emu.faults.add("slow", delay=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        call(emu, week_uri(), timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert emu.call_count("/v1/corp/records") == 1
    assert call(emu, week_uri()).status_code == 200


def test_fault_slow_still_answers_a_patient_client(emu: TencentEmulator) -> None:
    emu.faults.add("slow", delay=0.2)
    started = time.monotonic()
    assert call(emu, week_uri(), timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_fault_malformed_json(emu: TencentEmulator) -> None:
    emu.faults.add("malformed_json")
    resp = call(emu, week_uri())
    assert resp.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.text)


def test_fault_wrong_shape(emu: TencentEmulator) -> None:
    emu.faults.add("wrong_shape")
    emu.faults.add("wrong_shape", variant="meetings_not_list")
    first = call(emu, week_uri()).json()
    assert "total_page" not in first and "total_count" in first
    second = call(emu, week_uri()).json()
    assert not isinstance(second["record_meetings"], list)
    assert isinstance(call(emu, week_uri()).json()["record_meetings"], list)


def test_fault_missing_field(emu: TencentEmulator) -> None:
    emu.faults.add("missing_field")
    meetings = call(emu, week_uri()).json()["record_meetings"]
    assert "meeting_id" not in meetings[0]
    assert all("meeting_id" in m for m in meetings[1:])


def test_fault_drop_closes_the_connection(emu: TencentEmulator) -> None:
    emu.faults.add("drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        call(emu, week_uri())
    assert emu.calls[-1].status == 0
    assert call(emu, week_uri()).status_code == 200


@pytest.mark.parametrize(
    ("kind", "kw", "status", "code"),
    [
        ("throttle", {}, 400, 190313),
        ("throttle_app", {}, 400, 190310),
        ("error", {"code": 9042}, 400, 9042),
        ("error", {"code": 190311, "status": 400}, 400, 190311),
    ],
)
def test_error_faults(emu: TencentEmulator, kind: str, kw: dict, status: int, code: int) -> None:
    emu.faults.add(kind, **kw)
    resp = call(emu, week_uri())
    assert resp.status_code == status
    assert error_code(resp) == code
    assert resp.json()["error_info"]["new_error_code"] == 200_000_000 + code
    assert emu.calls[-1].error_code == code


def test_faults_are_used_up_in_order_and_only_on_their_path(emu: TencentEmulator) -> None:
    emu.faults.add("500", count=2)
    emu.faults.add("throttle")
    emu.faults.add("drop", path_prefix="/v1/addresses")
    statuses = [call(emu, week_uri()).status_code for _ in range(4)]
    assert statuses == [500, 500, 400, 200]
    assert len(emu.faults) == 1
    emu.faults.clear()
    assert len(emu.faults) == 0


def test_unknown_fault_kinds_are_refused(emu: TencentEmulator) -> None:
    with pytest.raises(ValueError):
        emu.faults.add("teapot")
    with pytest.raises(ValueError):
        emu.faults.add("error")


# -- call counting ----------------------------------------------------------------------------
def test_every_call_is_recorded(emu: TencentEmulator) -> None:
    emu.faults.add("500")
    uri = week_uri(page_size=5)
    call(emu, uri)
    call(emu, uri)
    call(emu, uri, Credentials(DEMO_APP_ID, "nobody", "x"))
    call(emu, "/v1/addresses/123")
    calls = emu.calls
    assert [(c.status, c.error_code) for c in calls] == [
        (500, 500000),
        (200, None),
        (400, 190303),
        (400, 190004),
    ]
    method, path, query, status, code = calls[1]
    assert (method, path, status, code) == ("GET", "/v1/corp/records", 200, None)
    assert query == {
        "start_time": str(int(NOW - 7 * DAY)),
        "end_time": str(int(NOW)),
        "page_size": "5",
    }
    assert emu.call_count() == 4
    assert emu.call_count("/v1/corp/records") == 3
    assert emu.call_count("/v1/addresses") == 1
    emu.reset_calls()
    assert emu.calls == [] and emu.call_count() == 0


def test_unknown_paths_get_404(emu: TencentEmulator) -> None:
    resp = call(emu, "/v1/nothing-here")
    assert resp.status_code == 404
    assert "error_info" in resp.json()


# -- addresses --------------------------------------------------------------------------------
def test_addresses_are_fresh_on_every_call_and_expire(clock: FakeClock) -> None:
    ds = Dataset()
    mid = ds.add_meeting(start=NOW - DAY, duration=600)
    file_id = ds.get(mid).files[0].record_file_id
    with TencentEmulator(dataset=ds, clock=clock) as emu:
        first = call(emu, f"/v1/addresses/{file_id}?operator_id=admin&operator_id_type=1")
        second = call(emu, f"/v1/addresses/{file_id}")
        assert first.status_code == second.status_code == 200
        a, b = first.json(), second.json()
        assert a["record_file_id"] == file_id
        for key in ("view_address", "download_address", "audio_address"):
            assert a[key].startswith(emu.url) and a[key] != b[key]
        media = requests.get(a["download_address"], timeout=5)
        assert media.status_code == 200 and file_id.encode() in media.content
        assert requests.get(a["audio_address"], timeout=5).status_code == 200
        forged = a["download_address"].replace("token=", "token=0")
        assert requests.get(forged, timeout=5).status_code == 403
        emu.advance(6 * 3600 + 1)
        assert requests.get(a["download_address"], timeout=5).status_code == 403


def test_addresses_of_unknown_or_unfinished_files_are_errors(clock: FakeClock) -> None:
    ds = Dataset()
    mid = ds.add_meeting(start=NOW - 60, duration=3600)
    file_id = ds.get(mid).files[0].record_file_id
    with TencentEmulator(dataset=ds, clock=clock) as emu:
        for uri in ("/v1/addresses/9999999999", f"/v1/addresses/{file_id}"):
            resp = call(emu, uri)
            assert resp.status_code == 400
            assert error_code(resp) == 190004


def test_addresses_are_signature_checked(tencent_emulator: TencentEmulator) -> None:
    resp = call(tencent_emulator, "/v1/addresses/1", Credentials(DEMO_APP_ID, "x", "y"))
    assert error_code(resp) == 190303


def test_corp_records_download_addresses_work(emu: TencentEmulator) -> None:
    meetings = call(emu, week_uri(page_size=20)).json()["record_meetings"]
    files = [f for m in meetings for f in m.get("record_files", []) if "download_address" in f]
    assert files
    assert requests.get(files[0]["download_address"], timeout=5).status_code == 200


# -- settings and the command line ------------------------------------------------------------
def test_from_settings_uses_the_bot_credentials_or_the_demo_ones() -> None:
    demo = TencentEmulator.from_settings(load_settings({}), dataset=Dataset())
    assert demo.credentials == Credentials(DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY)
    assert demo.limiter.limit == 10
    settings = load_settings(
        {},
        tencent_app_id="2001",
        tencent_secret_id="sid",
        tencent_secret_key="skey",
        tencent_sdk_id="77",
        tencent_rate_limit=4,
    )
    own = TencentEmulator.from_settings(settings, dataset=Dataset(), rate_limit=None, port=0)
    assert own.credentials == Credentials("2001", "sid", "skey", "77")
    assert own.limiter.limit == 4
    assert (
        TencentEmulator.from_settings(settings, rate_limit=2, dataset=Dataset()).limiter.limit == 2
    )


def test_the_cli_serves_and_never_prints_the_secret_key(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENT_", "SLACK_"))}
    env["TENCENT_MEETING_APP_ID"] = "3003"
    env["TENCENT_MEETING_SECRET_ID"] = "cli-secret-id"
    env["TENCENT_MEETING_SECRET_KEY"] = "cli-secret-key-value"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "emulator", "--port", "0", "--days", "2", "--seed", "5"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not (lines and lines[-1].startswith("Ctrl-C")):
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, proc.stderr.read()  # type: ignore[union-attr]
            lines.append(line.strip())
        url = lines[0].rsplit(" ", 1)[1]
        assert url.startswith("http://127.0.0.1:")
        creds = Credentials("3003", "cli-secret-id", "cli-secret-key-value")
        now = time.time()
        uri = records_uri(now - 2 * DAY, now)
        resp = requests.get(url + uri, headers=signed_headers(creds, "GET", uri), timeout=5)
        assert resp.status_code == 200 and resp.json()["total_count"] > 0
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    text = "\n".join(lines) + out + err
    assert "cli-secret-id" in text and "3003" in text
    assert "cli-secret-key-value" not in text
    assert proc.returncode == 0
