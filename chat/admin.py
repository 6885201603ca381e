from django.contrib import admin

from chat.models import ChatMember, ChatMessage, ChatSession


class MemberInline(admin.TabularInline):
    model = ChatMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "creator", "created"]
    search_fields = ["title"]
    inlines = [MemberInline]


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    # Read-only: messages are posted through the service, which broadcasts them.
    list_display = ["id", "session", "author", "created_at"]
    list_filter = ["session"]
    readonly_fields = ["session", "author", "content", "client_id", "created_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
