"""Small facts about the bot's health and progress, as JSON values under a key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store import Store


class StateRepo:
    def __init__(self, store: Store):
        self.store = store

    def set(self, key: str, value: Any) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (key, json.dumps(value, ensure_ascii=False), self.store.now()),
            )

    def delete(self, key: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM bot_state WHERE key = ?", (key,))

    def get(self, key: str, default: Any = None) -> Any:
        row = self.store.conn.execute(
            "SELECT value FROM bot_state WHERE key = ?", (key,)
        ).fetchone()
        if not row or row[0] is None:
            return default
        try:
            return json.loads(row[0])
        except ValueError:
            return default

    def increment(self, key: str, by: int = 1) -> int:
        with self.store.transaction():
            value = int(self.get(key, 0) or 0) + by
            self.set(key, value)
            return value
