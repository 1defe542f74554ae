"""Helpers the benchmarks share: percentiles, and when each recording reached its channel."""

from __future__ import annotations

import math

from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent.dataset import Dataset
from bot.models import STATE_TRANSCODING


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def posted_at(slack: SlackStandIn, channel: str) -> dict[str, float]:
    """meeting_record_id -> ts of its first message in `channel`."""
    out: dict[str, float] = {}
    for message in slack.messages(channel):
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        mid = payload.get("meeting_record_id")
        if mid and mid not in out:
            out[mid] = float(message["ts"])
    return out


def transcoding_recordings(dataset: Dataset, count: int, now: float) -> list[str]:
    """`count` recordings that started in the last hour, held transcoding until the bench
    completes them (dataset.complete_now); their meeting_record_ids."""
    mids = []
    for i in range(count):
        mid = dataset.add_meeting(
            start=int(now - 3600 + i * 60), duration=1800, transcode_seconds=10**6
        )
        dataset.set_state(mid, STATE_TRANSCODING)
        mids.append(mid)
    return mids
