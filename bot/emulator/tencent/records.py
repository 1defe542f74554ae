"""`GET /v1/corp/records`: its parameters (the 31-day rule, paging), the per-minute limit, and
the page of recordings it answers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from bot.emulator.tencent.answers import (
    E_API_MINUTE_LIMIT,
    E_NOT_FOUND,
    E_PARAMETER,
    Answer,
    Rejection,
)
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.ratelimit import RateLimiter

RECORDS_PATH = "/v1/corp/records"
MAX_RANGE = 31 * 86400
MAX_PAGE_SIZE = 20
DEFAULT_PAGE_SIZE = 10


@dataclass(frozen=True)
class RecordsQuery:
    start_time: int
    end_time: int
    page_size: int = DEFAULT_PAGE_SIZE
    page: int = 1


def _number(query: Mapping[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"{name} must be a number")
    return int(value)


def parse_records_query(query: Mapping[str, str]) -> RecordsQuery | Rejection:
    """The corp/records parameters, or the 190004 rejection Tencent answers."""
    try:
        start, end = _number(query, "start_time"), _number(query, "end_time")
        page_size = _number(query, "page_size")
        page = _number(query, "page")
        _number(query, "operator_id_type")
        _number(query, "query_record_type")
    except ValueError as exc:
        return Rejection(E_PARAMETER, f"invalid parameter: {exc}")
    if start is None or end is None:
        return Rejection(E_PARAMETER, "start_time and end_time are required")
    if end < start:
        return Rejection(E_PARAMETER, "end_time is before start_time")
    if end - start > MAX_RANGE:
        return Rejection(E_PARAMETER, "the time range may not exceed 31 days")
    page_size = DEFAULT_PAGE_SIZE if page_size is None else page_size
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        return Rejection(E_PARAMETER, "page_size must be between 1 and 20")
    page = 1 if page is None else page
    if page < 1:
        return Rejection(E_PARAMETER, "page starts at 1")
    return RecordsQuery(start, end, page_size, page)


def corp_records(
    dataset: Dataset,
    limiter: RateLimiter,
    method: str,
    query: Mapping[str, str],
    app_id: str,
    now: float,
) -> Answer:
    """The answer to a verified corp/records call (a rejected one never uses the limit)."""
    if method != "GET":
        return Answer.error(Rejection(E_NOT_FOUND, f"{method} not allowed", 405))
    params = parse_records_query(query)
    if isinstance(params, Rejection):
        return Answer.error(params)
    if not limiter.try_acquire(app_id, now):
        return Answer.error(
            Rejection(E_API_MINUTE_LIMIT, "the per-minute limit of this API was exceeded")
        )
    total, records = dataset.page(
        now, params.start_time * 1000, params.end_time * 1000, params.page, params.page_size
    )
    return Answer(
        200,
        {
            "total_count": total,
            "current_size": len(records),
            "current_page": params.page,
            "total_page": math.ceil(total / params.page_size),
            "record_meetings": records,
        },
    )
