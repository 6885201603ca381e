from django.apps import AppConfig


class MenusConfig(AppConfig):
    name = "menus"
    default_auto_field = "django.db.models.BigAutoField"
