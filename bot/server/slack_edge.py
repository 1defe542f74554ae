"""The front of POST /slack/events: what a request must pass before Bolt sees it.

In order (each refusal is one rate-limited log line without the body, bot/server/rejections.py):
  a body of at most MAX_SLACK_BODY bytes (413, nothing read past the cap), in UTF-8 (400);
  an `X-Slack-Request-Timestamp` of digits within 5 minutes of our clock (401);
  an `X-Slack-Signature` that is the HMAC of that timestamp and the body (401);
  a (timestamp, signature) pair not seen before (answered 200, empty, and nothing done).

Why 512 KiB: the largest request Slack sends this app is a click on one of its channel
messages, which carries the whole message. The worst message `bot.slack.blocks` can render (50
blocks, every text and button at its limit, in CJK) makes a click body of about 450 KB,
URL-encoded (tests/server/test_slack_edge.py measures it); an event carries at most a view, which
Slack caps at 250 KB. A real click is a few KB.

Why a replay gets 200: Slack signs every delivery afresh, its retries included, so a pair seen
before is a copy: an attacker's, or a proxy's that resent a request. The first copy was done;
answering the copy 200 with nothing done keeps Slack (and a person's command) free of errors,
and Slack from counting failures against the app, while doing nothing twice.

The pairs are remembered in the database (store.webhooks, key `slack-request:`) for twice the
5-minute window (a timestamp up to 5 minutes ahead stays valid that long), so every process on
the database shares them. Slack's retries of an event are re-signed: they are recognised by
their event id (bot/slack/listeners/event_retries.py).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import time
from collections.abc import Callable, Iterable

from bot.server.rejections import RejectionLog

log = logging.getLogger(__name__)

MAX_SLACK_BODY = 512 << 10
SIGNATURE_WINDOW = 300  # seconds a request's timestamp may be off our clock (Slack's rule)
REPLAY_MEMORY = 2 * SIGNATURE_WINDOW
_MAX_TIMESTAMP_DIGITS = 12

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
Seen = Callable[[str, float], bool]  # (key, ttl) -> seen before? (store.webhooks.seen_nonce)


class _Refused(Exception):
    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _answer(start_response: Callable, status: str, body: bytes = b"") -> list[bytes]:
    start_response(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


class SlackEdge:
    """Wraps Bolt's WSGI handler: refuses what is too large, unsigned or replayed."""

    def __init__(
        self,
        bolt: WsgiApp,
        signing_secret: str,
        seen: Seen,
        *,
        max_body: int = MAX_SLACK_BODY,
        clock: Callable[[], float] = time.time,
        rejections: RejectionLog | None = None,
    ):
        self.bolt = bolt
        self._secret = signing_secret.encode("utf-8")
        self.seen = seen
        self.max_body = max_body
        self.clock = clock
        self.rejections = rejections or RejectionLog(log, "slack request")

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.bolt(environ, start_response)
        remote = environ.get("REMOTE_ADDR")
        try:
            body = self._read(environ)
            timestamp = self._verify(environ, body)
        except _Refused as refused:
            self.rejections.refused(refused.status.split()[0], refused.reason, remote)
            return _answer(start_response, refused.status, refused.reason.encode("utf-8"))
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        try:
            replayed = self.seen(f"slack-request:{timestamp}:{signature}", REPLAY_MEMORY)
        except Exception as exc:  # no memory of what was done: do nothing rather than twice
            self.rejections.refused("503", f"replay check failed ({type(exc).__name__})", remote)
            return _answer(start_response, "503 Service Unavailable", b"try again")
        if replayed:
            self.rejections.refused("200", "a replayed request, ignored", remote)
            return _answer(start_response, "200 OK")
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(len(body))
        return self.bolt(inner, start_response)

    def _read(self, environ: dict) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise _Refused("400 Bad Request", "malformed Content-Length") from None
        if length > self.max_body:
            raise _Refused("413 Payload Too Large", f"body over {self.max_body} bytes")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refused("400 Bad Request", "body is not UTF-8") from None
        return body

    def _verify(self, environ: dict, body: bytes) -> str:
        """The request's timestamp, once it and the signature check out."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "").strip()
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not signature:
            raise _Refused("401 Unauthorized", "no signature")
        ok = timestamp.isascii() and timestamp.isdigit()
        if not ok or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
            raise _Refused("401 Unauthorized", "malformed timestamp")
        if abs(self.clock() - int(timestamp)) > SIGNATURE_WINDOW:
            raise _Refused("401 Unauthorized", "stale timestamp")
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
            raise _Refused("401 Unauthorized", "bad signature")
        return timestamp
