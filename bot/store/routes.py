"""Routing rules as stored: which recordings go to which channel (the rules live in routing.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.models import DEFAULT_POLICY, Route, RouteSpec

if TYPE_CHECKING:
    from bot.store import Store

_COLUMNS = (
    "id, channel, channel_name, match_host, match_subject, match_subject_regex, match_code, "
    "password_policy, download, is_default, broken_reason, created_by, created_at, summary, lang"
)


# What a RouteSpec sets, as the routes table names it (the insert and the duplicate check).
_SPEC_COLUMNS = (
    "match_host",
    "match_subject",
    "match_subject_regex",
    "match_code",
    "password_policy",
    "download",
    "summary",
    "lang",
)


def _spec_values(spec: RouteSpec) -> tuple[Any, ...]:
    """`spec`'s values in _SPEC_COLUMNS order (its fields bear the columns' names), as the
    table stores them (a flag as 0 or 1)."""
    values = (getattr(spec, column) for column in _SPEC_COLUMNS)
    return tuple(int(v) if isinstance(v, bool) else v for v in values)


class DuplicateRouteError(ValueError):
    """An identical route (same channel, match fields and policies) is stored already."""

    def __init__(self, existing: Route):
        self.existing = existing
        super().__init__(f"identical to route #{existing.id}")


def _route(row: Sequence[Any]) -> Route:
    values = list(row)
    values[8] = bool(values[8])  # download
    values[9] = bool(values[9])  # is_default
    return Route(*values)


class RouteRepo:
    def __init__(self, store: Store):
        self.store = store

    def _rows(self, where: str = "1 = 1", params: Sequence[Any] = ()) -> list[Route]:
        sql = f"SELECT {_COLUMNS} FROM routes WHERE {where} ORDER BY id"  # noqa: S608
        return [_route(row) for row in self.store.conn.execute(sql, params)]

    def _insert(
        self,
        channel: str,
        spec: RouteSpec,
        *,
        channel_name: str | None,
        created_by: str | None,
        is_default: bool,
    ) -> Route:
        with self.store.transaction() as conn:
            if not is_default:
                same = self._identical(channel, spec)
                if same is not None:
                    raise DuplicateRouteError(same)
            columns = ("channel", "channel_name", *_SPEC_COLUMNS, "is_default", "created_by")
            values = (channel, channel_name, *_spec_values(spec), int(is_default), created_by)
            new_id = conn.execute(
                f"INSERT INTO routes ({', '.join(columns)}, created_at) "  # noqa: S608 (constants)
                f"VALUES ({', '.join('?' for _ in columns)}, ?) RETURNING id",
                (*values, self.store.now()),
            ).scalar()
            route = self.get(int(new_id))
        assert route is not None
        return route

    def _identical(self, channel: str, spec: RouteSpec) -> Route | None:
        """A stored non-default route with this channel and every option of `spec` alike."""
        same = " AND ".join(self.store.conn.is_same(column) for column in _SPEC_COLUMNS)
        found = self._rows(
            f"is_default = 0 AND channel = ? AND {same}", (channel, *_spec_values(spec))
        )
        return found[0] if found else None

    def add(
        self,
        channel: str,
        spec: RouteSpec,
        *,
        channel_name: str | None = None,
        created_by: str | None = None,
    ) -> Route:
        """Store a new route; DuplicateRouteError if an identical one exists (checked in the
        same transaction, so a replayed request cannot add it twice)."""
        return self._insert(
            channel, spec, channel_name=channel_name, created_by=created_by, is_default=False
        )

    def replace(
        self,
        route_id: int,
        channel: str,
        spec: RouteSpec,
        *,
        channel_name: str | None = None,
        created_by: str | None = None,
    ) -> Route | None:
        """An edited route: the old one removed (as `remove` does) and the new one stored, in
        one transaction; None when there is no such route, DuplicateRouteError when another
        route is identical to the new one."""
        with self.store.transaction():
            old = self.get(route_id)
            if old is None or old.is_default:
                return None
            same = self._identical(channel, spec)
            if same is not None and same.id != route_id:
                raise DuplicateRouteError(same)
            self.remove(route_id)
            return self._insert(
                channel, spec, channel_name=channel_name, created_by=created_by, is_default=False
            )

    def remove(self, route_id: int) -> Route | None:
        """Delete a route and cancel its undelivered deliveries, in one transaction."""
        with self.store.transaction() as conn:
            route = self.get(route_id)
            if route is None:
                return None
            self.store.deliveries.cancel_for_route(route_id)
            conn.execute("DELETE FROM routes WHERE id = ?", (route_id,))
            return route

    def get(self, route_id: int) -> Route | None:
        found = self._rows("id = ?", (route_id,))
        return found[0] if found else None

    def list(self) -> list[Route]:
        return self._rows()

    def ids(self) -> set[int]:
        """The ids of the routes stored now (cheap: no route is built)."""
        return {row[0] for row in self.store.conn.execute("SELECT id FROM routes")}

    def set_default(
        self,
        channel: str,
        *,
        channel_name: str | None = None,
        created_by: str | None = None,
        password_policy: str = DEFAULT_POLICY,
        download: bool = False,
    ) -> Route:
        """Make `channel` the default route, removing the previous one (as `remove` does)."""
        spec = RouteSpec(password_policy=password_policy, download=download)
        with self.store.transaction():
            for old in self._rows("is_default = 1"):
                self.remove(old.id)  # type: ignore[arg-type]
            return self._insert(
                channel, spec, channel_name=channel_name, created_by=created_by, is_default=True
            )

    def default(self) -> Route | None:
        found = self._rows("is_default = 1")
        return found[0] if found else None

    def mark_broken(self, route_id: int, reason: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE routes SET broken_reason = ?, broken_at = ? WHERE id = ?",
                (reason, self.store.now(), route_id),
            )

    def mark_broken_channel(self, channel: str, reason: str) -> list[Route]:
        """Mark every route to `channel` broken (e.g. the bot was removed); returns them."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE routes SET broken_reason = ?, broken_at = ? WHERE channel = ?",
                (reason, self.store.now(), channel),
            )
            return self._rows("channel = ?", (channel,))

    def clear_broken(self, channel: str) -> int:
        """The channel works again; returns how many routes were mended."""
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE routes SET broken_reason = NULL, broken_at = NULL "
                "WHERE channel = ? AND broken_reason IS NOT NULL",
                (channel,),
            )
            return cur.rowcount

    def broken(self) -> list[Route]:
        return self._rows("broken_reason IS NOT NULL")
