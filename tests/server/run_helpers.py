"""Running `recordings-bot run` as a real process in the tests: its environment against the
emulators, starting it, waiting for it, and stopping it with SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import IO

import requests

from bot.config import DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY
from bot.emulator.slack import SlackStandIn
from bot.emulator.tencent import TencentEmulator

BOT_TOKEN = "xoxb-serve-test"
SIGNING_SECRET = "serve-test-secret"
USER = "USERVE001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(*args: str) -> list[str]:
    script = shutil.which("recordings-bot", path=os.path.dirname(sys.executable))
    return [script, *args] if script else [sys.executable, "-m", "bot", *args]


def bot_env(tencent: TencentEmulator, slack: SlackStandIn, db: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TENCENT_"))}
    env.update(
        {
            "TENCENT_MEETING_API_URL": tencent.url,
            "TENCENT_MEETING_APP_ID": DEMO_APP_ID,
            "TENCENT_MEETING_SECRET_ID": DEMO_SECRET_ID,
            "TENCENT_MEETING_SECRET_KEY": DEMO_SECRET_KEY,
            "RECORDINGS_DB": db,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "PORT": str(port),
            "POLL_INTERVAL_SECONDS": "60",
        }
    )
    return env


def wait_until(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_run(env: dict, cwd, log: IO[str] | None = None) -> subprocess.Popen:
    """The real `recordings-bot run` as a subprocess, its output captured (written to `log`
    when given, e.g. to measure how much a flood of requests adds to it)."""
    return subprocess.Popen(
        command("run", "--host", "127.0.0.1"),
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE if log is None else log,
        stderr=subprocess.PIPE if log is None else subprocess.STDOUT,
        text=True,
    )


def terminate(proc: subprocess.Popen) -> tuple[int, str]:
    """SIGTERM, as systemd or Heroku would send; (exit code, everything it wrote to stderr)."""
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    _, stderr = proc.communicate()
    return code, stderr


def healthz(port: int) -> int | None:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
    except requests.RequestException:
        return None
