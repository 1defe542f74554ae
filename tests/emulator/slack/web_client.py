"""The bot token the stand-in of these tests expects, and a helper catching a WebClient's error."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

TOKEN = "xoxb-standin-test"


def api_error(call, *args, **kwargs) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        call(*args, **kwargs)
    return info.value
