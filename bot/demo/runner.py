"""`recordings-bot demo`: the real bot against local stand-ins, shown as Slack users see it.

The timeline: set up the world (bot.demo.world), backfill the history (not posted), start the
real poller and the real Bolt app over HTTP, then watch the stand-in's channels. Two recordings
finish transcoding at the emulator during the demo and are posted at the next poll; the
minutes of posted recordings arrive in their threads; a member and an admin type `/recordings`
commands (signed requests to the Bolt endpoint, answers via a response_url; one search finds a
word inside a transcript, with speaker and time); a summary ends it. `--follow` keeps the bot
running until Ctrl-C; `--serve` keeps only the stand-ins up, for a bot started by hand.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot.admin import add_route, list_routes, set_default_route
from bot.backfill import backfill
from bot.config import load_settings
from bot.demo import world
from bot.demo.console import (
    Console,
    SetupFacts,
    serve_lines,
    setup_lines,
    summary_lines,
)
from bot.demo.render import mrkdwn_to_text
from bot.demo.watch import Watcher
from bot.emulator.tencent import (
    E_API_MINUTE_LIMIT,
    E_APP_MINUTE_LIMIT,
    RECORDS_PATH,
    TencentEmulator,
)
from bot.poller import CycleReport, Poller, start_scheduler
from bot.server.http import RunningServer, make_wsgi_app, start_http_server
from bot.slack.app import build_app
from bot.slack.webclient import make_web_client
from bot.wiring import Services, build_services

RATE_LIMIT = 10  # corp/records calls a minute, as in production
FOLLOW_INTERVAL = 10  # seconds between polls once the script is over (6 calls a minute)
COMMANDS = (
    ("today", world.MEMBER),
    ("今天", world.ZH_MEMBER),  # the same question in Chinese: answered in Chinese
    ("search 周会", world.MEMBER),  # subjects
    ("search 预算", world.MEMBER),  # what was said: a transcript hit, with speaker and time
    ("status", world.ADMIN),
)


@dataclass
class DemoOptions:
    duration: float = 30.0
    follow: bool = False
    serve: bool = False
    db: str | None = None
    tencent_port: int = 8780  # with serve
    slack_port: int = 8781  # with serve
    bot_port: int = 3000  # printed with serve
    timezone: str = "Asia/Shanghai"
    seed: int = 1
    verbose: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)


class _ReportingPoller:
    """The real poller, with each cycle's report handed to the demo's console."""

    def __init__(self, poller: Poller, reports: queue.SimpleQueue[CycleReport]):
        self.poller = poller
        self.reports = reports

    def run_cycle(self) -> CycleReport:
        report = self.poller.run_cycle()
        self.reports.put(report)
        return report


class Demo:
    def __init__(self, options: DemoOptions):
        self.o = options
        self.timeline = world.Timeline.for_duration(options.duration)
        self.t0 = time.time()
        self.console = Console(options.out, self.t0)
        self.tmpdir: str | None = None
        self.emulator: TencentEmulator | None = None
        self.slack: Any = None  # SlackStandIn
        self.services: Services | None = None
        self.server: RunningServer | None = None
        self.scheduler: Any = None
        self.watch: Watcher  # set by _start, once the stand-ins run

    # -- the whole run ------------------------------------------------------------------------
    def run(self) -> int:
        try:
            code = self._start()
            if code:
                return code
            stopped = self._play()
            if self.o.follow and not stopped:
                self._follow()
            self.console.lines(["", *self._summary()])
            if self.o.serve and not stopped:
                self._serve()
            return 0
        except KeyboardInterrupt:
            self.console.line("\nStopped.")
            return 0
        finally:
            self._stop_all()

    # -- setup ----------------------------------------------------------------------------------
    def _db_path(self) -> str | None:
        if self.o.db:
            path = Path(self.o.db).resolve()
            if path.exists() and path.stat().st_size > 0:
                self.console.line(f"{path} already exists: give --db a new file (or delete it).")
                return None
            return str(path)
        self.tmpdir = tempfile.mkdtemp(prefix="recordings-demo-")
        return str(Path(self.tmpdir) / "recordings.db")

    def _start(self) -> int:
        o, tl, say = self.o, self.timeline, self.console.line
        db = self._db_path()
        if db is None:
            return 2
        dataset, story = world.build_dataset(self.t0, tl.finish_after, seed=o.seed)
        try:
            self.emulator = TencentEmulator(
                rate_limit=RATE_LIMIT, dataset=dataset, port=o.tencent_port if o.serve else 0
            ).start()
            self.slack = world.build_slack(
                port=o.slack_port if o.serve else 0, tz=o.timezone
            ).start()
        except OSError as exc:
            say(f"Cannot listen on a local port: {exc.strerror or exc}.")
            say("Pick others with --tencent-port / --slack-port.")
            return 1
        self.emulator.tick()  # recordings ready before the demo are not news
        # Content is ready at the first ask: the demo is shorter than the first backoff.
        self.emulator.intelligence.generating_calls = 0
        self.watch = Watcher(self.console, self.emulator, self.slack, tz_name=o.timezone)
        env = world.demo_env(
            self.emulator.url,
            self.slack.api_url,
            db,
            timezone=o.timezone,
            poll_interval=tl.interval,
            port=o.bot_port,
        )
        self.env = env
        self.services = services = build_services(load_settings(env))
        store = services.store
        slack_client = make_web_client(services.settings)
        add_route(
            store, slack_client, world.PRODUCT, ["subject:周会", "download:on"], created_by="demo"
        )
        set_default_route(store, slack_client, world.RECORDINGS, created_by="demo")
        cutoff = int(self.t0 - world.LOOKBACK_HOURS * 3600)
        history = backfill(
            store,
            services.tencent,
            int(self.t0 - world.BACKFILL_DAYS * 86400),
            cutoff,
            rate_limit=RATE_LIMIT,
            notify=False,
            progress=False,
            echo=lambda _text: None,
        ).outcome
        self.server = start_http_server(make_wsgi_app(services, self._bolt_app(services)))
        self._print_setup(dataset, story, db, history.fetched, history.calls)
        poller = _ReportingPoller(services.poller, self.watch.reports)
        self.scheduler = start_scheduler(poller, tl.interval)  # type: ignore[arg-type]
        return 0

    def _bolt_app(self, services: Services) -> Any:
        """The real Bolt app. Its start-up notice that the given client's token wins over
        `token=` (both are SLACK_BOT_TOKEN) is left out of the demo's output unless -v."""
        bolt_log = logging.getLogger("bot.slack.bolt")
        level = bolt_log.level
        if not self.o.verbose:
            bolt_log.setLevel(logging.ERROR)
        try:
            return build_app(
                services.settings, services.store, services.tencent, executors=services.executors
            )
        finally:
            bolt_log.setLevel(level)

    def _print_setup(self, dataset, story: world.Story, db: str, fetched: int, calls: int) -> None:
        names = world.NAMES
        finishing, busy = world.in_progress(dataset, story, self.t0)
        routes = [
            mrkdwn_to_text(r.describe(), tz_name=self.o.timezone, names=names)
            for r in list_routes(self.services.store)
        ]
        facts = SetupFacts(
            tencent_url=self.emulator.url,
            slack_url=self.slack.url,
            events_url=f"{self.server.url}/slack/events",
            db=db,
            db_kept=bool(self.o.db),
            recordings=world.listed(dataset, self.t0),
            finishing=finishing,
            finish_after=self.timeline.finish_after,
            busy=busy,
            channels=[names[c] for c in (world.RECORDINGS, world.PRODUCT, world.ADMINS)],
            member=names[world.MEMBER],
            admin=names[world.ADMIN],
            routes=routes,
            backfilled=fetched,
            backfill_calls=calls,
            interval=self.timeline.interval,
            rate_limit=RATE_LIMIT,
            duration=self.timeline.duration,
        )
        self.console.lines(setup_lines(facts))

    # -- the scripted part --------------------------------------------------------------------
    def _play(self) -> bool:
        """Run the timeline; True when Ctrl-C stopped it early."""
        end = self.t0 + self.timeline.duration
        today, search, status = self.timeline.ask_at
        to_ask = list(zip((today, today, search, search, status), COMMANDS, strict=True))
        form_at: float | None = self.t0 + 1.0  # the admin adds a route in App Home's form
        delete_at: float | None = self.t0 + today + 1.0  # a recording deleted in Tencent Meeting
        try:
            while time.time() < end:
                if form_at is not None and time.time() >= form_at:
                    form_at = None
                    self.watch.add_route_with_form(
                        f"{self.server.url}/slack/events",
                        world.ADMIN,
                        world.ZHONGWEN,
                        {
                            "subject": {"type": "plain_text_input", "value": "周会"},
                            "lang": {"type": "static_select", "selected_option": {"value": "zh"}},
                        },
                    )
                    continue
                if delete_at is not None and time.time() >= delete_at:
                    self.watch.pump()  # what was posted is shown before it changes
                    self.watch.delete_newest_posted(world.RECORDINGS)
                    self.watch.rename_newest_posted(world.PRODUCT, "（终版）")
                    delete_at = None
                    continue
                if to_ask and time.time() >= self.t0 + to_ask[0][0]:
                    _at, (text, user) = to_ask.pop(0)
                    self.watch.slash(f"{self.server.url}/slack/events", text, user)
                    continue
                self.watch.pump()
                time.sleep(0.1)
            self.watch.pump()
        except KeyboardInterrupt:
            self.console.line("\n(stopped early)")
            return True
        return False

    # -- after the script ---------------------------------------------------------------------
    def _follow(self) -> None:
        interval = max(self.timeline.interval, FOLLOW_INTERVAL)
        self.scheduler.reschedule_job("poll", trigger="interval", seconds=interval)
        self.console.line(f"\nFollowing: the bot keeps polling every {interval} s. Ctrl-C stops.")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                self.watch.pump()
                time.sleep(0.2)

    def _serve(self) -> None:
        self._stop_bot()
        url = self.slack.new_response_url()
        self.watch.askers[url] = "your /recordings command"
        env = {**self.env, "POLL_INTERVAL_SECONDS": str(FOLLOW_INTERVAL)}
        self.console.lines(["", *serve_lines(env, url, world.ADMIN)])
        try:
            while True:
                self.watch.pump()
                time.sleep(0.2)
        except KeyboardInterrupt:
            self.console.line("\nStopped.")

    def _summary(self) -> list[str]:
        self.watch.pump()
        store = self.services.store
        posted = Counter(
            world.NAMES.get(m["channel"], m["channel"])
            for m in self.slack.messages()
            if not m["channel"].startswith("D")
        )
        calls = self.emulator.calls
        return summary_lines(
            synced=store.recordings.count(),
            unfinished=store.recordings.pending_count(),
            posted=posted,
            answered=self.watch.answered,
            asked=len(COMMANDS),
            calls_last_minute=self.services.tencent.throttle.calls_in_last(60),
            rate_limit=RATE_LIMIT,
            calls_total=sum(1 for c in calls if c.path.startswith(RECORDS_PATH)),
            refused=sum(
                1 for c in calls if c.error_code in (E_APP_MINUTE_LIMIT, E_API_MINUTE_LIMIT)
            ),
        )

    # -- teardown -----------------------------------------------------------------------------
    def _stop_bot(self) -> None:
        if self.scheduler is not None:
            with contextlib.suppress(Exception):
                self.scheduler.shutdown(wait=True)
            self.scheduler = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.services is not None:
            self.services.poller.release()

    def _stop_all(self) -> None:
        self._stop_bot()
        if self.services is not None:
            self.services.close()
        for part in (self.slack, self.emulator):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


def run_demo(options: DemoOptions) -> int:
    """Run the demo; returns the exit code."""
    if not options.verbose:
        logging.getLogger().setLevel(logging.WARNING)
        # A poll skipped because the previous one still posts is routine here.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
    with contextlib.suppress(AttributeError, ValueError):
        options.out.reconfigure(errors="replace")  # type: ignore[attr-defined]
    with _interrupted_by_signals():
        return Demo(options).run()


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _interrupted_by_signals() -> Iterator[None]:
    """SIGTERM (and SIGINT, even when started in the background) stop the demo like Ctrl-C,
    so it always cleans up: stand-ins stopped, temporary database deleted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise_interrupt) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
