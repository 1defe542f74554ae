"""API-shaped recorded meetings (as `GET /v1/corp/records` sends them) for the Tencent tests."""

from __future__ import annotations

DAY = 86400
END = 1_750_000_000  # a fixed "now" for static records: their states never change


def record(i: int, start: int) -> dict:
    """An API-shaped finished meeting starting at `start` (Unix s)."""
    return {
        "meeting_record_id": f"{1_000_000 + i}",
        "meeting_id": f"{2_000_000 + i}",
        "meeting_code": f"{300_000 + i}",
        "userid": "alice",
        "media_start_time": start * 1000,
        "subject": f"Meeting {i}",
        "state": 3,
        "record_files": [
            {
                "record_file_id": f"{4_000_000 + i}",
                "record_start_time": start * 1000 + 5000,
                "record_end_time": start * 1000 + 600_000,
                "record_size": 1000 + i,
                "sharing_state": 1,
                "password": f"pw{i}secret",
                "view_address": f"https://example.invalid/view/{i}?token=t{i}",
            }
        ],
    }


def records(count: int, start: int = END - 10 * DAY, step: int = 3600) -> list[dict]:
    return [record(i, start + i * step) for i in range(count)]
