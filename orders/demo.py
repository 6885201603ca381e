"""Demo cells for `make run` (safe to load again)."""

from orders import services
from orders.models import Cell

CELLS = [("Joy Cell", 30000), ("Hope Cell", 12000)]


def load() -> None:
    for name, balance in CELLS:
        if not Cell.objects.filter(name=name).exists():
            services.cell_create(name=name, balance=balance)
