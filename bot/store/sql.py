"""Running one SQL statement through SQLAlchemy, on either engine.

Repositories write their SQL once. Statements take named parameters (`:name`, a mapping) or
positional ones (`?`, a sequence), which are rewritten once per statement to named ones; either
way SQLAlchemy binds them in the driver's own style. Results are read at once into `Rows`, so a
connection goes back to the pool as soon as the statement is done.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import TextClause

Params = Mapping[str, Any] | Sequence[Any] | None

# A string literal, a quoted identifier, a comment, or a positional parameter.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?")


@lru_cache(maxsize=1024)
def _positional(sql: str) -> tuple[TextClause, int]:
    """`sql` with each `?` (outside literals) as :p0, :p1, ...; and how many there were."""
    count = 0

    def name(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f":p{count - 1}"

    return sqlalchemy.text(_TOKEN.sub(name, sql)), count


@lru_cache(maxsize=1024)
def _named(sql: str) -> TextClause:
    return sqlalchemy.text(sql)


def _many(params: Any) -> bool:
    """A list of parameter sets (executemany), not one set of positional values."""
    return (
        isinstance(params, list) and bool(params) and isinstance(params[0], (Mapping, tuple, list))
    )


def _bind(clause_count: int, values: Sequence[Any]) -> dict[str, Any]:
    if len(values) != clause_count:
        raise ValueError(f"{clause_count} parameters expected, {len(values)} given")
    return {f"p{i}": value for i, value in enumerate(values)}


def statement(sql: str | sqlalchemy.Executable, params: Any) -> tuple[Any, Any]:
    """The executable and its parameters, ready for `Connection.execute`: one set (a mapping
    or a sequence of positional values) or, for executemany, a list of such sets."""
    if not isinstance(sql, str):
        return sql, params
    if _many(params):
        if isinstance(params[0], Mapping):
            return _named(sql), [dict(p) for p in params]
        clause, count = _positional(sql)
        return clause, [_bind(count, list(p)) for p in params]
    if params is None or isinstance(params, Mapping):
        return _named(sql), dict(params or {})
    clause, count = _positional(sql)
    return clause, _bind(count, list(params))


class Rows:
    """A statement's result, read in full: iterate, fetchone, fetchall, scalar, rowcount."""

    __slots__ = ("_rows", "_next", "rowcount")

    def __init__(self, rows: list[Row[Any]], rowcount: int):
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Row[Any]]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return iter(rows)

    def fetchone(self) -> Row[Any] | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Row[Any]]:
        return list(self)

    def scalar(self) -> Any:
        row = self.fetchone()
        return None if row is None else row[0]


def run(conn: Connection, sql: str | sqlalchemy.Executable, params: Params = None) -> Rows:
    executable, bound = statement(sql, params)
    result = conn.execute(executable, bound)
    rows = list(result) if result.returns_rows else []
    return Rows(rows, result.rowcount if result.rowcount is not None else -1)
