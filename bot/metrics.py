"""The bot's Prometheus metrics (prometheus-client), served at GET /metrics.

Counters and histograms live in this process's registry and count what this process did (each
replica is scraped on its own). Queue depths are read from the shared database when scraped
(bot/server/queue_depths.py). Label values come from small fixed sets (endpoints as path
templates, error class names, Slack error codes): never an id, a URL, a name or a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

API_CALLS = Counter(
    "recordings_tencent_api_calls",
    "Tencent Meeting API calls, by endpoint (a path template) and outcome (ok or the error).",
    ["endpoint", "outcome"],
    registry=REGISTRY,
)
BUDGET_WAIT = Histogram(
    "recordings_budget_wait_seconds",
    "Time spent waiting for a call slot of the API budget, by bucket and priority.",
    ["bucket", "priority"],
    buckets=(0.005, 0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
CYCLES = Counter(
    "recordings_poll_cycles",
    "Poll cycles run by this process, by outcome (ok, failed).",
    ["outcome"],
    registry=REGISTRY,
)
CYCLE_SECONDS = Histogram(
    "recordings_poll_cycle_seconds",
    "How long a poll cycle took, by outcome.",
    ["outcome"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "recordings_deliveries",
    "Channel messages handled, by outcome (sent, recovered, failed, skipped, defer_channel).",
    ["outcome"],
    registry=REGISTRY,
)
WEBHOOK_EVENTS = Counter(
    "recordings_webhook_events",
    "Tencent webhook requests, by outcome (accepted, duplicate, rejected).",
    ["outcome"],
    registry=REGISTRY,
)
SLACK_ERRORS = Counter(
    "recordings_slack_errors",
    "Slack Web API calls that failed, by method and Slack's error code.",
    ["method", "error"],
    registry=REGISTRY,
)

_ID_LIKE = re.compile(r"\d|^[A-Za-z0-9_-]{24,}$")
_ERROR_CODE = re.compile(r"^[a-z0-9_]{1,60}$")


def endpoint_of(path: str) -> str:
    """A bounded label for an API path: `/v1/addresses/8623…` -> `addresses/{id}`."""
    parts = [p for p in path.split("?", 1)[0].strip("/").split("/") if p and p != "v1"]
    return "/".join("{id}" if _ID_LIKE.search(p) else p for p in parts) or "/"


def outcome_of(exc: BaseException | None) -> str:
    """`ok`, or the error's class name (a small, fixed set)."""
    return "ok" if exc is None else type(exc).__name__


def slack_error_code(error: object) -> str:
    """Slack's error code as a label; anything that does not look like one is `other`."""
    text = str(error or "")
    return text if _ERROR_CODE.match(text) else "other"


def exposition(extra: Collector | None = None) -> tuple[bytes, str]:
    """The metrics in Prometheus' text format (with `extra`'s, read for this scrape), and its
    content type."""
    registry = REGISTRY
    if extra is not None:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
        registry.register(extra)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward(Collector):
    """The process's own metrics, inside a registry made for one scrape."""

    def __init__(self, source: CollectorRegistry):
        self.source = source

    def collect(self) -> Iterator[Metric]:
        yield from self.source.collect()
