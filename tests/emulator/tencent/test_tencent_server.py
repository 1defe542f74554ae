"""TencentEmulator over loopback: the demo credentials, meeting states over emulated time, every
call recorded, unknown paths, and the credentials taken from the bot's settings."""

from __future__ import annotations

import time

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, load_settings
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.server import TencentEmulator
from bot.tencent.signing import Credentials
from tests.emulator.tencent.signed_calls import DAY, NOW, FakeClock, call, records_uri, week_uri


def test_the_fixture_emulator_serves_the_demo_credentials(tencent_emulator) -> None:
    creds = Credentials(DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY)
    now = time.time()
    resp = call(tencent_emulator, records_uri(now - 7 * DAY, now), creds)
    assert resp.status_code == 200
    assert resp.json()["total_count"] > 0


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
