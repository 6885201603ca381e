"""Order statuses as the pages show them, derived from the rule in `orders.services`.

The cafe pages never keep their own copy of the statuses or of the allowed
moves: they render `describe()` into the page (`{% order_workflow %}` in
`orders/templatetags/orders_pages.py`) and `static/orders/statuses.js` reads it.
"""

from __future__ import annotations

from typing import Any

from orders.models import Status
from orders.services import TRANSITIONS

# Words of the pages: a board column's heading, a step on the customer's
# phone, and the button that moves an order into that status.
LABELS = {
    Status.PENDING: "New",
    Status.MAKING: "Making",
    Status.READY: "Ready",
    Status.COMPLETED: "Completed",
    Status.CANCELLED: "Cancelled",
}
STEP_LABELS = {
    Status.PENDING: "Received",
    Status.MAKING: "Making",
    Status.READY: "Ready",
    Status.COMPLETED: "Picked up",
}
MOVE_LABELS = {
    Status.MAKING: "Start",
    Status.READY: "Ready",
    Status.COMPLETED: "Complete",
}


def _ordered(statuses: set[str]) -> list[str]:
    return [s.value for s in Status if s in statuses]


def describe() -> dict[str, Any]:
    """Statuses, their labels and moves, and the groups the pages show."""
    cancelled = Status.CANCELLED.value
    transitions = {s.value: _ordered(TRANSITIONS[s]) for s in Status}
    # The one-tap move of each status: its first allowed move that is not a cancel.
    forward = {
        status: next((m for m in moves if m != cancelled), None)
        for status, moves in transitions.items()
    }
    steps = [Status.PENDING.value]
    while forward[steps[-1]] is not None:
        steps.append(forward[steps[-1]])  # type: ignore[arg-type]
    return {
        "statuses": [s.value for s in Status],
        "initial": Status.PENDING.value,
        "cancelled": cancelled,
        "labels": {s.value: LABELS[s] for s in Status},
        "transitions": transitions,
        "moves": {
            status: {"status": target, "label": MOVE_LABELS[Status(target)]}
            for status, target in forward.items()
            if target is not None
        },
        # Orders not finished yet, in order: the barista board's columns.
        "open": [s for s, moves in transitions.items() if moves],
        "columns": [
            {"status": s, "label": LABELS[Status(s)]}
            for s, moves in transitions.items()
            if moves
        ],
        # Orders being made: they may still be cancelled.
        "cancellable": [s for s, moves in transitions.items() if cancelled in moves],
        "steps": [{"status": s, "label": STEP_LABELS[Status(s)]} for s in steps],
    }
