"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.emulator.tencent import TencentEmulator


@pytest.fixture
def tmp_db_path(tmp_path: Path) -> str:
    """A fresh SQLite file path (not yet created) in the test's temporary folder."""
    return str(tmp_path / "recordings.db")


@pytest.fixture
def tencent_emulator() -> Iterator[TencentEmulator]:
    """A running Tencent Meeting emulator on loopback with the demo credentials and a generated
    week of meetings (`.credentials` signs requests; `.url` is its base URL)."""
    with TencentEmulator() as emulator:
        yield emulator
