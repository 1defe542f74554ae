"""`recordings-bot db check`: what a database holds and whether this release can use it, read
without changing anything (no migration)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.store.schema import MIGRATIONS, SCHEMA_VERSION, schema_version

if TYPE_CHECKING:
    from bot.store import Store

# What the counts say, table by table (every one a table of the first migration or later).
COUNTED = {
    "recordings": "record_meetings",
    "record files": "record_files",
    "routes": "routes",
    "deliveries": "deliveries",
    "user links": "user_links",
    "password audit rows": "password_audit",
    "webhook events": "webhook_events",
    "transcripts": "transcripts",
}
_TRGM_INDEXES = {"idx_meetings_subject_trgm", "idx_paragraphs_text_trgm"}


@dataclass
class CheckReport:
    where: str
    engine: str
    version: int
    counts: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)  # by state
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        out = [
            f"database: {self.where} ({self.engine})",
            f"schema version: {self.version} (this release: {SCHEMA_VERSION})",
        ]
        out += [f"{label}: {n}" for label, n in self.counts.items()]
        if self.deliveries:
            states = ", ".join(f"{state} {n}" for state, n in self.deliveries.items())
            out.append(f"deliveries by state: {states}")
        out += [f"problem: {p}" for p in self.problems]
        out.append("ok" if self.ok else f"{len(self.problems)} problem(s)")
        return out


def _version_problem(version: int) -> str | None:
    if version == 0:
        return "the database is empty: `recordings-bot db migrate` creates the tables"
    if version < SCHEMA_VERSION:
        return (
            f"schema version {version} is older than this release's {SCHEMA_VERSION}: "
            "run `recordings-bot db migrate` (the bot also migrates at start)"
        )
    if version > SCHEMA_VERSION:
        return f"schema version {version} is newer than this release knows: upgrade the bot"
    return None


def _engine_problems(store: Store) -> list[str]:
    if not store.is_postgresql:
        found = [row[0] for row in store.conn.execute("PRAGMA quick_check")]
        return [] if found == ["ok"] else [f"SQLite integrity: {'; '.join(found[:5])}"]
    problems = []
    trgm = store.conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar()
    if not trgm:
        problems.append("the pg_trgm extension is missing: search cannot use its indexes")
    indexes = {
        row[0]
        for row in store.conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        )
    }
    problems += [f"the search index {name} is missing" for name in _TRGM_INDEXES - indexes]
    return problems


def check_store(store: Store) -> CheckReport:
    """What `store` holds and what is wrong with it, for this release."""
    version = schema_version(store)
    report = CheckReport(store.path, store.dialect, version)
    problem = _version_problem(version)
    if problem:
        report.problems.append(problem)
    if version > 0:
        for label, table in COUNTED.items():
            if version >= _first_version_with(table):
                n = store.conn.execute(f"SELECT COUNT(*) FROM {table}").scalar()  # noqa: S608
                report.counts[label] = int(n)
        for state, n in store.conn.execute(
            "SELECT state, COUNT(*) FROM deliveries GROUP BY state ORDER BY state"
        ):
            report.deliveries[state] = int(n)
    report.problems += _engine_problems(store) if version >= SCHEMA_VERSION else []
    return report


def _first_version_with(table: str) -> int:
    for number, migration in enumerate(MIGRATIONS, start=1):
        if any(f"CREATE TABLE {table} " in str(statement) for statement in migration):
            return number
    return SCHEMA_VERSION + 1
