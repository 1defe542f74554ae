"""A local stand-in for Slack: the Web API the bot calls, the Socket Mode connection it opens,
and the signed requests Slack sends it.

    workspace.py        channels, users, messages, ephemeral messages and Home views
    methods.py          the Web API methods (chat.postMessage, conversations.history, ...)
    server.py           SlackStandIn: the HTTP server, faults, recorded calls, response URLs
    socket_mode.py      the Socket Mode server: envelopes out, acks in
    signed_requests.py  slash commands, clicks and events, signed as Slack signs them
"""

from bot.emulator.slack.methods import Params
from bot.emulator.slack.server import SlackStandIn
from bot.emulator.slack.socket_mode import SocketModeServer
from bot.emulator.slack.workspace import (
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    TEAM_NAME,
    ApiError,
    Channel,
    User,
    Workspace,
)

__all__ = [
    "BOT_ID",
    "BOT_USER_ID",
    "TEAM_ID",
    "TEAM_NAME",
    "ApiError",
    "Channel",
    "Params",
    "SlackStandIn",
    "SocketModeServer",
    "User",
    "Workspace",
]
