"""Local stand-ins for the services the bot talks to.

`bot.emulator.tencent` serves the Tencent Meeting REST API (signed requests, corp/records,
addresses, rate limits, fault injection); `bot.emulator.dataset` holds the emulated company's
cloud recordings, whose state follows the emulator's clock.
"""
