from tests.orders.conftest import cafe  # noqa: F401  (the shared cafe fixture)
