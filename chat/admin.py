from django.contrib import admin

from chat import services
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

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        if formset.model is not ChatMember:
            return super().save_formset(request, form, formset, change)
        # Members come and go through the services, so a removal made here
        # closes the removed user's open sockets like any other.
        session = form.instance
        formset.save(commit=False)
        for member in formset.deleted_objects:
            services.chat_member_remove(session=session, user=member.user)
        for member, fields in formset.changed_objects:
            if "user" in fields:
                old = ChatMember.objects.get(pk=member.pk).user
                services.chat_member_remove(session=session, user=old)
                services.chat_member_add(session=session, user=member.user)
            else:
                member.save()
        for member in formset.new_objects:
            services.chat_member_add(session=session, user=member.user)


@admin.register(ChatMessage)
class ChatMessageAdmin(admin.ModelAdmin):
    # Read-only: messages are posted through the service, which broadcasts them.
    list_display = ["id", "session", "author", "created_at"]
    list_filter = ["session"]
    readonly_fields = ["session", "author", "content", "client_id", "created_at"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
