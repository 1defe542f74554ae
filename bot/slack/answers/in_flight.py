"""One question that calls Tencent Meeting at a time per person.

A person who sends a second API-bound `/recordings` while the first is still being fetched is
told at once that the bot is still working on the first one; the rest of the bot never waits
for it. The claim is a lease in the store (`question:<Slack user id>`), so it holds across
every process on the database; its holder names the question being answered. A keeper thread
renews this process's claims while they run, so the claim of a process that died expires
within `ttl` seconds instead of blocking its asker.
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass

from bot.store import Store

log = logging.getLogger(__name__)

TTL = 30.0  # seconds a claim outlives its process
RENEW_EVERY = 10.0  # how often the keeper renews the claims of this process
MAX_TEXT = 200  # characters of the question kept in the claim


def lease_name(user_id: str) -> str:
    return f"question:{user_id}"


@dataclass(frozen=True)
class Claim:
    """The right to fetch for one question of `user_id` (release it when answered)."""

    user_id: str
    holder: str  # "<unique id> <question text>"


class InFlight:
    """The questions being fetched, at most one per Slack user (shared through the store)."""

    def __init__(self, store: Store, *, ttl: float = TTL, renew_every: float = RENEW_EVERY):
        self.store = store
        self.ttl = ttl
        self.renew_every = renew_every
        self._held: dict[str, str] = {}  # user id -> holder, the claims of this process
        self._lock = threading.Lock()
        self._keeper: threading.Thread | None = None

    def claim(self, user_id: str, text: str) -> Claim | None:
        """Claim `user_id`'s one question in flight for `text`; None while another one is."""
        holder = f"{uuid.uuid4().hex} {text.strip()[:MAX_TEXT]}"
        with self._lock:
            if user_id in self._held:
                return None
            if not self.store.leases.acquire(lease_name(user_id), holder, self.ttl):
                return None
            self._held[user_id] = holder
            self._start_keeper()
        return Claim(user_id, holder)

    def running(self, user_id: str) -> str | None:
        """The text of `user_id`'s question in flight ("" for a bare `/recordings`), or None."""
        with self._lock:
            holder = self._held.get(user_id)
        if holder is None:
            holder = self.store.leases.holder(lease_name(user_id))
        if holder is None:
            return None
        return holder.partition(" ")[2]

    def release(self, claim: Claim) -> None:
        """The question is answered (or given up): the person may ask the next one."""
        with self._lock:  # never between the keeper's renewals: it would take the lease again
            if self._held.get(claim.user_id) == claim.holder:
                del self._held[claim.user_id]
            try:
                self.store.leases.release(lease_name(claim.user_id), claim.holder)
            except Exception as exc:  # the store closed under us (stopping): the claim expires
                log.warning("could not release the question of %s: %s", claim.user_id, exc)

    def _start_keeper(self) -> None:
        if self._keeper is None or not self._keeper.is_alive():
            self._keeper = threading.Thread(
                target=self._keep, name="recordings-questions", daemon=True
            )
            self._keeper.start()

    def _keep(self) -> None:
        """Renew this process's claims until it has none left."""
        stop = threading.Event()
        while not stop.wait(self.renew_every):
            with self._lock:
                if not self._held:
                    self._keeper = None
                    return
                for user_id, holder in self._held.items():
                    try:
                        self.store.leases.acquire(lease_name(user_id), holder, self.ttl)
                    except Exception as exc:  # the store closed: the claims expire by themselves
                        log.debug("could not renew the question of %s: %s", user_id, exc)
