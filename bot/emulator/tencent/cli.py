"""`recordings-bot emulator`: the Tencent Meeting emulator as a process, until Ctrl-C."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bot.emulator.tencent.dataset import Dataset
from bot.emulator.tencent.server import TencentEmulator

if TYPE_CHECKING:
    from bot.config import Settings


def serve_from_cli(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8780,
    rate_limit: int | None = None,
    app_id: str | None = None,
    secret_id: str | None = None,
    secret_key: str | None = None,
    fixture: str | None = None,
    days: int = 7,
    seed: int = 1,
) -> None:
    """`recordings-bot emulator`: serve until Ctrl-C. Prints the URL and the credentials' ids,
    never the secret key."""
    if fixture:
        dataset = Dataset.load_json(fixture)
        source = f"from {fixture}"
    else:
        dataset = Dataset.generate(time.time(), days=days, seed=seed)
        source = f"generated: {days} days, seed {seed}"
    emulator = TencentEmulator.from_settings(
        settings,
        host=host,
        port=port,
        rate_limit=rate_limit,
        app_id=app_id,
        secret_id=secret_id,
        secret_key=secret_key,
        dataset=dataset,
    )
    try:
        emulator.start()
    except OSError as exc:
        raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    creds = emulator.credentials
    if secret_key:
        key_source = "--secret-key"
    elif settings.has_tencent_credentials:
        key_source = "TENCENT_MEETING_SECRET_KEY"
    else:
        key_source = "the demo key, DEMO_SECRET_KEY in bot/config.py"
    print(f"Tencent Meeting emulator on {emulator.url}")
    print(f"  AppId:     {creds.app_id}")
    print(f"  SecretId:  {creds.secret_id}")
    print(f"  SdkId:     {creds.sdk_id or '(none)'}")
    print(f"  SecretKey: {key_source}")
    print(f"  {len(dataset)} meetings ({source})")
    print(f"  corp/records limit: {emulator.limiter.limit} calls per minute")
    print(f"Point the bot at it: TENCENT_MEETING_API_URL={emulator.url}")
    print("Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(1)
            emulator.tick()
    except KeyboardInterrupt:
        print("stopping")
    finally:
        emulator.stop()
