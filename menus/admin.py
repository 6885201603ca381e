"""Admin site: edits go through services, so sold-out changes reach every screen."""

from django.contrib import admin

from menus import services
from menus.models import Category, MenuItem, Option, OptionGroup


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "sort_order"]
    list_editable = ["sort_order"]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    readonly_fields = ["updated_at"]


@admin.register(OptionGroup)
class OptionGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "required", "multiple", "sort_order"]
    inlines = [OptionInline]

    def save_formset(self, request, form, formset, change):  # type: ignore[no-untyped-def]
        options = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for option in options:
            services.option_save(option=option)


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "price_delta", "is_sold_out"]
    list_filter = ["group", "is_sold_out"]
    readonly_fields = ["updated_at"]
    actions = ["mark_sold_out", "mark_available"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        services.option_save(option=obj)

    @admin.action(description="Mark sold out")
    def mark_sold_out(self, request, queryset):  # type: ignore[no-untyped-def]
        for option in queryset:
            services.option_set_sold_out(option_id=option.pk, is_sold_out=True)

    @admin.action(description="Mark available")
    def mark_available(self, request, queryset):  # type: ignore[no-untyped-def]
        for option in queryset:
            services.option_set_sold_out(option_id=option.pk, is_sold_out=False)


@admin.register(MenuItem)
class MenuItemAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "category",
        "price",
        "is_sold_out",
        "is_active",
        "sort_order",
    ]
    list_filter = ["category", "is_sold_out", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["option_groups"]
    readonly_fields = ["updated_at"]
    actions = ["mark_sold_out", "mark_available"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        services.menu_item_save(item=obj)

    @admin.action(description="Mark sold out")
    def mark_sold_out(self, request, queryset):  # type: ignore[no-untyped-def]
        for item in queryset:
            services.menu_item_set_sold_out(menu_id=item.pk, is_sold_out=True)

    @admin.action(description="Mark available")
    def mark_available(self, request, queryset):  # type: ignore[no-untyped-def]
        for item in queryset:
            services.menu_item_set_sold_out(menu_id=item.pk, is_sold_out=False)
