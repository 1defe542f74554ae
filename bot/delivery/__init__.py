"""Exactly-once posting of completed recordings to their channels.

One job per module:
- `deliverer`: the `Deliverer`, which claims each due delivery in the ledger, recovers a
  message an earlier attempt may have posted, posts, and records the outcome;
- `history`: finds our own earlier message for a recording in a channel's history;
- `slack_errors`: what a Slack error means (rate limited, a broken channel, a refused message,
  a message gone) and how it is described in the ledger and the logs;
- `broken_channels`: routes whose channel is gone or archived, and the admins' notices;
- `edits`: edits the messages of recordings whose files changed;
- `messages`: renders a recording's message under its route's policy;
- `pacing`: about one post a second per channel;
- `report`: what one delivery run did.
"""

from bot.delivery.deliverer import Deliverer
from bot.delivery.report import DeliveryReport

__all__ = ["Deliverer", "DeliveryReport"]
