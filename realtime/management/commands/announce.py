from django.core.management.base import BaseCommand, CommandError

from realtime.errors import DomainError, ProtocolError
from realtime.services import announcement_publish, default_announcement_room


class Command(BaseCommand):
    help = "Publish a staff announcement to a room (default: the kiosk)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("message")
        parser.add_argument("--room", default=default_announcement_room())
        parser.add_argument(
            "--level", default="info", choices=["info", "warning", "critical"]
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        try:
            seq = announcement_publish(
                room=options["room"], message=options["message"], level=options["level"]
            )
        except (DomainError, ProtocolError) as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{options['room']} seq {seq}")
