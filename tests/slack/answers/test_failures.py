"""bot.slack.answers.failures: a failure's trace, fit for the log."""

from __future__ import annotations

from bot.slack.answers.failures import redacted_trace


def test_a_trace_keeps_the_error_and_loses_every_address() -> None:
    try:
        raise RuntimeError("boom at https://hooks.slack.com/secret-path?token=x and http://a.b/c")
    except RuntimeError as exc:
        trace = redacted_trace(exc)
    assert "Traceback" in trace and "RuntimeError: boom at <url> and <url>" in trace
    assert "secret-path" not in trace and "token=" not in trace and "a.b" not in trace
