"""Gap-free counters kept in a row per key (a room's seq, a day's order number)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F


def next_value(model: type[models.Model], field: str, **key: Any) -> int:
    """Add one to `field` of the row at `key` (created at 1) and return it.

    The row stays locked until the surrounding transaction ends, so numbers
    are handed out in commit order with no gaps; two first uses racing to
    create the row both end up counting it.
    """
    rows = model._default_manager.filter(**key)
    if not rows.update(**{field: F(field) + 1}):
        try:
            with transaction.atomic():
                model._default_manager.create(**key, **{field: 1})
            return 1
        except IntegrityError:
            rows.update(**{field: F(field) + 1})
    return int(rows.values_list(field, flat=True).get())
