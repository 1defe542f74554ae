"""What one delivery run did."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeliveryReport:
    sent: int = 0
    recovered: int = 0  # found already posted (after a crash) instead of posting again
    updated: int = 0
    failed: int = 0
    error: str | None = None
