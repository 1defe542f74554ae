"""The command line: `recordings-bot COMMAND` (also `python -m bot COMMAND`).

Each command is thin: read settings, open the store, call the module that does the work.
"""

from __future__ import annotations

import logging
import sys

import click

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("bot")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # urllib3 logs full URLs at DEBUG; they can carry signed query strings.
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def _settings(ctx: click.Context, require: tuple[str, ...] = (), **overrides: object) -> Settings:
    try:
        return load_settings(require=require, **overrides)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        ctx.exit(2)
        raise  # unreachable; keeps type checkers calm


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug details (never secrets).")
@click.version_option(package_name="tencent-meeting-recordings-bot")
def cli(verbose: bool) -> None:
    """Tencent Meeting cloud recordings, in Slack."""
    _setup_logging(verbose)


@cli.command()
@click.option("--port", type=int, default=8780, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--rate-limit", type=int, default=None, help="corp/records calls per minute.")
@click.option("--app-id", default=None)
@click.option("--secret-id", default=None)
@click.option("--secret-key", default=None)
@click.option("--fixture", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A JSON file of record meetings to serve instead of a generated company.")
@click.option("--days", type=int, default=7, show_default=True,
              help="Days of generated meetings (when no fixture).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.pass_context
def emulator(ctx: click.Context, port: int, host: str, rate_limit: int | None,
             app_id: str | None, secret_id: str | None, secret_key: str | None,
             fixture: str | None, days: int, seed: int) -> None:
    """Run the Tencent Meeting API emulator (for tests, the demo, and trying things out)."""
    from bot.emulator.tencent import serve_from_cli

    settings = _settings(ctx)
    serve_from_cli(settings, host=host, port=port, rate_limit=rate_limit, app_id=app_id,
                   secret_id=secret_id, secret_key=secret_key, fixture=fixture, days=days,
                   seed=seed)


@cli.command()
@click.option("--days", type=int, default=7, show_default=True)
@click.pass_context
def sync(ctx: click.Context, days: int) -> None:
    """Fetch the last DAYS of recordings and print them (against the emulator when no
    credentials are configured)."""
    from bot.quicksync import run_quick_sync

    settings = _settings(ctx)
    sys.exit(run_quick_sync(settings, days=days))


def main() -> None:
    cli(prog_name="recordings-bot")


if __name__ == "__main__":
    main()
