"""Input shapes of the chat REST API (output uses chat.events builders)."""

from rest_framework import serializers

from chat.models import MAX_ATTACHMENTS, MAX_CLIENT_ID, MAX_TITLE
from realtime.fields import StrictIntegerField


class SessionCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_TITLE)
    memberIds = serializers.ListField(
        child=StrictIntegerField(min_value=1), required=False, default=list
    )


class MessagePostInput(serializers.Serializer):
    # Length and emptiness are the service's rules (one message for all clients).
    content = serializers.CharField(
        allow_blank=True, trim_whitespace=False, required=False, default=""
    )
    clientId = serializers.CharField(
        max_length=MAX_CLIENT_ID, required=False, allow_null=True, allow_blank=True
    )
    attachmentIds = serializers.ListField(
        child=StrictIntegerField(min_value=1),
        required=False,
        max_length=MAX_ATTACHMENTS,
    )


class StrictCharField(serializers.CharField):
    """Text only: a number or a boolean is refused, not turned into a string."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class MessageEditInput(serializers.Serializer):
    content = StrictCharField(allow_blank=True, trim_whitespace=False)


class MessageListParams(serializers.Serializer):
    before = StrictIntegerField(min_value=0, required=False)
    after = StrictIntegerField(min_value=0, required=False)
    limit = StrictIntegerField(min_value=1, max_value=200, required=False)


class SessionRenameInput(serializers.Serializer):
    title = StrictCharField(max_length=MAX_TITLE)


class MembersAddInput(serializers.Serializer):
    userIds = serializers.ListField(
        child=StrictIntegerField(min_value=1), allow_empty=False, max_length=100
    )


class DirectOpenInput(serializers.Serializer):
    userId = StrictIntegerField(min_value=1)


class UserSearchParams(serializers.Serializer):
    q = serializers.CharField(max_length=100, allow_blank=True, required=False)


class SearchParams(serializers.Serializer):
    q = serializers.CharField(max_length=200)
