"""Listener registration: one module per kind of Slack input, each with `register(app, deps)`.

Where does `/recordings` land? commands.py. A button click? actions.py. App Home? events.py.
An admin's form (a modal) and its submission? forms.py.
A listener acknowledges and hands over: what the input means is answered after the ack by
bot.slack.answers, on the pool in after_ack.py.
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.answers.deps import Deps


def register_listeners(app: App, deps: Deps) -> None:
    from bot.slack.listeners import actions, commands, events, forms

    commands.register(app, deps)
    actions.register(app, deps)
    events.register(app, deps)
    forms.register(app, deps)
