from django.core.management.base import BaseCommand

from realtime.outbox import prune_history


class Command(BaseCommand):
    help = "Drop room events outside the history window (servers also do this periodically)."

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        self.stdout.write(f"deleted {prune_history()} event(s)")
