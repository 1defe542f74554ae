"""`recordings-bot demo`: the real bot, working against local stand-ins of Tencent Meeting and
Slack, with no credentials and no network (see bot.demo.runner)."""

from __future__ import annotations

from bot.demo.runner import DemoOptions, run_demo
from bot.demo.world import Timeline

__all__ = ["DemoOptions", "Timeline", "run_demo"]
