"""Live updates: the writer thread hands every batch's new engine events and the clock to the
hub, which passes each subscriber what its filter lets through (a market, or a user's own
accounts) on the subscriber's event loop. A subscriber's queue is bounded (QUEUE_LENGTH
messages); one that falls that far behind gets a final "lagging" message and is dropped, so a
slow client never holds the writer back. The HTTP side serves each subscription as
server-sent events (ballast.service.api).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hub", "Subscription", "QUEUE_LENGTH"]

QUEUE_LENGTH = 1_000


@dataclass(eq=False)
class Subscription:
    """One client's stream: `accepts(entry)` filters engine events; clock updates always pass."""

    loop: asyncio.AbstractEventLoop
    accepts: Callable[[dict[str, Any]], bool]
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_LENGTH + 1))
    closed: bool = False


class Hub:
    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self, accepts: Callable[[dict[str, Any]], bool]) -> Subscription:
        """A new subscription on the running event loop."""
        subscription = Subscription(asyncio.get_running_loop(), accepts)
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

    def __len__(self) -> int:
        return len(self._subscriptions)

    def publish(self, events: list[dict[str, Any]], status: dict[str, Any]) -> None:
        """Called by the writer after each batch (any thread)."""
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            messages: list[tuple[str, Any]] = [("clock", status)]
            messages += [("event", e) for e in events if subscription.accepts(e)]
            try:
                subscription.loop.call_soon_threadsafe(self._deliver, subscription, messages)
            except RuntimeError:  # its loop is closed
                self.unsubscribe(subscription)

    def _deliver(self, subscription: Subscription, messages: list[tuple[str, Any]]) -> None:
        if subscription.closed:
            return
        for message in messages:
            if subscription.queue.qsize() >= QUEUE_LENGTH:
                subscription.queue.put_nowait(("lagging", {"dropped": True}))
                subscription.closed = True
                self.unsubscribe(subscription)
                return
            subscription.queue.put_nowait(message)
