"""Template tags of the cafe pages."""

from __future__ import annotations

from typing import Any

from django import template

from orders import workflow

register = template.Library()


@register.simple_tag
def order_workflow() -> dict[str, Any]:
    """`{% order_workflow as workflow %}`: the statuses and moves of `orders.workflow`."""
    return workflow.describe()
