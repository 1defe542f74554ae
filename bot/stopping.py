"""Stopping promptly: waits that end at once when the process is shutting down."""

from __future__ import annotations

import threading
from collections.abc import Callable


class ShuttingDown(Exception):  # noqa: N818 (not an error: the process is stopping)
    """Raised out of a wait when the process is stopping."""


def interruptible_sleep(stopping: threading.Event) -> Callable[[float], None]:
    """A sleep that ends at once, raising ShuttingDown, when `stopping` is set."""

    def sleep(seconds: float) -> None:
        if stopping.wait(max(0.0, seconds)):
            raise ShuttingDown("stopping")

    return sleep
