from typing import Any

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from realtime.auth import forget_all_users, forget_user

        user_model = get_user_model()

        def forget(sender: Any, instance: Any, **kwargs: Any) -> None:
            if isinstance(instance, user_model):
                forget_user(instance.pk)
            elif kwargs.get("pk_set"):  # a group's members changed
                for pk in kwargs["pk_set"]:
                    forget_user(pk)
            else:  # a group emptied or deleted: its members are not listed
                forget_all_users()

        post_save.connect(forget, sender=user_model, weak=False)
        post_delete.connect(forget, sender=user_model, weak=False)
        post_delete.connect(forget, sender=Group, weak=False)
        m2m_changed.connect(forget, sender=user_model.groups.through, weak=False)
