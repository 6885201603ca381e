"""Demo chat: alice and bob share sessions with a few messages (idempotent)."""

from django.contrib.auth import get_user_model

from chat import services
from chat.models import ChatSession

SESSIONS = [
    (
        "Alice & Bob",
        [
            ("alice", "demo-1", "Morning! Coffee at ten?"),
            ("bob", "demo-2", "Sure, the usual place."),
            ("alice", "demo-3", "I'll order ahead from the kiosk."),
        ],
    ),
    ("Weekend plans", [("bob", "demo-4", "Hiking on Saturday?")]),
]


def load() -> None:
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["alice", "bob"])
    }
    if len(users) < 2:
        return
    alice, bob = users["alice"], users["bob"]
    for title, messages in SESSIONS:
        session = ChatSession.objects.filter(title=title, creator=alice).first()
        if session is None:
            session = services.chat_session_create(
                creator=alice, title=title, member_ids=[bob.pk]
            )
        for author, client_id, content in messages:
            services.chat_message_post(
                session_id=session.pk,
                author=users[author],
                content=content,
                client_id=client_id,
            )
