"""Local stand-ins for the services the bot talks to.

`bot.emulator.tencent` serves the Tencent Meeting REST API (signed requests, corp/records,
addresses, rate limits, fault injection) over the emulated company's cloud recordings, whose
state follows the emulator's clock, and sends its webhooks; `bot.emulator.slack` serves Slack's
Web API and Socket Mode, and builds the signed requests Slack sends. They use only the Tencent
wire format (`bot.tencent.signing`, `bot.tencent.webhook`), `bot.models` and `bot.config`.
"""
