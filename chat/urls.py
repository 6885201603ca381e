"""REST and page routes of the chat app (included at the site root)."""

from django.urls import path

from chat import pages, views

urlpatterns = [
    path("api/chat/sessions/", views.SessionListView.as_view(), name="chat-sessions"),
    path(
        "api/chat/sessions/<int:session_id>/",
        views.SessionDetailView.as_view(),
        name="chat-session",
    ),
    path(
        "api/chat/sessions/<int:session_id>/members/",
        views.MembersView.as_view(),
        name="chat-members",
    ),
    path(
        "api/chat/sessions/<int:session_id>/members/<int:user_id>/",
        views.MemberView.as_view(),
        name="chat-member",
    ),
    path(
        "api/chat/sessions/<int:session_id>/attachments/",
        views.AttachmentUploadView.as_view(),
        name="chat-attachments",
    ),
    path(
        "api/chat/attachments/<int:attachment_id>/",
        views.AttachmentDownloadView.as_view(),
        name="chat-attachment",
    ),
    path(
        "api/chat/attachments/<int:attachment_id>/thumbnail/",
        views.AttachmentThumbnailView.as_view(),
        name="chat-attachment-thumbnail",
    ),
    path("api/chat/direct/", views.DirectView.as_view(), name="chat-direct"),
    path("api/chat/search/", views.SearchView.as_view(), name="chat-search"),
    path("api/chat/users/", views.UserSearchView.as_view(), name="chat-users"),
    path(
        "api/chat/sessions/<int:session_id>/messages/",
        views.MessageListView.as_view(),
        name="chat-messages",
    ),
    path(
        "api/chat/sessions/<int:session_id>/messages/<int:message_id>/",
        views.MessageDetailView.as_view(),
        name="chat-message",
    ),
    path(
        "api/chat/sessions/<int:session_id>/read/",
        views.ReadView.as_view(),
        name="chat-read",
    ),
    path("chat/", pages.chat_page, name="chat"),
]
