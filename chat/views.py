"""Thin REST views of the chat (PROTOCOL section 8): parse, call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import events, selectors, services
from chat.serializers import (
    DirectOpenInput,
    MembersAddInput,
    MessageEditInput,
    MessageListParams,
    MessagePostInput,
    SearchParams,
    SessionCreateInput,
    SessionRenameInput,
    UserSearchParams,
)


class SessionListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={status.HTTP_200_OK: dict}, summary="The user's chat sessions"
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.session_list(user=request.user))

    @extend_schema(
        request=SessionCreateInput, responses={status.HTTP_201_CREATED: dict}
    )
    def post(self, request: Request) -> Response:
        data = SessionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.chat_session_create(
            creator=request.user,
            title=data.validated_data["title"],
            member_ids=data.validated_data["memberIds"],
        )
        return Response(
            selectors.session_detail(session=session, user=request.user),
            status=status.HTTP_201_CREATED,
        )


class MessageListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, description="messages older than this id"),
            OpenApiParameter("after", int, description="messages newer than this id"),
            OpenApiParameter("limit", int, description="page size (default 50)"),
        ],
        responses={status.HTTP_200_OK: dict},
        summary="A page of messages, oldest first, with the room's seq",
    )
    def get(self, request: Request, session_id: int) -> Response:
        services.member_of(session_id=session_id, user=request.user)
        params = MessageListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        query: dict[str, Any] = params.validated_data
        return Response(
            selectors.message_history(
                session_id=session_id,
                before=query.get("before"),
                after=query.get("after"),
                limit=query.get("limit", selectors.DEFAULT_PAGE),
            )
        )

    @extend_schema(
        request=MessagePostInput,
        responses={status.HTTP_201_CREATED: dict, status.HTTP_200_OK: dict},
    )
    def post(self, request: Request, session_id: int) -> Response:
        data = MessagePostInput(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = services.chat_message_post(
            session_id=session_id,
            author=request.user,
            content=data.validated_data["content"],
            client_id=data.validated_data.get("clientId"),
            attachment_ids=data.validated_data.get("attachmentIds"),
        )
        return Response(
            events.message_data(message),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MessageDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=MessageEditInput,
        responses={status.HTTP_200_OK: dict},
        summary="Edit one's own message",
    )
    def patch(self, request: Request, session_id: int, message_id: int) -> Response:
        data = MessageEditInput(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.chat_message_edit(
            session_id=session_id,
            user=request.user,
            message_id=message_id,
            content=data.validated_data["content"],
        )
        return Response(events.message_data(message))

    @extend_schema(
        responses={status.HTTP_200_OK: dict},
        summary="Delete one's own message (staff: any message)",
    )
    def delete(self, request: Request, session_id: int, message_id: int) -> Response:
        message = services.chat_message_delete(
            session_id=session_id, user=request.user, message_id=message_id
        )
        return Response(events.message_data(message))


class ReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=dict, responses={status.HTTP_200_OK: dict}, summary="Mark messages read"
    )
    def post(self, request: Request, session_id: int) -> Response:
        member = services.chat_mark_read(
            session_id=session_id,
            user=request.user,
            message_id=request.data.get("messageId"),
        )
        return Response({"lastReadMessageId": member.last_read_message_id})


class SessionDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SessionRenameInput,
        responses={status.HTTP_200_OK: dict},
        summary="Rename a group (its creator)",
    )
    def patch(self, request: Request, session_id: int) -> Response:
        data = SessionRenameInput(data=request.data)
        data.is_valid(raise_exception=True)
        session = services.chat_session_rename(
            session_id=session_id, user=request.user, title=data.validated_data["title"]
        )
        return Response(selectors.session_detail(session=session, user=request.user))


class MembersView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=MembersAddInput,
        responses={status.HTTP_200_OK: dict},
        summary="Add members to a group (its creator)",
    )
    def post(self, request: Request, session_id: int) -> Response:
        data = MembersAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.chat_members_add(
            session_id=session_id,
            user=request.user,
            user_ids=data.validated_data["userIds"],
        )
        session = services.member_of(session_id=session_id, user=request.user).session
        return Response(selectors.session_detail(session=session, user=request.user))


class MemberView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={status.HTTP_204_NO_CONTENT: None},
        summary="Remove a member (the creator) or leave a group (oneself)",
    )
    def delete(self, request: Request, session_id: int, user_id: int) -> Response:
        services.chat_member_kick(
            session_id=session_id, user=request.user, user_id=user_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DirectView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=DirectOpenInput,
        responses={status.HTTP_201_CREATED: dict, status.HTTP_200_OK: dict},
        summary="Open the direct chat with one user (the existing one if any)",
    )
    def post(self, request: Request) -> Response:
        data = DirectOpenInput(data=request.data)
        data.is_valid(raise_exception=True)
        session, created = services.chat_direct_open(
            user=request.user, other_id=data.validated_data["userId"]
        )
        return Response(
            selectors.session_detail(session=session, user=request.user),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class UserSearchView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="part of a name")],
        responses={status.HTTP_200_OK: dict},
        summary="People to start a chat with: {id, name, username} only",
    )
    def get(self, request: Request) -> Response:
        params = UserSearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            selectors.user_search(
                user=request.user, query=params.validated_data.get("q", "")
            )
        )


class AttachmentUploadView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": {"type": "object"}},
        responses={status.HTTP_201_CREATED: dict},
        summary="Upload a file (multipart field `file`) for a later message",
    )
    def post(self, request: Request, session_id: int) -> Response:
        attachment = services.chat_attachment_upload(
            session_id=session_id, user=request.user, upload=request.FILES.get("file")
        )
        return Response(
            events.attachment_data(attachment), status=status.HTTP_201_CREATED
        )


def _file_response(attachment: Any, field: str) -> HttpResponseBase:
    stored = getattr(attachment, field)
    if not stored:
        raise services.NotFound("This attachment has no thumbnail")
    image = attachment.content_type.startswith("image/")
    content_type = (
        attachment.content_type
        if field == "file"
        else ("image/png" if stored.name.endswith(".png") else "image/jpeg")
    )
    response = FileResponse(
        stored.open("rb"),
        content_type=content_type,
        # Only images show in the page; anything else is a download.
        as_attachment=not image,
        filename=attachment.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


class AttachmentDownloadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "application/octet-stream"): bytes},
        summary="An attachment's file (members of its session only)",
    )
    def get(self, request: Request, attachment_id: int) -> HttpResponseBase:
        attachment = selectors.attachment_for_download(
            user=request.user, attachment_id=attachment_id
        )
        return _file_response(attachment, "file")


class AttachmentThumbnailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={(200, "image/*"): bytes},
        summary="An image attachment's thumbnail (members only)",
    )
    def get(self, request: Request, attachment_id: int) -> HttpResponseBase:
        attachment = selectors.attachment_for_download(
            user=request.user, attachment_id=attachment_id
        )
        return _file_response(attachment, "thumbnail")


class SearchView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="words to find")],
        responses={status.HTTP_200_OK: dict},
        summary="Find messages in the user's chats",
    )
    def get(self, request: Request) -> Response:
        params = SearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["q"]
        return Response(
            {
                "query": query,
                "results": selectors.message_search(user=request.user, query=query),
            }
        )
