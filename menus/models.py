"""The cafe catalogue: categories, menu items and their options."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Category(models.Model):
    name = models.CharField(max_length=100)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class OptionGroup(models.Model):
    """A choice on a menu item: size, temperature, extra shot..."""

    name = models.CharField(max_length=100)
    required = models.BooleanField(
        default=False, help_text="One option must be picked (the first is the default)."
    )
    multiple = models.BooleanField(
        default=False, help_text="Several options of this group may be picked."
    )
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Option(models.Model):
    group = models.ForeignKey(
        OptionGroup, on_delete=models.CASCADE, related_name="options"
    )
    name = models.CharField(max_length=100)
    price_delta = models.IntegerField(default=0)
    is_sold_out = models.BooleanField(default=False)
    sort_order = models.IntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.group.name}: {self.name}"


class MenuItem(models.Model):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="items"
    )
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    price = models.PositiveIntegerField()
    image_url = models.CharField(max_length=500, blank=True)
    sort_order = models.IntegerField(default=0)
    is_sold_out = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    option_groups = models.ManyToManyField(
        OptionGroup, blank=True, related_name="menu_items"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category__sort_order", "sort_order", "id"]

    def __str__(self) -> str:
        return self.name
