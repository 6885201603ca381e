from django.db import models


class RoomSequence(models.Model):
    """The last `seq` handed out for a room; its row lock serialises publishers."""

    room = models.CharField(max_length=200, primary_key=True)
    last_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.room} @ {self.last_seq}"


class RoomEvent(models.Model):
    """One published event, stored as the exact frame clients receive (outbox + history)."""

    room = models.CharField(max_length=200)
    seq = models.BigIntegerField()
    event = models.CharField(max_length=100)
    frame = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # False until the frame was handed to the channel layer; the relay sends the rest.
    published = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room", "seq"], name="realtime_event_room_seq"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="realtime_event_unpublished",
                condition=models.Q(published=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room}#{self.seq} {self.event}"
