"""What an unexpected failure leaves behind: a trace in the log with every address redacted."""

from __future__ import annotations

import re
import traceback

_URL = re.compile(r"https?://\S+")


def redacted_trace(exc: BaseException) -> str:
    """The exception's traceback with every address replaced by <url>, fit for the log."""
    return _URL.sub("<url>", "".join(traceback.format_exception(exc)))
