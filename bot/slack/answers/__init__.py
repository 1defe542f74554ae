"""Answering a command or a click: what `/recordings TEXT`, a button or App Home means.

Plain functions over the collaborators in `Deps` (store, Tencent client, settings, user
directory), called by the listeners after the ack. They render through bot.slack.blocks,
bot.slack.status and bot.slack.home, and send only through what they are handed (`respond`).
"""
