"""Pacing per channel, on an injected clock: nothing here really sleeps."""

from __future__ import annotations

import threading

from bot.delivery.pacing import Pacer


class Clock:
    """A monotonic clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


def test_the_first_post_to_a_channel_does_not_wait() -> None:
    clock = Clock()
    pacer = Pacer(1.0, sleep=clock.sleep, monotonic=clock.monotonic)
    pacer.wait_turn("C1")
    pacer.wait_turn("C2")
    assert clock.slept == []


def test_posts_to_one_channel_are_spaced_by_the_interval() -> None:
    clock = Clock()
    pacer = Pacer(1.0, sleep=clock.sleep, monotonic=clock.monotonic)
    pacer.wait_turn("C1")
    clock.now += 0.25
    pacer.wait_turn("C1")
    assert clock.slept == [0.75]
    clock.now += 5
    pacer.wait_turn("C1")  # long enough since the last one
    assert clock.slept == [0.75]


def test_callers_book_their_turns_one_after_the_other() -> None:
    """Three posts to one channel asked for at the same instant go at +0, +1 and +2 s."""
    waits: list[float] = []
    pacer = Pacer(1.0, sleep=waits.append, monotonic=lambda: 50.0)
    for _ in range(3):
        pacer.wait_turn("C1")
    assert waits == [1.0, 2.0]


def test_no_interval_never_waits() -> None:
    waits: list[float] = []
    pacer = Pacer(0.0, sleep=waits.append, monotonic=lambda: 50.0)
    for _ in range(3):
        pacer.wait_turn("C1")
    assert waits == []
