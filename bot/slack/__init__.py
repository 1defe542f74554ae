"""The Slack side: Block Kit rendering (`blocks`, `mrkdwn`), the Bolt app and its listeners."""
