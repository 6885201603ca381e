"""REST and page routes of paired devices (included at the site root)."""

from django.urls import path

from devices import pages, views

urlpatterns = [
    path("api/devices/", views.DeviceListView.as_view(), name="device-list"),
    path("api/devices/me/", views.DeviceMeView.as_view(), name="device-me"),
    path("api/devices/pair/", views.PairView.as_view(), name="device-pair"),
    path(
        "api/devices/<int:device_id>/revoke/",
        views.DeviceRevokeView.as_view(),
        name="device-revoke",
    ),
    path("staff/devices/", pages.staff_devices, name="staff-devices"),
    path("pair/", pages.pair, name="pair"),
]
