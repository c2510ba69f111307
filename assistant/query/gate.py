"""The line in front of the chat model: a few answers written at once, the rest waiting in
order and told their place.

A ``Gate`` is shared by every session of one process. ``enter`` takes a ``Ticket`` (or
None when the line is full); the ticket's ``position`` is 0 once it may use the model,
else how many are ahead of it plus one ("Du är nummer 2 i kön"). ``leave`` gives the slot
to the next in line; a ticket that gives up while waiting just leaves the line.
``retry_after_s`` says when a place is likely free again, from how long recent answers
held a slot.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

# Until an answer has been timed: about what a small model on CPU takes for one answer.
FIRST_GUESS_S = 30.0


@dataclass(eq=False)
class Ticket:
    number: int
    _gate: Gate = field(repr=False)

    @property
    def position(self) -> int:
        """0: may use the model now; n: number n in the line."""
        return self._gate.position(self)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a slot; True once this ticket has one."""
        return self._gate.wait(self, timeout)

    def leave(self) -> None:
        self._gate.leave(self)


class Gate:
    def __init__(self, slots: int, limit: int) -> None:
        self.slots = slots
        self.limit = limit  # how many may wait
        self._cond = threading.Condition()
        self._serving: set[Ticket] = set()
        self._waiting: deque[Ticket] = deque()
        self._numbers = itertools.count(1)
        self._since: dict[Ticket, float] = {}  # when each served ticket got its slot
        self._held: deque[float] = deque(maxlen=20)  # how long recent answers held one

    def enter(self) -> Ticket | None:
        """A ticket in line (served at once when a slot is free), or None when full."""
        with self._cond:
            ticket = Ticket(next(self._numbers), self)
            if len(self._serving) < self.slots and not self._waiting:
                self._serve(ticket)
                return ticket
            if len(self._waiting) >= self.limit:
                return None
            self._waiting.append(ticket)
            return ticket

    def position(self, ticket: Ticket) -> int:
        with self._cond:
            if ticket in self._serving:
                return 0
            try:
                return self._waiting.index(ticket) + 1
            except ValueError:
                return 0  # it has left

    def wait(self, ticket: Ticket, timeout: float) -> bool:
        with self._cond:
            self._cond.wait_for(lambda: ticket in self._serving, timeout)
            return ticket in self._serving

    def leave(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket in self._serving:
                self._serving.discard(ticket)
                self._held.append(time.monotonic() - self._since.pop(ticket))
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            while self._waiting and len(self._serving) < self.slots:
                self._serve(self._waiting.popleft())
            self._cond.notify_all()

    def _serve(self, ticket: Ticket) -> None:
        self._serving.add(ticket)
        self._since[ticket] = time.monotonic()

    def retry_after_s(self) -> int:
        """Seconds until one more could likely get into the line: the slots work through
        those waiting, one answer's time (the mean of recent ones) per round."""
        with self._cond:
            each = sum(self._held) / len(self._held) if self._held else FIRST_GUESS_S
            rounds = math.ceil((len(self._waiting) + 1) / self.slots) if self.slots else 1
            return max(1, math.ceil(each * rounds))

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)
