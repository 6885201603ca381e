"""Attachments: the type from the content, thumbnails, limits, and who may download."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from chat import services
from chat.models import ChatAttachment, ChatMessage
from realtime.errors import DomainError
from tests.chat.factories import session_with
from tests.conftest import published, token_for

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def png(width: int = 800, height: int = 600, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), "orange").save(out, "PNG")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(out, "JPEG")
    return out.getvalue()


def upload(client, session, name: str, content: bytes):
    return client.post(
        f"/api/chat/sessions/{session.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type="image/png")},
        format="multipart",
    )


def stored_files(media_root: Path) -> list[Path]:
    return [p for p in Path(media_root).rglob("*") if p.is_file()]


def test_image_upload_stores_file_and_thumbnail(alice, bob, media_root):
    session = session_with(alice, bob)
    response = upload(client_for(alice), session, "cat.png", png())
    assert response.status_code == 201, response.json()
    body = response.json()
    attachment = ChatAttachment.objects.get(pk=body["id"])
    assert body["url"] == f"/api/chat/attachments/{attachment.pk}/"
    assert body["contentType"] == "image/png" and body["size"] == len(png())
    assert body["thumbnailUrl"] == body["url"] + "thumbnail/"
    assert (body["width"], body["height"]) == (800, 600)
    with Image.open(attachment.thumbnail.open("rb")) as thumb:
        assert max(thumb.size) == 320
    assert len(stored_files(media_root)) == 2
    # The stored name is not the user's.
    assert "cat" not in attachment.file.name


def test_text_and_pdf_get_no_thumbnail(alice, bob):
    session = session_with(alice, bob)
    api = client_for(alice)
    text = upload(api, session, "notes.txt", "Grüße\n".encode()).json()
    assert text["contentType"] == "text/plain" and text["thumbnailUrl"] is None
    pdf = upload(api, session, "menu.pdf", b"%PDF-1.4\n%...\n").json()
    assert pdf["contentType"] == "application/pdf"


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("empty.png", b"", 400, "VALIDATION_ERROR"),
        # An HTML page called a picture: its content says text.
        ("cat.png", b"<script>alert(1)</script>", 415, "UNSUPPORTED_FILE"),
        (
            "page.html",
            b"<html><script>alert(1)</script></html>",
            415,
            "UNSUPPORTED_FILE",
        ),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", 415, "UNSUPPORTED_FILE"),
        # PNG magic bytes on garbage: Pillow cannot read it.
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 415, "UNSUPPORTED_FILE"),
        # A JPEG called .png.
        ("photo.png", None, 415, "UNSUPPORTED_FILE"),
        ("drawing.svg", b"<svg onload=alert(1)></svg>", 415, "UNSUPPORTED_FILE"),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing(
    alice, bob, media_root, name, content, status, code
):
    session = session_with(alice, bob)
    response = upload(
        client_for(alice), session, name, jpeg() if content is None else content
    )
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not ChatAttachment.objects.exists()
    assert stored_files(media_root) == []


def test_too_large_upload_is_refused_with_the_limit(alice, bob, settings, media_root):
    settings.CHAT_ATTACHMENT_MAX_BYTES = 1000
    session = session_with(alice, bob)
    response = upload(client_for(alice), session, "big.txt", b"x" * 1001)
    assert response.status_code == 413
    assert response.json()["code"] == "FILE_TOO_LARGE"
    assert "1000" in response.json()["message"]
    assert stored_files(media_root) == [] and not ChatAttachment.objects.exists()
    assert upload(client_for(alice), session, "ok.txt", b"x" * 1000).status_code == 201


def test_an_upload_above_the_plain_body_limit_reaches_the_view(
    alice, bob, settings, media_root
):
    # Larger than a JSON body may be, within the attachment limit.
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 512 * 1024
    assert size < settings.CHAT_ATTACHMENT_MAX_BYTES
    content = b"%PDF-1.4\n" + b"0" * size
    response = upload(client_for(alice), session_with(alice, bob), "big.pdf", content)
    assert response.status_code == 201, response.json()
    assert response.json()["size"] == len(content)
    # Past the attachment limit and its form: refused before it is read.
    settings.CHAT_ATTACHMENT_MAX_BYTES = 1024
    settings.MULTIPART_MAX_BODY_BYTES = 2048
    response = upload(client_for(alice), session_with(alice, bob), "big.pdf", content)
    assert response.status_code == 413


def test_decompression_bomb_is_refused(alice, bob, media_root):
    session = session_with(alice, bob)
    response = upload(client_for(alice), session, "bomb.png", png(8000, 6000, "1"))
    assert response.status_code == 415
    assert "pixels" in response.json()["message"]
    assert stored_files(media_root) == []


def test_missing_file_field_is_a_clear_error(alice, bob):
    session = session_with(alice, bob)
    response = client_for(alice).post(
        f"/api/chat/sessions/{session.pk}/attachments/",
        {"other": "x"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.json()["message"]


def test_message_carries_attachments_and_its_payload_lists_them(alice, bob):
    session = session_with(alice, bob)
    api = client_for(alice)
    first = upload(api, session, "a.png", png()).json()
    second = upload(api, session, "b.txt", b"hello").json()
    response = api.post(
        f"/api/chat/sessions/{session.pk}/messages/",
        {"content": "", "attachmentIds": [first["id"], second["id"]]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert [a["id"] for a in response.json()["attachments"]] == [
        first["id"],
        second["id"],
    ]
    [frame] = published(f"chat:{session.pk}", "message:created")
    assert frame["data"]["attachments"] == response.json()["attachments"]
    history = client_for(bob).get(f"/api/chat/sessions/{session.pk}/messages/")
    assert history.json()["messages"][-1]["attachments"][0]["name"] == "a.png"


def test_attachment_ids_that_are_not_ones_own_unsent_uploads_are_refused(
    alice, bob, make_user
):
    session = session_with(alice, bob)
    other = session_with(alice, bob, make_user("carol"), title="Other")
    bobs = upload(client_for(bob), session, "b.txt", b"bob's").json()["id"]
    elsewhere = upload(client_for(alice), other, "o.txt", b"other").json()["id"]
    mine = upload(client_for(alice), session, "m.txt", b"mine").json()["id"]
    for ids in ([bobs], [elsewhere], [999999], [mine, 999999], ["x"], "1", [True]):
        with pytest.raises(DomainError):
            services.chat_message_post(
                session_id=session.pk, author=alice, content="x", attachment_ids=ids
            )
    assert not ChatMessage.objects.exists()
    services.chat_message_post(
        session_id=session.pk, author=alice, content="x", attachment_ids=[mine]
    )
    # Sent once: it cannot go with a second message.
    with pytest.raises(DomainError):
        services.chat_message_post(
            session_id=session.pk, author=alice, content="y", attachment_ids=[mine]
        )


def test_only_members_download_and_only_the_uploader_before_it_is_sent(
    alice, bob, make_user
):
    session = session_with(alice, bob)
    body = upload(client_for(alice), session, "cat.png", png()).json()
    eve = client_for(make_user("eve"))
    # Not sent yet: only Alice sees it.
    assert client_for(alice).get(body["url"]).status_code == 200
    assert client_for(bob).get(body["url"]).status_code == 404
    services.chat_message_post(
        session_id=session.pk, author=alice, content="look", attachment_ids=[body["id"]]
    )
    response = client_for(bob).get(body["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png()
    thumb = client_for(bob).get(body["thumbnailUrl"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert eve.get(body["url"]).status_code == 403
    assert eve.get(body["thumbnailUrl"]).status_code == 403
    assert APIClient().get(body["url"]).status_code == 401
    assert client_for(bob).get("/api/chat/attachments/999999/").status_code == 404
    # Nor may a non-member upload.
    assert upload(eve, session, "x.txt", b"x").status_code == 403


def test_text_is_downloaded_not_shown(alice, bob):
    session = session_with(alice, bob)
    body = upload(client_for(alice), session, "notes.txt", b"<b>hi</b>").json()
    response = client_for(alice).get(body["url"])
    assert response["Content-Type"].startswith("text/plain")
    assert response["Content-Disposition"].startswith("attachment")


def test_deleting_the_message_deletes_its_files(
    alice, bob, media_root, django_capture_on_commit_callbacks
):
    session = session_with(alice, bob)
    body = upload(client_for(alice), session, "cat.png", png()).json()
    message, _ = services.chat_message_post(
        session_id=session.pk, author=alice, content="", attachment_ids=[body["id"]]
    )
    assert len(stored_files(media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).delete(
            f"/api/chat/sessions/{session.pk}/messages/{message.pk}/"
        )
    assert response.status_code == 200
    assert not ChatAttachment.objects.exists()
    assert stored_files(media_root) == []
    assert client_for(bob).get(body["url"]).status_code == 404


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\notes.txt", "notes.txt"),
        ("evil\u202etxt.exe.txt", "eviltxt.exe.txt"),
        ("a\x00b.txt", "ab.txt"),
    ],
)
def test_file_names_are_cleaned_and_never_used_for_storage(
    alice, bob, media_root, given, shown
):
    session = session_with(alice, bob)
    response = upload(client_for(alice), session, given, b"plain words")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == shown
    [path] = stored_files(media_root)
    assert path.is_relative_to(Path(media_root) / "chat")
    assert re.fullmatch(r"[0-9a-f]{32}\.txt", path.name)


def test_uploads_never_sent_are_removed_after_a_day(
    alice, bob, media_root, django_capture_on_commit_callbacks
):
    session = session_with(alice, bob)
    old = upload(client_for(alice), session, "old.txt", b"old").json()
    ChatAttachment.objects.filter(pk=old["id"]).update(
        created=timezone.now() - timedelta(days=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        upload(client_for(alice), session, "new.txt", b"new")
    assert list(ChatAttachment.objects.values_list("name", flat=True)) == ["new.txt"]
    assert len(stored_files(media_root)) == 1


def test_too_many_attachment_ids_are_refused(alice, bob):
    session = session_with(alice, bob)
    api = client_for(alice)
    response = api.post(
        f"/api/chat/sessions/{session.pk}/messages/",
        {"content": "x", "attachmentIds": list(range(1, 12))},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    with pytest.raises(DomainError):
        services.chat_message_post(
            session_id=session.pk,
            author=alice,
            content="x",
            attachment_ids=list(range(1, 12)),
        )
    assert not ChatMessage.objects.exists()
