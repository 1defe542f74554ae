"""Tencent Meeting cloud recordings, brought into Slack."""

__version__ = "0.1.0"
