from django.urls import path

from realtime import views

urlpatterns = [
    path("stats/", views.StatsView.as_view(), name="realtime-stats"),
    path(
        "announcements/",
        views.AnnouncementView.as_view(),
        name="realtime-announcements",
    ),
    path(
        "rooms/<str:room>/events/",
        views.RoomEventsView.as_view(),
        name="realtime-room-events",
    ),
]
