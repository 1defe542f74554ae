"""An emulator on a fixed clock, with a generated week of meetings."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.server import TencentEmulator
from tests.emulator.tencent.signed_calls import NOW, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[TencentEmulator]:
    dataset = Dataset.generate(NOW, days=7, seed=3, per_day=4)
    with TencentEmulator(rate_limit=1000, dataset=dataset, clock=clock) as emulator:
        yield emulator
