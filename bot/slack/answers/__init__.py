"""Answering a command or a click: what `/recordings TEXT`, a button or App Home means.

Plain functions over the collaborators in `Deps` (settings, store, Tencent client, the app's
Web API client, the user directory), called by the listeners after the ack. They draw through
bot.slack.blocks, bot.slack.status and bot.slack.home, and answer through the `respond` they are
handed (a response_url), or the app's client where there is none.
"""
