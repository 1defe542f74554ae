"""corp/records allows `rate_limit` calls per rolling window per AppId; rejected calls never
count."""

from __future__ import annotations

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.server import TencentEmulator
from bot.tencent.signing import Credentials
from tests.emulator.tencent.signed_calls import DAY, NOW, FakeClock, call, error_code, week_uri


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


def test_a_short_rate_window_is_configurable(clock: FakeClock) -> None:
    with TencentEmulator(dataset=Dataset(), clock=clock, rate_limit=1, rate_window=0.3) as emu:
        assert call(emu, week_uri()).status_code == 200
        assert error_code(call(emu, week_uri())) == 190313
        clock.now += 0.25
        assert error_code(call(emu, week_uri())) == 190313
        clock.now += 0.1  # 0.35 s after the first call: it has left the window
        assert call(emu, week_uri()).status_code == 200
