"""A local stand-in for the Tencent Meeting REST API, faithful where the bot depends on it.

It checks every request as Tencent does (AppId / X-TC-Key / SdkId, timestamp within 5 minutes,
no replayed timestamp + nonce, the HMAC signature over the raw path + query as received), serves
`GET /v1/corp/records` (31-day rule, paging, 10 calls per rolling minute per AppId) and
`GET /v1/addresses/{record_file_id}`, the content endpoints (AI minutes, chapters, transcripts,
the batch addresses; `emulator.intelligence` holds their knobs), and can inject faults. It
records every call it receives.

Run it from tests (`with TencentEmulator(...) as emu: ... emu.url`) or as
`recordings-bot emulator --port 8780`.

    answers.py        error codes, error_info bodies, the Answer a handler returns
    auth.py           signature, credential, timestamp and replay checks
    ratelimit.py      calls per rolling minute per AppId
    faults.py         faults to inject, and how they replace or reshape an answer
    records.py        GET /v1/corp/records: parameters and pages
    addresses.py      GET /v1/addresses/{id}, and the media links it hands out
    dataset.py        the emulated company's recordings, whose state follows a clock
    content.py        what the recordings said: minutes, chapters, transcripts (generated)
    intelligence.py   /v1/smart/minutes|chapters, transcripts paragraphs|details, batch
                      /v1/addresses and its transcript file; generating, AI off, hostile text
    sts.py            the STS-Token rule (optional) and the common.sts-token event
    webhook_sender.py recording.completed webhooks, sent to the bot
    server.py         TencentEmulator: clocks, calls, dispatch, the HTTP server
    cli.py            `recordings-bot emulator`
"""

from bot.emulator.tencent.answers import (
    E_API_MINUTE_LIMIT,
    E_APP_MINUTE_LIMIT,
    E_INTERNAL,
    E_NOT_FOUND,
    E_PARAMETER,
    E_REPLAY,
    E_SIGNATURE,
    E_TIMESTAMP,
    E_UNKNOWN_APP,
    Rejection,
    error_body,
)
from bot.emulator.tencent.auth import MAX_SKEW, ReplayGuard, check_request
from bot.emulator.tencent.cli import serve_from_cli
from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.faults import FAULT_KINDS, Fault, Faults
from bot.emulator.tencent.ratelimit import RateLimiter
from bot.emulator.tencent.records import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_RANGE,
    RECORDS_PATH,
    RecordsQuery,
    parse_records_query,
)
from bot.emulator.tencent.server import Call, Clock, TencentEmulator

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "E_API_MINUTE_LIMIT",
    "E_APP_MINUTE_LIMIT",
    "E_INTERNAL",
    "E_NOT_FOUND",
    "E_PARAMETER",
    "E_REPLAY",
    "E_SIGNATURE",
    "E_TIMESTAMP",
    "E_UNKNOWN_APP",
    "FAULT_KINDS",
    "MAX_PAGE_SIZE",
    "MAX_RANGE",
    "MAX_SKEW",
    "RECORDS_PATH",
    "Call",
    "Clock",
    "Dataset",
    "Fault",
    "Faults",
    "RateLimiter",
    "RecordsQuery",
    "Rejection",
    "ReplayGuard",
    "TencentEmulator",
    "check_request",
    "error_body",
    "parse_records_query",
    "serve_from_cli",
]
