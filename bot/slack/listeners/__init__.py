"""Listener registration: one module per kind of Slack input, each with `register(app, services)`.

Where does `/recordings` land? commands.py. A button click? actions.py. App Home? events.py.
"""

from __future__ import annotations

from slack_bolt import App

from bot.wiring import Services


def register_listeners(app: App, services: Services) -> None:
    from bot.slack.listeners import actions, commands, events

    commands.register(app, services)
    actions.register(app, services)
    events.register(app, services)
