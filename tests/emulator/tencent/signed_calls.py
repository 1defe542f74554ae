"""Signed calls to the Tencent emulator over loopback, and the fixed clock the tests drive it by."""

from __future__ import annotations

from urllib.parse import urlencode

import requests

from bot.emulator.tencent.server import TencentEmulator
from bot.tencent.signing import Credentials, signed_headers

DAY = 86400
NOW = 1_760_000_000.0  # a fixed emulated "now"


class FakeClock:
    def __init__(self, now: float = NOW):
        self.now = now

    def __call__(self) -> float:
        return self.now


def records_uri(start: float, end: float, **extra: object) -> str:
    params = {"start_time": int(start), "end_time": int(end), **extra}
    return "/v1/corp/records?" + urlencode(params)


def call(
    emu: TencentEmulator,
    uri: str,
    creds: Credentials | None = None,
    *,
    method: str = "GET",
    timeout: float = 5,
    **sign_kw: object,
) -> requests.Response:
    headers = signed_headers(creds or emu.credentials, method, uri, **sign_kw)  # type: ignore[arg-type]
    return requests.request(method, emu.url + uri, headers=headers, timeout=timeout)


def error_code(resp: requests.Response) -> int:
    return resp.json()["error_info"]["error_code"]


def week_uri(**extra: object) -> str:
    return records_uri(NOW - 7 * DAY, NOW, **extra)
