"""GET /v1/addresses/{id}: fresh links on every call, and the media they point at (checked by
their token)."""

from __future__ import annotations

import requests

from bot.config import DEMO_APP_ID
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.server import TencentEmulator
from bot.tencent.signing import Credentials
from tests.emulator.tencent.signed_calls import DAY, NOW, FakeClock, call, error_code, week_uri


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
