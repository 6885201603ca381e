"""REST and page routes of the monitoring app (included at the site root)."""

from django.urls import path

from monitoring import pages, views

urlpatterns = [
    path(
        "api/endpoints/", views.EndpointListView.as_view(), name="monitoring-endpoints"
    ),
    path(
        "api/endpoints/<int:endpoint_id>/",
        views.EndpointDetailView.as_view(),
        name="monitoring-endpoint",
    ),
    path(
        "api/endpoints/<int:endpoint_id>/check-now/",
        views.CheckNowView.as_view(),
        name="monitoring-check-now",
    ),
    path(
        "api/endpoints/<int:endpoint_id>/pause/",
        views.PauseView.as_view(),
        name="monitoring-pause",
    ),
    path(
        "api/endpoints/<int:endpoint_id>/resume/",
        views.ResumeView.as_view(),
        name="monitoring-resume",
    ),
    path(
        "api/endpoints/<int:endpoint_id>/checks/",
        views.ChecksView.as_view(),
        name="monitoring-checks",
    ),
    path(
        "api/incidents/", views.IncidentListView.as_view(), name="monitoring-incidents"
    ),
    path(
        "api/incidents/<int:incident_id>/",
        views.IncidentDetailView.as_view(),
        name="monitoring-incident",
    ),
    path(
        "api/monitoring/summary/",
        views.SummaryView.as_view(),
        name="monitoring-summary",
    ),
    path("api/status/", views.PublicStatusView.as_view(), name="monitoring-status-api"),
    path(
        "api/notification-channels/",
        views.ChannelListView.as_view(),
        name="monitoring-channels",
    ),
    path(
        "api/notification-channels/<int:channel_id>/",
        views.ChannelDetailView.as_view(),
        name="monitoring-channel",
    ),
    path(
        "api/notification-channels/<int:channel_id>/test/",
        views.ChannelTestView.as_view(),
        name="monitoring-channel-test",
    ),
    path(
        "api/notification-deliveries/",
        views.DeliveryListView.as_view(),
        name="monitoring-deliveries",
    ),
    path(
        "monitoring/notifications/",
        pages.notifications,
        name="monitoring-notifications",
    ),
    path("monitoring/", pages.dashboard, name="monitoring-dashboard"),
    path(
        "monitoring/endpoints/new/", pages.endpoint_new, name="monitoring-endpoint-new"
    ),
    path(
        "monitoring/endpoints/<int:endpoint_id>/",
        pages.endpoint_detail,
        name="monitoring-endpoint-detail",
    ),
    path(
        "monitoring/endpoints/<int:endpoint_id>/edit/",
        pages.endpoint_edit,
        name="monitoring-endpoint-edit",
    ),
    path(
        "monitoring/endpoints/<int:endpoint_id>/delete/",
        pages.endpoint_delete,
        name="monitoring-endpoint-delete",
    ),
    path("status/", pages.status_page, name="monitoring-status"),
    path(
        "status/badge/<int:endpoint_id>.svg",
        pages.status_badge,
        name="monitoring-status-badge",
    ),
]
