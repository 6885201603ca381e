"""REST and page routes of the orders app (included at the site root)."""

from django.urls import path

from orders import pages, views

urlpatterns = [
    path("api/orders/", views.OrderListView.as_view(), name="order-list"),
    path(
        "api/orders/<str:order_id>/",
        views.OrderDetailView.as_view(),
        name="order-detail",
    ),
    path(
        "api/orders/<str:order_id>/status/",
        views.OrderStatusView.as_view(),
        name="order-status",
    ),
    path(
        "api/orders/<str:order_id>/cancel/",
        views.OrderCancelView.as_view(),
        name="order-cancel",
    ),
    path(
        "api/orders/<str:order_id>/undo/",
        views.OrderUndoView.as_view(),
        name="order-undo",
    ),
    path("api/pickup/", views.PickupBoardView.as_view(), name="pickup-board"),
    path("api/cells/", views.CellListView.as_view(), name="cell-list"),
    path(
        "api/cells/<int:cell_id>/charge/",
        views.CellChargeView.as_view(),
        name="cell-charge",
    ),
    path(
        "api/cells/<int:cell_id>/ledger/",
        views.CellLedgerView.as_view(),
        name="cell-ledger",
    ),
    path("api/settings/", views.SettingListView.as_view(), name="setting-list"),
    path(
        "api/settings/<str:key>/",
        views.SettingDetailView.as_view(),
        name="setting-detail",
    ),
    path("kiosk/", pages.kiosk, name="kiosk"),
    path("orders/<str:order_id>/", pages.customer, name="order-page"),
    path("barista/", pages.barista, name="barista"),
    path("pickup/", pages.pickup, name="pickup"),
    path("staff/orders/", pages.staff_orders, name="staff-orders"),
    path("staff/cells/", pages.staff_cells, name="staff-cells"),
    path("staff/settings/", pages.staff_settings, name="staff-settings"),
]
