"""Admin site: every change goes through a service, so it is published like any other."""

from django import forms
from django.contrib import admin, messages

from orders import services
from orders.models import (
    Cell,
    CellLedger,
    DailyCounter,
    KioskSetting,
    Order,
    OrderItem,
    OrderStatusLog,
    Status,
)
from realtime.errors import DomainError


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    readonly_fields = [
        "menu_item",
        "menu_name",
        "quantity",
        "options",
        "unit_price",
        "total_price",
    ]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class OrderStatusLogInline(admin.TabularInline):
    model = OrderStatusLog
    extra = 0
    can_delete = False
    readonly_fields = [
        "kind",
        "from_status",
        "to_status",
        "actor",
        "reason",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


def _run(modeladmin, request, queryset, call):  # type: ignore[no-untyped-def]
    done = 0
    for order in queryset:
        try:
            call(order)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, exc.message, messages.WARNING)
    modeladmin.message_user(request, f"{done} order(s) changed")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders are placed at the kiosk; here staff move, cancel or undo them."""

    list_display = [
        "daily_num",
        "business_day",
        "status",
        "pay_type",
        "cell",
        "total_amount",
        "created_at",
    ]
    list_filter = ["status", "pay_type", "business_day"]
    search_fields = ["id"]
    readonly_fields = [f.name for f in Order._meta.fields]
    inlines = [OrderItemInline, OrderStatusLogInline]
    actions = ["make", "ready", "complete", "cancel", "undo"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def _move(self, request, queryset, status):  # type: ignore[no-untyped-def]
        _run(
            self,
            request,
            queryset,
            lambda o: services.order_status_change(
                order_id=o.pk, status=status, actor=request.user
            ),
        )

    @admin.action(description="Start making")
    def make(self, request, queryset):  # type: ignore[no-untyped-def]
        self._move(request, queryset, Status.MAKING)

    @admin.action(description="Mark ready")
    def ready(self, request, queryset):  # type: ignore[no-untyped-def]
        self._move(request, queryset, Status.READY)

    @admin.action(description="Mark completed")
    def complete(self, request, queryset):  # type: ignore[no-untyped-def]
        self._move(request, queryset, Status.COMPLETED)

    @admin.action(description="Cancel (refunds cell orders)")
    def cancel(self, request, queryset):  # type: ignore[no-untyped-def]
        _run(
            self,
            request,
            queryset,
            lambda o: services.order_cancel(
                order_id=o.pk, reason="Cancelled in admin", actor=request.user
            ),
        )

    @admin.action(description="Undo the last move (15 minutes)")
    def undo(self, request, queryset):  # type: ignore[no-untyped-def]
        _run(
            self,
            request,
            queryset,
            lambda o: services.order_undo(order_id=o.pk, actor=request.user),
        )


class CellForm(forms.ModelForm):
    charge = forms.IntegerField(
        min_value=1,
        max_value=services.MAX_CHARGE,
        required=False,
        help_text="Points to add (recorded in the ledger and published).",
    )

    class Meta:
        model = Cell
        fields = ["name", "is_active"]


@admin.register(Cell)
class CellAdmin(admin.ModelAdmin):
    form = CellForm
    list_display = ["name", "balance", "is_active"]
    readonly_fields = ["balance"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        amount = form.cleaned_data.get("charge")
        if amount:
            services.cell_charge(
                cell_id=obj.pk, amount=amount, actor=request.user, note="Admin"
            )
            obj.refresh_from_db()


@admin.register(CellLedger)
class CellLedgerAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "cell",
        "type",
        "amount",
        "balance_before",
        "balance_after",
        "order",
        "actor",
    ]
    list_filter = ["type", "cell"]
    readonly_fields = [f.name for f in CellLedger._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class KioskSettingForm(forms.ModelForm):
    class Meta:
        model = KioskSetting
        fields = ["key", "value"]


@admin.register(KioskSetting)
class KioskSettingAdmin(admin.ModelAdmin):
    form = KioskSettingForm
    list_display = ["key", "value", "updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        try:
            services.setting_set(key=obj.key, value=obj.value, actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(OrderStatusLog)
class OrderStatusLogAdmin(admin.ModelAdmin):
    list_display = ["order", "kind", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["kind", "to_status"]
    readonly_fields = [f.name for f in OrderStatusLog._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(DailyCounter)
class DailyCounterAdmin(admin.ModelAdmin):
    list_display = ["day", "last_num"]
    readonly_fields = ["day", "last_num"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


admin.site.register(OrderItem)
