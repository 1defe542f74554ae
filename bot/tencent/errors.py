"""Typed errors of the Tencent Meeting side.

`error_from_response` turns an answer carrying `error_info` into the right exception, with a
message that says what to fix. Nothing secret is ever put into a message.
"""

from __future__ import annotations

from bot.meeting_content import CONTENT_GENERATING, CONTENT_NO_STS, CONTENT_OFF

E_STS_TOKEN = 190320  # assumed (unpublished): a missing or invalid STS-Token


class TencentError(Exception):
    """Base of every error raised by the Tencent side."""

    retryable: bool = False


class TencentApiError(TencentError):
    """The API answered with `error_info`."""

    def __init__(
        self,
        error_code: int,
        message: str,
        *,
        http_status: int | None = None,
        new_error_code: int | None = None,
        hint: str = "",
    ):
        self.error_code = error_code
        self.new_error_code = new_error_code
        self.api_message = message
        self.http_status = http_status
        self.hint = hint
        text = f"Tencent Meeting error {error_code}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class AuthenticationError(TencentApiError):
    """Unknown AppId / SecretId (190303) or a signature that does not verify (200003)."""


class ClockSkewError(TencentApiError):
    """The request's timestamp is more than 5 minutes off the server's clock (190300)."""


class ReplayError(TencentApiError):
    """The (timestamp, nonce) pair was already used (190301). Retrying with a new nonce is safe."""

    retryable = True


class ParameterError(TencentApiError):
    """A bad parameter (190004), e.g. a time range over 31 days."""


class PermissionDeniedError(TencentApiError):
    """The app or operator may not call this API (9042)."""


class ThrottledError(TencentApiError):
    """A per-minute call limit was exceeded (190310, 190313): wait for the window to clear."""

    retryable = True


class DailyLimitError(TencentApiError):
    """The per-day call limit was exceeded (190311): nothing will work until tomorrow."""


class ServerError(TencentApiError):
    """A 5xx answer from the service."""

    retryable = True


class ContentUnavailableError(TencentApiError):
    """The recording's content (minutes, chapters, transcript) cannot be had now; `reason` is
    one of bot.meeting_content's CONTENT_* reasons."""

    reason: str = ""


class ContentGeneratingError(ContentUnavailableError):
    """Tencent is still producing the content (500051 "智能化数据生成中"): ask again later.
    Not retried by the client: generation takes minutes, the caller's backoff decides."""

    reason = CONTENT_GENERATING


class ContentOffError(ContentUnavailableError):
    """The recording's AI features are off (500182 "该文件未打开智能录制开关"), or the plan has
    none: permanent, do not ask again for this recording."""

    reason = CONTENT_OFF


class StsTokenError(ContentUnavailableError):
    """The endpoint needs an `STS-Token` header and none was sent, or the one sent is stale.
    `token_sent` tells which (set by the client). The code is unpublished: E_STS_TOKEN is the
    emulator's assumption, and any error whose message names the STS token is taken as one."""

    reason = CONTENT_NO_STS
    token_sent: bool = False


class TransportError(TencentError):
    """The network failed (connection refused or dropped, timeout)."""

    retryable = True


class MalformedResponseError(TencentError):
    """The answer was not JSON, or JSON of the wrong shape."""


class MalformedRecordError(MalformedResponseError):
    """A record in the answer misses a required field or has one of the wrong type."""

    def __init__(self, path: str, problem: str):
        self.path = path
        self.problem = problem
        super().__init__(f"malformed record: {path} {problem}")


class BudgetExhaustedError(TencentError):
    """No API call is free now and the caller could not wait; `retry_after` says how long."""

    def __init__(self, retry_after: float):
        self.retry_after = retry_after
        super().__init__(f"API budget spent: the next call is free in {retry_after:.0f} s")


_HINTS = {
    190300: "the clock of this machine is more than 5 minutes off; sync it with NTP",
    190301: "a request was replayed (same timestamp and nonce)",
    190303: "check TENCENT_MEETING_APP_ID, TENCENT_MEETING_SECRET_ID and TENCENT_MEETING_SDK_ID",
    200003: "the signature did not verify: check TENCENT_MEETING_SECRET_KEY",
    190004: "a parameter was rejected (for corp/records: the range must be at most 31 days)",
    9042: "the app or operator lacks permission; corp/records needs an account administrator",
    190310: "the app's per-minute call limit was exceeded",
    190311: "the app's daily call limit was exceeded",
    190313: "the per-minute limit of this API was exceeded",
    500051: "the AI content is still being generated; ask again later",
    500182: "the recording's AI features are off, or the plan has none",
    E_STS_TOKEN: "this API needs the STS-Token from the common.sts-token webhook event",
}

_CLASSES: dict[int, type[TencentApiError]] = {
    190300: ClockSkewError,
    190301: ReplayError,
    190303: AuthenticationError,
    200003: AuthenticationError,
    190004: ParameterError,
    9042: PermissionDeniedError,
    190310: ThrottledError,
    190313: ThrottledError,
    190311: DailyLimitError,
    500051: ContentGeneratingError,
    500182: ContentOffError,
    E_STS_TOKEN: StsTokenError,
}

THROTTLING_CODES = frozenset({190310, 190313})


def _names_sts(message: str) -> bool:
    text = message.lower().replace("_", "-").replace(" ", "-")
    return "sts-token" in text


def error_from_response(http_status: int, body: object) -> TencentApiError | None:
    """The typed error an answer carries, or None when it carries none."""
    if not isinstance(body, dict) or "error_info" not in body:
        return None
    info = body["error_info"]
    if not isinstance(info, dict):
        raise MalformedResponseError("error_info is not an object")
    try:
        code = int(info.get("error_code"))
    except (TypeError, ValueError):
        raise MalformedResponseError("error_info.error_code is missing or not a number") from None
    message = str(info.get("message", ""))[:300]
    new_code = info.get("new_error_code")
    cls = _CLASSES.get(code)
    if cls is None and _names_sts(message):
        cls = StsTokenError
    if cls is None:
        cls = ServerError if http_status >= 500 else TencentApiError
    return cls(
        code,
        message,
        http_status=http_status,
        new_error_code=new_code if isinstance(new_code, int) else None,
        hint=_HINTS.get(code, "") or (_HINTS[E_STS_TOKEN] if cls is StsTokenError else ""),
    )
