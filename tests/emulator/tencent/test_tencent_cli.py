"""`recordings-bot emulator`: serves until Ctrl-C, and never prints the secret key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from bot.tencent.signing import Credentials, signed_headers
from tests.emulator.tencent.signed_calls import DAY, records_uri


def test_the_cli_serves_and_never_prints_the_secret_key(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENT_", "SLACK_"))}
    env["TENCENT_MEETING_APP_ID"] = "3003"
    env["TENCENT_MEETING_SECRET_ID"] = "cli-secret-id"
    env["TENCENT_MEETING_SECRET_KEY"] = "cli-secret-key-value"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "emulator", "--port", "0", "--days", "2", "--seed", "5"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not (lines and lines[-1].startswith("Ctrl-C")):
            line = proc.stdout.readline()  # type: ignore[union-attr]
            assert line, proc.stderr.read()  # type: ignore[union-attr]
            lines.append(line.strip())
        url = lines[0].rsplit(" ", 1)[1]
        assert url.startswith("http://127.0.0.1:")
        creds = Credentials("3003", "cli-secret-id", "cli-secret-key-value")
        now = time.time()
        uri = records_uri(now - 2 * DAY, now)
        resp = requests.get(url + uri, headers=signed_headers(creds, "GET", uri), timeout=5)
        assert resp.status_code == 200 and resp.json()["total_count"] > 0
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    text = "\n".join(lines) + out + err
    assert "cli-secret-id" in text and "3003" in text
    assert "cli-secret-key-value" not in text
    assert proc.returncode == 0
