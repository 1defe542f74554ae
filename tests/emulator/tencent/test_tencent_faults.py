"""Injected faults: errors, HTML, broken JSON, slow and dropped answers, reshaped pages."""

from __future__ import annotations

import json
import time

import pytest
import requests

from bot.emulator.tencent.server import TencentEmulator
from tests.emulator.tencent.signed_calls import call, error_code, week_uri


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
