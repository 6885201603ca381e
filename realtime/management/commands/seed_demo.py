"""Demo data for `make run`: users, and each app's own demo (menu, chat, endpoints)."""

import importlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

USERS = [
    # username, password, staff, superuser, groups, full name
    ("admin", "admin", True, True, [], "Admin"),
    ("barista", "barista", False, False, ["barista"], "Barista"),
    ("alice", "alice", False, False, [], "Alice"),
    ("bob", "bob", False, False, [], "Bob"),
]
APPS = ["menus", "orders", "chat", "monitoring"]


class Command(BaseCommand):
    help = "Create the demo users and demo data (safe to run again)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        User = get_user_model()
        with transaction.atomic():
            for username, password, staff, superuser, groups, name in USERS:
                user, created = User.objects.get_or_create(username=username)
                if created:
                    user.set_password(password)
                    user.first_name = name
                user.is_staff, user.is_superuser = staff, superuser
                user.save()
                for group in groups:
                    user.groups.add(Group.objects.get_or_create(name=group)[0])
        for app in APPS:
            try:
                module = importlib.import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            module.load()
        self.stdout.write("demo data ready")
