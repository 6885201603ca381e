"""Demo catalogue for `make run`: a small church cafe (safe to load again)."""

from django.db import transaction

from menus.models import Category, MenuItem, Option, OptionGroup

GROUPS = [
    # name, required, multiple, [(option, price delta)]
    ("Size", True, False, [("Regular", 0), ("Large", 500)]),
    ("Temperature", True, False, [("Hot", 0), ("Iced", 300)]),
    ("Extra shot", False, True, [("Extra shot", 500)]),
    ("Milk", False, False, [("Oat milk", 500)]),
]
MENU = [
    # category, [(item, price, description, option groups)]
    (
        "Coffee",
        [
            (
                "Americano",
                2500,
                "Espresso and hot water",
                ["Size", "Temperature", "Extra shot"],
            ),
            (
                "Cafe Latte",
                3500,
                "Espresso with steamed milk",
                ["Size", "Temperature", "Extra shot", "Milk"],
            ),
            (
                "Vanilla Latte",
                4000,
                "Latte with vanilla syrup",
                ["Size", "Temperature", "Extra shot", "Milk"],
            ),
            (
                "Cappuccino",
                3500,
                "Espresso, milk and foam",
                ["Size", "Extra shot", "Milk"],
            ),
            ("Espresso", 2000, "A double shot", ["Extra shot"]),
        ],
    ),
    (
        "Tea & more",
        [
            ("Citron Tea", 3000, "Yuja tea, sweet and warm", ["Size", "Temperature"]),
            (
                "Green Tea Latte",
                3800,
                "Matcha with milk",
                ["Size", "Temperature", "Milk"],
            ),
            ("Hot Chocolate", 3500, "Rich cocoa", ["Size", "Milk"]),
            ("Lemonade", 3500, "Fresh lemons, sparkling", ["Size"]),
        ],
    ),
    (
        "Bakery",
        [
            ("Butter Croissant", 3000, "Baked this morning", []),
            ("Blueberry Muffin", 2800, "", []),
            ("Honey Bread", 4500, "Thick toast with honey and cream", []),
        ],
    ),
]


@transaction.atomic
def load() -> None:
    groups = {}
    for order, (name, required, multiple, options) in enumerate(GROUPS):
        group, _ = OptionGroup.objects.get_or_create(
            name=name,
            defaults={"required": required, "multiple": multiple, "sort_order": order},
        )
        groups[name] = group
        for pos, (option, delta) in enumerate(options):
            Option.objects.get_or_create(
                group=group,
                name=option,
                defaults={"price_delta": delta, "sort_order": pos},
            )
    for cat_order, (category_name, items) in enumerate(MENU):
        category, _ = Category.objects.get_or_create(
            name=category_name, defaults={"sort_order": cat_order}
        )
        for pos, (name, price, description, group_names) in enumerate(items):
            item, created = MenuItem.objects.get_or_create(
                name=name,
                defaults={
                    "category": category,
                    "price": price,
                    "description": description,
                    "sort_order": pos,
                },
            )
            if created:
                item.option_groups.set([groups[g] for g in group_names])
