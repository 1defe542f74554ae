"""The emulated company's cloud recordings, whose API state follows a clock.

A meeting is not listed before it starts; it is in state 1 (recording) until the meeting ends,
2 (transcoding) until transcoding is done, then 3, when its record files are listed. Times are
Unix seconds here; the API shape (`to_api`) uses milliseconds where Tencent does.

Records loaded from a fixture (`from_records`, `load_json`) are served as-is, whatever the clock.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.models import STATE_DONE, STATE_RECORDING, STATE_TRANSCODING

log = logging.getLogger(__name__)

DOWNLOAD_LIFETIME = 6 * 3600  # seconds a download address stays valid
CST = 8 * 3600  # the emulated company works in Asia/Shanghai (UTC+8, no DST)

HOSTS = ("zhangwei", "li.na", "wangfang", "chen.jie", "alice", "bob.smith", "liuyang")
_ZH_SUBJECTS = (
    "产品周会 第{n}期",
    "技术评审：{topic}",
    "销售季度复盘",
    "设计评审 - {topic}",
    "新员工入职培训",
    "全员大会",
    "客户演示：{customer}",
    "项目启动会 {topic}",
)
_EN_SUBJECTS = (
    "Weekly sync",
    "Sprint planning #{n}",
    "Design review: {topic}",
    "Customer call — {customer}",
    "All hands",
    "1:1 {host}",
    "Launch prep 🚀",
)
_TOPICS = ("支付网关", "Search v2", "移动端改版", "Data pipeline", "权限系统", "Billing")
_CUSTOMERS = ("ACME", "华星科技", "Globex", "北辰物流")
_PASSWORD_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet)

CompletedCallback = Callable[["EmulatedMeeting", float], None]


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


@dataclass
class EmulatedFile:
    record_file_id: str
    start: float  # Unix s
    end: float  # Unix s
    size: int  # bytes
    sharing_id: str = ""  # the id in sharing_url


@dataclass
class EmulatedMeeting:
    """One meeting's cloud recording. `static` holds a fixture record served as-is."""

    meeting_record_id: str
    meeting_id: str
    meeting_code: str
    userid: str
    subject: str
    start: float  # media start, Unix s
    end: float  # the meeting (and the recording) ends
    transcoded_at: float  # transcoding done: state 3 from here on
    files: list[EmulatedFile] = field(default_factory=list)
    sharing: bool = True
    password: str = field(default="", repr=False)
    allow_download: bool = True
    sharing_expire: int = 0  # ms; 0 = never
    required_same_corp: bool = False
    required_participant: bool = False
    forced_state: int | None = None
    static: dict[str, Any] | None = field(default=None, repr=False)

    def state(self, now: float) -> int | None:
        """The API state at `now`, or None while the meeting is not listed."""
        if self.forced_state is not None:
            return self.forced_state
        if self.static is not None:
            state = self.static.get("state")
            return state if isinstance(state, int) else STATE_DONE
        if now < self.start:
            return None
        if now < self.end:
            return STATE_RECORDING
        if now < self.transcoded_at:
            return STATE_TRANSCODING
        return STATE_DONE

    @property
    def media_start_ms(self) -> int:
        if self.static is not None:
            value = self.static.get("media_start_time")
            try:
                return int(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return 0
        return _ms(self.start)


class LinkSigner:
    """Expiring media links (`?token=&expires=`) that the emulator can check when fetched."""

    def __init__(self, base: str = "https://recordings.emulator.invalid"):
        self.base = base.rstrip("/")
        self._key = secrets.token_bytes(16)

    def _mac(self, salt: str, file_id: str, expires: int) -> str:
        msg = f"{salt}:{file_id}:{expires}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:32]

    def token(self, file_id: str, expires: int, salt: str | None = None) -> str:
        """A token for `file_id` until `expires`; a random salt unless one is given."""
        salt = secrets.token_hex(8) if salt is None else salt
        return salt + self._mac(salt, file_id, expires)

    def stable_token(self, file_id: str, expires: int) -> str:
        """The same token for the same (file, expiry): corp/records answers stay stable."""
        salt = self._mac("stable", file_id, expires)[:16]
        return self.token(file_id, expires, salt)

    def verify(self, file_id: str, token: str, expires: int, now: float) -> bool:
        if len(token) != 48 or expires <= now:
            return False
        return hmac.compare_digest(token[16:], self._mac(token[:16], file_id, expires))

    def url(self, kind: str, file_id: str, token: str, expires: int) -> str:
        ext = {"download": ".mp4", "audio": ".m4a", "view": ""}[kind]
        prefix = "play" if kind == "view" else "media"
        return f"{self.base}/{prefix}/{file_id}{ext}?token={token}&expires={expires}"

    def share_url(self, sharing_id: str) -> str:
        return f"{self.base}/user-center/shared-record-info?id={sharing_id}"


class Dataset:
    """A thread-safe set of emulated meetings. Meetings are keyed by meeting_record_id."""

    def __init__(self, seed: int = 1):
        self._lock = threading.RLock()
        self._meetings: dict[str, EmulatedMeeting] = {}
        self._by_file: dict[str, str] = {}
        self._ids: set[str] = set()
        self._pending: set[str] = set()  # not yet reported to on_completed
        self._rng = random.Random(seed * 7919 + 17)
        self.links = LinkSigner()
        self.on_completed: list[CompletedCallback] = []

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def generate(cls, now: float, days: int = 7, seed: int = 1, per_day: int = 8) -> Dataset:
        """A company's last `days` days of meetings at `now`: most done, two still recording,
        two transcoding and one starting soon."""
        ds = cls(seed)
        rng = random.Random(seed)
        counters: dict[str, int] = {}
        i = 0
        for day in range(days):
            window = now - (day + 1) * 86400
            for _ in range(per_day):
                overrides = _VARIETY[i] if i < len(_VARIETY) else {}
                for _try in range(100):
                    start = float(int(window + rng.random() * 86400))
                    if not 9 <= ((start + CST) % 86400) / 3600 < 20:
                        continue
                    m = ds._random_meeting(rng, start, counters, **overrides)
                    if m.transcoded_at <= now:
                        ds._insert(m, notified=True)
                        i += 1
                        break
        recording = [now - rng.uniform(300, 1200) for _ in range(2)]
        for start in recording:
            m = ds._random_meeting(rng, int(start), counters)
            m.end = now + rng.uniform(900, 2400)
            m.transcoded_at = m.end + rng.uniform(120, 900)
            ds._respan(m, rng)
            ds._insert(m, notified=False)
        for _ in range(2):
            m = ds._random_meeting(rng, int(now - rng.uniform(3600, 5400)), counters)
            m.end = now - rng.uniform(60, 600)
            m.transcoded_at = now + rng.uniform(600, 1800)
            ds._respan(m, rng)
            ds._insert(m, notified=False)
        upcoming = ds._random_meeting(rng, int(now + 1200), counters)
        upcoming.end = upcoming.start + 2700
        upcoming.transcoded_at = upcoming.end + 300
        ds._respan(upcoming, rng)
        ds._insert(upcoming, notified=False)
        return ds

    @classmethod
    def generate_history(cls, count: int, end: float, seed: int = 1, days: float = 70.0) -> Dataset:
        """`count` finished recordings spread over the `days` before `end` (fast: for benches)."""
        ds = cls(seed)
        rng = random.Random(seed)
        counters: dict[str, int] = {}
        first, last = end - days * 86400, end - 4 * 3600
        starts = sorted(float(int(first + rng.random() * (last - first))) for _ in range(count))
        for start in starts:
            ds._insert(ds._random_meeting(rng, start, counters), notified=True)
        return ds

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> Dataset:
        """Serve API-shaped record meetings as-is (static: their state never changes)."""
        ds = cls()
        for record in records:
            ds.add_record(record)
        return ds

    @classmethod
    def load_json(cls, path: str | Path) -> Dataset:
        """A fixture file: a list of record meetings, or a corp/records answer holding one."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            data = data.get("record_meetings", [])
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a list of record meetings")
        return cls.from_records(data)

    def add_record(self, record: Mapping[str, Any]) -> str:
        """Add one API-shaped record meeting, served as-is; returns its meeting_record_id."""
        static = copy.deepcopy(dict(record))
        media = static.get("media_start_time")
        start = media / 1000 if isinstance(media, int | float) else 0.0
        files = []
        for f in static.get("record_files") or []:
            if isinstance(f, Mapping) and f.get("record_file_id") is not None:
                files.append(
                    EmulatedFile(
                        str(f["record_file_id"]),
                        _seconds(f.get("record_start_time"), start),
                        _seconds(f.get("record_end_time"), start),
                        int(f.get("record_size") or 0),
                    )
                )
        m = EmulatedMeeting(
            meeting_record_id=str(static.get("meeting_record_id") or self._new_id(19)),
            meeting_id=str(static.get("meeting_id", "")),
            meeting_code=str(static.get("meeting_code", "")),
            userid=str(static.get("userid", "")),
            subject=str(static.get("subject", "")),
            start=start,
            end=start,
            transcoded_at=start,
            files=files,
            static=static,
        )
        self._insert(m, notified=True)
        return m.meeting_record_id

    def add_meeting(
        self,
        *,
        start: float,
        duration: float = 1800.0,
        transcode_seconds: float = 300.0,
        subject: str = "Weekly sync",
        userid: str = "alice",
        files: int | Sequence[int] = 1,
        sharing: bool = True,
        password: str = "",
        allow_download: bool = True,
        sharing_expire: int = 0,
        required_same_corp: bool = False,
        required_participant: bool = False,
        meeting_record_id: str | None = None,
        meeting_id: str | None = None,
        meeting_code: str | None = None,
    ) -> str:
        """Add a meeting starting at `start` (Unix s); `files` is a count or a list of sizes.

        Returns its meeting_record_id. It reaches state 3 at start + duration + transcode."""
        with self._lock:
            sizes = [int(duration * 120_000)] * files if isinstance(files, int) else list(files)
            end = start + duration
            m = EmulatedMeeting(
                meeting_record_id=meeting_record_id or self._new_id(19),
                meeting_id=meeting_id or self._new_id(19),
                meeting_code=meeting_code or self._new_id(9),
                userid=userid,
                subject=subject,
                start=start,
                end=end,
                transcoded_at=end + transcode_seconds,
                sharing=sharing,
                password=password,
                allow_download=allow_download,
                sharing_expire=sharing_expire,
                required_same_corp=required_same_corp,
                required_participant=required_participant,
            )
            m.files = [
                EmulatedFile(self._new_id(19), 0, 0, size, self._new_uuid()) for size in sizes
            ]
            _split(m, self._rng)
            self._insert(m, notified=False)
            return m.meeting_record_id

    # -- changes -----------------------------------------------------------------------------
    def complete_now(self, meeting_record_id: str) -> None:
        """Jump a meeting to state 3 (its files listed) whatever the clock says."""
        self.set_state(meeting_record_id, STATE_DONE)

    def set_state(self, meeting_record_id: str, state: int | None) -> None:
        """Force a meeting's state (1, 2 or 3; it is then listed even before its start);
        None gives it back to the clock."""
        if state not in (None, STATE_RECORDING, STATE_TRANSCODING, STATE_DONE):
            raise ValueError(f"state must be 1, 2, 3 or None, got {state!r}")
        with self._lock:
            self.get(meeting_record_id).forced_state = state

    def update(self, meeting_record_id: str, **changes: Any) -> None:
        """Change fields of a meeting (e.g. subject=, password=, sharing=)."""
        with self._lock:
            m = self.get(meeting_record_id)
            for key, value in changes.items():
                if not hasattr(m, key) or key in ("meeting_record_id", "files", "static"):
                    raise AttributeError(f"cannot update {key!r}")
                setattr(m, key, value)

    def remove(self, meeting_record_id: str) -> None:
        with self._lock:
            m = self._meetings.pop(meeting_record_id)
            self._pending.discard(meeting_record_id)
            for f in m.files:
                self._by_file.pop(f.record_file_id, None)

    # -- reading -----------------------------------------------------------------------------
    def __len__(self) -> int:
        with self._lock:
            return len(self._meetings)

    def __contains__(self, meeting_record_id: object) -> bool:
        with self._lock:
            return meeting_record_id in self._meetings

    def get(self, meeting_record_id: str) -> EmulatedMeeting:
        with self._lock:
            try:
                return self._meetings[meeting_record_id]
            except KeyError:
                raise KeyError(f"no meeting {meeting_record_id!r}") from None

    def meetings(self) -> list[EmulatedMeeting]:
        with self._lock:
            return list(self._meetings.values())

    def find_file(self, record_file_id: str) -> tuple[EmulatedMeeting, EmulatedFile] | None:
        with self._lock:
            mid = self._by_file.get(record_file_id)
            if mid is None:
                return None
            m = self._meetings[mid]
            for f in m.files:
                if f.record_file_id == record_file_id:
                    return m, f
            return None

    def records(
        self, now: float, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """API-shaped record meetings listed at `now`, newest media_start_time first, optionally
        only those whose media_start_time is in [start_ms, end_ms]."""
        with self._lock:
            return [self.to_api(m, now) for m in self._listed(now, start_ms, end_ms)]

    def page(
        self, now: float, start_ms: int, end_ms: int, page: int, page_size: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """(total count, the API-shaped records of page `page`, counted from 1)."""
        with self._lock:
            listed = self._listed(now, start_ms, end_ms)
            chunk = listed[(page - 1) * page_size : page * page_size]
            return len(listed), [self.to_api(m, now) for m in chunk]

    def _listed(
        self, now: float, start_ms: int | None, end_ms: int | None
    ) -> list[EmulatedMeeting]:
        out = []
        for m in self._meetings.values():
            ms = m.media_start_ms
            if start_ms is not None and ms < start_ms:
                continue
            if end_ms is not None and ms > end_ms:
                continue
            if m.state(now) is not None:
                out.append(m)
        out.sort(key=lambda m: -m.media_start_ms)  # stable: insertion order among equals
        return out

    def to_api(self, m: EmulatedMeeting, now: float) -> dict[str, Any]:
        """One record meeting exactly as corp/records sends it at `now`."""
        state = m.state(now)
        if m.static is not None:
            out = copy.deepcopy(m.static)
            if m.forced_state is not None:
                out["state"] = m.forced_state
            return out
        out = {
            "meeting_record_id": m.meeting_record_id,
            "meeting_id": m.meeting_id,
            "meeting_code": m.meeting_code,
            "userid": m.userid,
            "media_start_time": m.media_start_ms,
            "subject": m.subject,
            "state": state,
        }
        if state == STATE_DONE:
            out["record_files"] = [self._file_api(m, f, now) for f in m.files]
        return out

    def _file_api(self, m: EmulatedMeeting, f: EmulatedFile, now: float) -> dict[str, Any]:
        out: dict[str, Any] = {
            "record_file_id": f.record_file_id,
            "record_start_time": _ms(f.start),
            "record_end_time": _ms(f.end),
            "record_size": f.size,
            "sharing_state": 1 if m.sharing else 0,
        }
        if not m.sharing:
            return out
        expires = (int(now) // 3600) * 3600 + DOWNLOAD_LIFETIME
        token = self.links.stable_token(f.record_file_id, expires)
        out.update(
            sharing_url=self.links.share_url(f.sharing_id or f.record_file_id),
            required_same_corp=m.required_same_corp,
            required_participant=m.required_participant,
            password=m.password,
            sharing_expire=m.sharing_expire,
            view_address=self.links.url("view", f.record_file_id, token, expires),
            allow_download=m.allow_download,
        )
        if m.allow_download:
            out["download_address"] = self.links.url("download", f.record_file_id, token, expires)
        return out

    # -- transitions -------------------------------------------------------------------------
    def tick(self, now: float) -> list[str]:
        """Report meetings that reached state 3 since the last tick to every `on_completed`
        callback (called as callback(meeting, now)); returns their ids."""
        with self._lock:
            done = [
                self._meetings[mid]
                for mid in self._pending
                if self._meetings[mid].state(now) == STATE_DONE
            ]
            done.sort(key=lambda m: m.media_start_ms)
            for m in done:
                self._pending.discard(m.meeting_record_id)
            callbacks = list(self.on_completed)
        for m in done:
            for callback in callbacks:
                try:
                    callback(m, now)
                except Exception:
                    log.exception("on_completed callback failed for %s", m.meeting_record_id)
        return [m.meeting_record_id for m in done]

    # -- internals ---------------------------------------------------------------------------
    def _insert(self, m: EmulatedMeeting, *, notified: bool) -> None:
        with self._lock:
            if m.meeting_record_id in self._meetings:
                raise ValueError(f"duplicate meeting_record_id {m.meeting_record_id}")
            self._meetings[m.meeting_record_id] = m
            for value in (m.meeting_record_id, m.meeting_id, m.meeting_code):
                self._ids.add(value)
            for f in m.files:
                self._by_file[f.record_file_id] = m.meeting_record_id
                self._ids.add(f.record_file_id)
            if not notified:
                self._pending.add(m.meeting_record_id)

    def _new_id(self, digits: int, rng: random.Random | None = None) -> str:
        rng = rng or self._rng
        while True:
            value = str(rng.randrange(10 ** (digits - 1), 10**digits))
            if value not in self._ids:
                self._ids.add(value)
                return value

    def _new_uuid(self, rng: random.Random | None = None) -> str:
        return str(uuid.UUID(int=(rng or self._rng).getrandbits(128), version=4))

    def _random_meeting(
        self,
        rng: random.Random,
        start: float,
        counters: dict[str, int],
        *,
        files: int | None = None,
        sharing: bool | None = None,
        password: str | None = None,
        allow_download: bool | None = None,
    ) -> EmulatedMeeting:
        duration = rng.choice((15, 25, 30, 45, 60, 90)) * 60 + rng.randint(-120, 300)
        host = rng.choice(HOSTS)
        sharing = rng.random() < 0.75 if sharing is None else sharing
        if password is None:
            length = rng.choice((0, 4, 6, 8))
            password = "".join(rng.choice(_PASSWORD_CHARS) for _ in range(length))
        n_files = files or rng.choices((1, 2, 3), weights=(6, 3, 1))[0]
        m = EmulatedMeeting(
            meeting_record_id=self._new_id(19, rng),
            meeting_id=self._new_id(19, rng),
            meeting_code=self._new_id(9, rng),
            userid=host,
            subject=_subject(rng, counters, host),
            start=start,
            end=start + duration,
            transcoded_at=start
            + duration
            + duration * rng.uniform(0.05, 0.3)
            + rng.uniform(60, 600),
            sharing=sharing,
            password=password,
            allow_download=rng.random() < 0.6 if allow_download is None else allow_download,
            sharing_expire=0 if rng.random() < 0.8 else _ms(start + 30 * 86400),
            required_same_corp=rng.random() < 0.5,
            required_participant=rng.random() < 0.3,
        )
        m.files = [
            EmulatedFile(self._new_id(19, rng), 0, 0, 0, self._new_uuid(rng))
            for _ in range(n_files)
        ]
        _split(m, rng)
        return m

    def _respan(self, m: EmulatedMeeting, rng: random.Random) -> None:
        """Recompute the files' spans and sizes after `end` changed."""
        if m.transcoded_at < m.end:
            m.transcoded_at = m.end + rng.uniform(60, 600)
        for f in m.files:
            f.size = 0
        _split(m, rng)


# Forced traits of the first generated meetings, so every generated set shows each case.
_VARIETY: tuple[dict[str, Any], ...] = (
    {"files": 3, "sharing": True, "password": "Hx7k2Q", "allow_download": True},
    {"files": 1, "sharing": False},
    {"files": 2, "sharing": True, "password": "", "allow_download": False},
    {"files": 1, "sharing": True, "password": "8nQp", "allow_download": True},
)


def _subject(rng: random.Random, counters: dict[str, int], host: str) -> str:
    template = rng.choice(_ZH_SUBJECTS if rng.random() < 0.55 else _EN_SUBJECTS)
    counters[template] = counters.get(template, rng.randint(8, 30)) + 1
    return template.format(
        n=counters[template],
        topic=rng.choice(_TOPICS),
        customer=rng.choice(_CUSTOMERS),
        host=host,
    )


def _split(m: EmulatedMeeting, rng: random.Random) -> None:
    """Lay the files end to end (with pauses) over the recording span; size by duration."""
    rec_start = m.start + rng.uniform(2, 20)
    rec_end = max(rec_start + len(m.files) * 10, m.end - rng.uniform(0, 5))
    span = rec_end - rec_start
    cuts = sorted(rng.uniform(0.15, 0.85) * span for _ in range(len(m.files) - 1))
    bounds = [0.0, *cuts, span]
    for i, f in enumerate(m.files):
        piece = bounds[i + 1] - bounds[i]
        gap = min(60.0, piece / 10) if i > 0 else 0.0
        f.start = rec_start + bounds[i] + gap
        f.end = rec_start + bounds[i + 1]
        if not f.size:
            f.size = int((f.end - f.start) * rng.uniform(60_000, 250_000))


def _seconds(value: Any, default: float) -> float:
    return value / 1000 if isinstance(value, int | float) else default
