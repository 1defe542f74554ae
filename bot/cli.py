"""The command line: `recordings-bot COMMAND` (also `python -m bot COMMAND`).

Each command is thin: read settings, open the store, call the module that does the work.
"""

from __future__ import annotations

import logging
import os
import sys

import click

from bot.config import ConfigError, Settings, load_settings

log = logging.getLogger("bot")


def _log_format() -> str:
    """LOG_FORMAT from the environment, else from `.env` (read before the settings are)."""
    value = os.environ.get("LOG_FORMAT")
    if value is None:
        from dotenv import dotenv_values, find_dotenv

        value = dotenv_values(find_dotenv(usecwd=True)).get("LOG_FORMAT")
    return (value or "text").strip().lower()


def _setup_logging(verbose: bool) -> None:
    """Logging for every command: INFO, or DEBUG with -v, never a secret; one JSON object a
    line with LOG_FORMAT=json (python-json-logger), else readable text."""
    handler = logging.StreamHandler()
    if _log_format() == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # urllib3 logs full URLs at DEBUG; they can carry signed query strings.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    from bot.slack.webclient import quiet_slack_sdk_bodies

    quiet_slack_sdk_bodies()


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
@click.option(
    "--fixture",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A JSON file of record meetings to serve instead of a generated company.",
)
@click.option(
    "--days",
    type=int,
    default=7,
    show_default=True,
    help="Days of generated meetings (when no fixture).",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.pass_context
def emulator(
    ctx: click.Context,
    port: int,
    host: str,
    rate_limit: int | None,
    app_id: str | None,
    secret_id: str | None,
    secret_key: str | None,
    fixture: str | None,
    days: int,
    seed: int,
) -> None:
    """Run the Tencent Meeting API emulator (for tests, the demo, and trying things out)."""
    from bot.emulator.tencent import serve_from_cli

    settings = _settings(ctx)
    serve_from_cli(
        settings,
        host=host,
        port=port,
        rate_limit=rate_limit,
        app_id=app_id,
        secret_id=secret_id,
        secret_key=secret_key,
        fixture=fixture,
        days=days,
        seed=seed,
    )


@cli.command()
@click.option("--days", type=int, default=7, show_default=True)
@click.pass_context
def sync(ctx: click.Context, days: int) -> None:
    """Fetch the last DAYS of recordings and print them (against the emulator when no
    credentials are configured)."""
    from bot.list_recent import list_recent_recordings

    settings = _settings(ctx)
    sys.exit(list_recent_recordings(settings, days=days))


def _startup_failed(ctx: click.Context, exc: Exception) -> None:
    """A StartupError (bot/preflight.py): its one line, exit code 2."""
    click.echo(f"Error: {exc}", err=True)
    ctx.exit(2)


def _store(ctx: click.Context, settings: Settings):
    """The store at DATABASE_URL or RECORDINGS_DB, or exit 2 with one line saying why."""
    from bot.preflight import StartupError, open_checked_store

    try:
        return open_checked_store(settings)
    except StartupError as exc:
        _startup_failed(ctx, exc)
        raise


def _unmigrated_store(ctx: click.Context, settings: Settings):
    """The store, opened as it is (no migration), or exit 2 with one line saying why."""
    from bot.preflight import StartupError, open_checked_location

    try:
        return open_checked_location(settings.database_location, settings, migrate=False)
    except StartupError as exc:
        _startup_failed(ctx, exc)
        raise


def _services(ctx: click.Context, settings: Settings, *, check_slack: bool = False):
    """The running parts; with `check_slack`, Slack must answer for SLACK_BOT_TOKEN first."""
    from bot.config import ConfigError as _ConfigError
    from bot.preflight import StartupError
    from bot.preflight import check_slack as check
    from bot.wiring import build_services

    try:
        services = build_services(settings)
    except _ConfigError as exc:
        click.echo(str(exc), err=True)
        ctx.exit(2)
        raise
    except StartupError as exc:
        _startup_failed(ctx, exc)
        raise
    if check_slack and services.slack is not None:
        try:
            check(services.slack, settings)
        except StartupError as exc:
            services.close()
            _startup_failed(ctx, exc)
            raise
    return services


@cli.command()
@click.option("--once", is_flag=True, help="Run one cycle and exit (the only mode from the CLI).")
@click.pass_context
def poll(ctx: click.Context, once: bool) -> None:
    """Run one poll cycle: sync recent recordings, re-check pending ones, post what completed."""
    if not once:
        raise click.UsageError("the scheduled poller runs inside `recordings-bot run`; use --once")
    services = _services(ctx, _settings(ctx), check_slack=True)
    try:
        report = services.poller.run_cycle()
    finally:
        services.close()
    if not report.ran:
        click.echo("Another process holds the poller lease; nothing done.")
        return
    click.echo(
        f"{report.fetched} recording(s) fetched with {report.calls} API call(s); "
        f"{len(report.completed)} completed; {report.sent} message(s) posted"
        + (f", {report.failed} failed" if report.failed else "")
        + (f"; {len(report.stuck)} stuck" if report.stuck else "")
    )
    if services.deliverer is None:
        click.echo("(SLACK_BOT_TOKEN is not set: nothing was posted; deliveries wait.)")
    if report.error:
        click.echo(f"Error: {report.error}", err=True)
        sys.exit(1)


def _parse_day(value: str, tz) -> int:
    from datetime import datetime

    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-20") from None
    return int(day.replace(tzinfo=tz).timestamp())


@cli.command()
@click.option("--since", required=True, help="First day, YYYY-MM-DD (in BOT_TIMEZONE).")
@click.option("--until", default=None, help="Last day, YYYY-MM-DD (default: now).")
@click.option("--notify", is_flag=True, help="Also post completed recordings to channels.")
@click.option("--force", is_flag=True, help="Fetch ranges already synced again.")
@click.option(
    "--no-content",
    "skip_content",
    is_flag=True,
    help="Do not fetch the transcripts, AI minutes and chapters of the recordings.",
)
@click.pass_context
def backfill(
    ctx: click.Context,
    since: str,
    until: str | None,
    notify: bool,
    force: bool,
    skip_content: bool,
) -> None:
    """Sync history inside the API budget, with a progress bar and the time left; then fetch
    what the completed recordings said (transcripts, minutes, chapters) not fetched yet."""
    import time as _time

    from bot.backfill import backfill as run_backfill
    from bot.content_backfill import backfill_content
    from bot.tencent.client import CONTENT_LIMIT
    from bot.tencent.errors import TencentError

    settings = _settings(ctx)
    start = _parse_day(since, settings.tz)
    end = _parse_day(until, settings.tz) + 86400 - 1 if until else int(_time.time())
    if end <= start:
        raise click.BadParameter("--until must be after --since")
    services = _services(ctx, settings)
    try:
        report = run_backfill(
            services.store,
            services.tencent,
            start,
            end,
            rate_limit=settings.tencent_rate_limit,
            default_channel=settings.default_channel,
            notify=notify,
            force=force,
            lookback_seconds=settings.poll_lookback_hours * 3600,
            echo=click.echo,
        )
        if services.deliverer is not None:
            services.deliverer.deliver_due()
        content = None
        if not skip_content:
            content = backfill_content(
                services.store,
                services.tencent,
                start,
                end,
                rate_limit=services.tencent.content_throttle.limit or CONTENT_LIMIT,
                echo=click.echo,
            )
    except TencentError as exc:
        click.echo(
            f"Backfill stopped: {exc}. What was synced so far is kept; run it again to continue.",
            err=True,
        )
        sys.exit(1)
    finally:
        services.close()
    o = report.outcome
    click.echo(
        f"Done: {o.fetched} recording(s) in {report.ranges_fetched} range(s), "
        f"{len(o.new)} new, {o.calls} API call(s)"
        + (f", {o.deliveries_planned} message(s) planned" if notify else "")
        + "."
    )
    if content is not None:
        f = content.fetch
        click.echo(
            f"Content: {f.saved} fetched, {f.generating} still generating (asked again later), "
            f"{f.off} with AI off, {f.no_sts} waiting for an STS token, {f.errors} failed; "
            f"{f.calls} API call(s)."
        )


@cli.group()
def db() -> None:
    """The database: migrate it, check it, copy it to PostgreSQL."""


@db.command("migrate")
@click.pass_context
def db_migrate(ctx: click.Context) -> None:
    """Bring the database (DATABASE_URL, else RECORDINGS_DB) to this release's schema."""
    from bot.store.schema import SCHEMA_VERSION

    store = _store(ctx, _settings(ctx))
    click.echo(f"{store.path}: schema version {SCHEMA_VERSION}, up to date.")
    store.close()


@db.command("check")
@click.pass_context
def db_check(ctx: click.Context) -> None:
    """Say what the database holds and whether this release can use it; changes nothing.
    Exit code 1 when a problem is found."""
    from bot.store.check import check_store

    store = _unmigrated_store(ctx, _settings(ctx))
    try:
        report = check_store(store)
    finally:
        store.close()
    for line in report.lines():
        click.echo(line)
    ctx.exit(0 if report.ok else 1)


@db.command("copy")
@click.option(
    "--to",
    "destination",
    required=True,
    metavar="URL",
    help="Where to copy: postgresql://USER:PASSWORD@HOST:PORT/DATABASE (or a SQLite path).",
)
@click.pass_context
def db_copy(ctx: click.Context, destination: str) -> None:
    """Copy every route, link, delivery, audit row and recording of the database into another
    (stop the bot first). Safe to run again: rows are upserted, never doubled."""
    from bot.preflight import StartupError, open_checked_location
    from bot.store.copy import CopyRefused, copy_store

    settings = _settings(ctx)
    source = _store(ctx, settings)
    try:
        target = open_checked_location(destination, settings, name="--to")
    except StartupError as exc:
        source.close()
        _startup_failed(ctx, exc)
        raise
    if target.path == source.path:
        click.echo("Error: --to names the database being copied.", err=True)
        ctx.exit(2)
    try:
        report = copy_store(source, target)
    except CopyRefused as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(2)
    finally:
        source.close()
        target.close()
    for table, n in report.tables.items():
        click.echo(f"{table}: {n} row(s)")
    click.echo(f"Copied {source.path} to {target.path} in {report.seconds:.1f} s.")


@cli.group()
def routes() -> None:
    """Which recordings go to which Slack channel."""


@routes.command("list")
@click.pass_context
def routes_list(ctx: click.Context) -> None:
    """List the routes."""
    from bot.admin import list_routes

    settings = _settings(ctx)
    store = _store(ctx, settings)
    items = list_routes(store)
    if not items:
        click.echo(
            "No routes."
            + (
                f" Everything goes to the default channel {settings.default_channel}."
                if settings.default_channel
                else ""
            )
        )
    for route in items:
        click.echo(route.describe())


@routes.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("channel")
@click.argument("options", nargs=-1)
@click.pass_context
def routes_add(ctx: click.Context, channel: str, options: tuple[str, ...]) -> None:
    """Add a route: CHANNEL (an ID like C0123ABCD, or #name) and options such as
    host:USERID subject:WORD subject~REGEX code:MEETING_CODE password:show|button|hide
    download:on|off (none: every recording)."""
    from bot.admin import add_route
    from bot.routing import RouteOptionError
    from bot.slack.webclient import make_web_client

    settings = _settings(ctx)
    slack = make_web_client(settings) if settings.slack_bot_token else None
    if slack is None:
        click.echo("Note: SLACK_BOT_TOKEN is not set, so the channel cannot be checked.", err=True)
    store = _store(ctx, settings)
    try:
        route = add_route(
            store,
            slack,
            channel,
            list(options),
            created_by="cli",
            default_channel=settings.default_channel,
        )
    except RouteOptionError as exc:
        click.echo(f"Refused: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Added {route.describe()}")


@routes.command("remove")
@click.argument("route_id", type=int)
@click.pass_context
def routes_remove(ctx: click.Context, route_id: int) -> None:
    """Remove a route (its undelivered messages are dropped)."""
    from bot.admin import remove_route
    from bot.routing import RouteOptionError

    settings = _settings(ctx)
    store = _store(ctx, settings)
    try:
        route = remove_route(store, route_id, default_channel=settings.default_channel)
    except RouteOptionError as exc:
        click.echo(f"Refused: {exc}", err=True)
        sys.exit(2)
    click.echo(f"Removed {route.describe()}")


@cli.command()
@click.option(
    "--mode",
    type=click.Choice(["auto", "http", "socket"]),
    default="auto",
    show_default=True,
    help="auto: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT.",
)
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.pass_context
def run(ctx: click.Context, mode: str, host: str) -> None:
    """Run the bot: the poller plus Slack's requests (HTTP on PORT, or Socket Mode with
    /healthz on WEBHOOK_PORT). Stops cleanly on SIGTERM or Ctrl-C."""
    from bot.preflight import StartupError
    from bot.server.process import REQUIRED
    from bot.server.process import run as serve

    require = REQUIRED + (("slack_app_token",) if mode == "socket" else ())
    settings = _settings(ctx, require=require)
    try:
        code = serve(settings, mode=mode, host=host)
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    except StartupError as exc:
        _startup_failed(ctx, exc)
    sys.exit(code)


@cli.command()
@click.argument("text", nargs=-1)
@click.option(
    "--url", default=None, help="The bot's events URL [http://127.0.0.1:PORT/slack/events]."
)
@click.option("--user", default="U0LOCAL01", show_default=True, help="The Slack user id asking.")
@click.option("--channel", default="C0LOCAL01", show_default=True, help="The channel id.")
@click.option(
    "--response-url",
    default=None,
    help="Where the bot posts its answer (Slack's response_url). For the local Slack "
    "stand-in, one of its new_response_url() addresses. Default: nowhere useful.",
)
@click.pass_context
def slash(
    ctx: click.Context,
    text: tuple[str, ...],
    url: str | None,
    user: str,
    channel: str,
    response_url: str | None,
) -> None:
    """Send `/recordings TEXT` to a running bot, signed with SLACK_SIGNING_SECRET as Slack
    would, and print the HTTP status. The answer itself goes to --response-url."""
    import requests

    from bot.emulator.slack.signed_requests import post_signed, slash_body

    settings = _settings(ctx, require=("slack_signing_secret",))
    url = url or f"http://127.0.0.1:{settings.port}/slack/events"
    if response_url is None:
        response_url = url.rsplit("/slack/events", 1)[0] + "/response-url-not-set"
        click.echo("Note: no --response-url: the bot's answer will not be shown here.", err=True)
    body = slash_body(" ".join(text), user_id=user, response_url=response_url, channel_id=channel)
    try:
        answer = post_signed(url, settings.slack_signing_secret.get_secret_value(), body)
    except requests.RequestException as exc:
        click.echo(f"Could not reach {url}: {type(exc).__name__}", err=True)
        sys.exit(1)
    click.echo(f"HTTP {answer.status_code}")
    sys.exit(0 if answer.ok else 1)


@cli.command()
@click.option("--quick", is_flag=True, help="A short run (about 12 s), e.g. for tests.")
@click.option(
    "--duration",
    type=click.FloatRange(min=10, max=300),
    default=None,
    help="Seconds the scripted part lasts [default: 30; with --quick: 12].",
)
@click.option("--follow", is_flag=True, help="Keep the bot running after the script (Ctrl-C).")
@click.option(
    "--serve",
    is_flag=True,
    help="Afterwards keep the emulator and the Slack stand-in up on fixed ports and print the "
    "environment for a `recordings-bot run` of your own (Ctrl-C).",
)
@click.option(
    "--db", default=None, help="Keep the database in this new file (default: a temporary one)."
)
@click.option("--tencent-port", type=int, default=8780, show_default=True, help="With --serve.")
@click.option("--slack-port", type=int, default=8781, show_default=True, help="With --serve.")
@click.option(
    "--bot-port", type=int, default=3000, show_default=True, help="With --serve: PORT to print."
)
@click.pass_context
def demo(
    ctx: click.Context,
    quick: bool,
    duration: float | None,
    follow: bool,
    serve: bool,
    db: str | None,
    tencent_port: int,
    slack_port: int,
    bot_port: int,
) -> None:
    """See it work, with no credentials and no network: the real bot against a local Tencent
    Meeting emulator and a local Slack stand-in, shown as Slack users would see it."""
    import os

    from bot.demo import DemoOptions, run_demo

    if follow and serve:
        raise click.UsageError("choose one of --follow and --serve")
    timezone = os.environ.get("BOT_TIMEZONE") or "Asia/Shanghai"
    try:
        load_settings({"BOT_TIMEZONE": timezone})
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    options = DemoOptions(
        duration=duration if duration is not None else (12.0 if quick else 30.0),
        follow=follow,
        serve=serve,
        db=db,
        tencent_port=tencent_port,
        slack_port=slack_port,
        bot_port=bot_port,
        timezone=timezone,
        verbose=bool(ctx.find_root().params.get("verbose")),
    )
    sys.exit(run_demo(options))


def main() -> None:
    cli(prog_name="recordings-bot")


if __name__ == "__main__":
    main()
