"""`recordings-bot sync`: the last days of recordings, from the API or an embedded emulator."""

from __future__ import annotations

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, load_settings
from bot.emulator.tencent import TencentEmulator
from bot.emulator.tencent.dataset import Dataset
from bot.list_recent import list_recent_recordings


def test_quick_sync_against_the_embedded_emulator(tmp_path, capsys):
    settings = load_settings(
        {"RECORDINGS_DB": str(tmp_path / "sync.db"), "TENCENT_MEETING_RATE_LIMIT": "100"},
        dotenv=False,
    )
    assert list_recent_recordings(settings, days=3) == 0
    out = capsys.readouterr().out
    assert "local emulator" in out
    assert "recordings found in the last 3 days" in out
    assert "limit 100 corp/records calls per minute" in out
    lines = [line for line in out.splitlines() if line[:2] == "20"]
    assert len(lines) >= 20  # 8 meetings a day, plus the ones still recording
    assert "ready" in out and "recording" in out
    assert "Hx7k2Q" not in out and "token=" not in out  # a generated password, addresses


def test_quick_sync_with_partial_credentials_uses_the_embedded_emulator(tmp_path, capsys):
    settings = load_settings(
        {"RECORDINGS_DB": str(tmp_path / "sync.db"), "TENCENT_MEETING_APP_ID": "1"},
        dotenv=False,
    )
    assert list_recent_recordings(settings, days=1) == 0
    out = capsys.readouterr().out
    assert "local emulator" in out and "recordings found in the last 1 days" in out


def test_quick_sync_error_is_one_line(tmp_path, capsys):
    with TencentEmulator(dataset=Dataset.from_records([]), rate_limit=600) as emulator:
        env = {
            "RECORDINGS_DB": str(tmp_path / "sync.db"),
            "TENCENT_MEETING_API_URL": emulator.url,
            "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
            "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
            "TENCENT_MEETING_SECRET_KEY": "wrong-key",
        }
        assert list_recent_recordings(load_settings(env, dotenv=False), days=1) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("Sync failed: Tencent Meeting error 200003")
    assert "TENCENT_MEETING_SECRET_KEY" in captured.err and "wrong-key" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1
