"""Orders, daily numbers, cells (group point balances) and kiosk settings."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_order_id() -> str:
    """An unguessable order id: holding it is what lets a customer follow the order."""
    return secrets.token_urlsafe(12)


class PayType(models.TextChoices):
    CARD = "CARD"
    CASH = "CASH"
    CELL = "CELL"


class Status(models.TextChoices):
    PENDING = "PENDING"
    MAKING = "MAKING"
    READY = "READY"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class Cell(models.Model):
    """A group (cell) of the church with a prepaid point balance."""

    name = models.CharField(max_length=100, unique=True)
    balance = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # A hash from Django's password hashers; empty: the cell has no PIN.
    pin_hash = models.CharField(max_length=128, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)


class LedgerType(models.TextChoices):
    CHARGE = "CHARGE"
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"


class CellLedger(models.Model):
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="ledger")
    type = models.CharField(max_length=10, choices=LedgerType.choices)
    amount = models.IntegerField(
        help_text="Signed: charges and refunds add, payments take."
    )
    balance_before = models.PositiveIntegerField()
    balance_after = models.PositiveIntegerField()
    order = models.ForeignKey(
        "Order", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "cell ledger"

    def __str__(self) -> str:
        return f"{self.cell} {self.type} {self.amount:+d}"


class DailyCounter(models.Model):
    """The last daily number handed out on a business day (one row per day)."""

    day = models.DateField(primary_key=True)
    last_num = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last_num}"


class Order(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_order_id)
    business_day = models.DateField(db_index=True)
    daily_num = models.PositiveIntegerField()
    pay_type = models.CharField(max_length=10, choices=PayType.choices)
    cell = models.ForeignKey(
        Cell, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    total_amount = models.PositiveIntegerField()
    cancel_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "daily_num"]
        constraints = [
            models.UniqueConstraint(
                fields=["business_day", "daily_num"], name="order_daily_num_unique"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.daily_num} ({self.business_day}) {self.status}"


class OrderItem(models.Model):
    """A line of an order: name, options and prices as they were when ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    menu_item = models.ForeignKey(
        "menus.MenuItem", on_delete=models.SET_NULL, null=True, blank=True
    )
    menu_name = models.CharField(max_length=100)
    quantity = models.PositiveIntegerField()
    options = models.JSONField(default=list, blank=True)
    unit_price = models.PositiveIntegerField()
    total_price = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.menu_name}"


class LogKind(models.TextChoices):
    CREATE = "CREATE"
    MOVE = "MOVE"
    CANCEL = "CANCEL"
    UNDO = "UNDO"


class OrderStatusLog(models.Model):
    """Every status change of an order, with who made it and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=10, choices=LogKind.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class KioskSetting(models.Model):
    key = models.CharField(max_length=50, primary_key=True)
    value = models.JSONField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key
