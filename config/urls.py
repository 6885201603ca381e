from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from orders import views as orders_views
from realtime import asyncapi, login_limits
from realtime import pages as realtime_pages
from realtime import views as realtime_views

# The admin's login page counts failed attempts like the others.
admin.site.login_form = login_limits.LimitedAdminAuthenticationForm

urlpatterns = [
    path("", realtime_pages.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/login/", login_limits.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "api/auth/token/",
        login_limits.TokenObtainPairView.as_view(),
        name="token-obtain",
    ),
    path(
        "api/auth/token/refresh/",
        login_limits.TokenRefreshView.as_view(),
        name="token-refresh",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"
    ),
    path("api/asyncapi.yaml", asyncapi.asyncapi_yaml, name="asyncapi"),
    path("api/realtime/", include("realtime.urls")),
    path("healthz", realtime_views.healthz, name="healthz"),
    path("readyz", realtime_views.readyz, name="readyz"),
    path("metrics", realtime_views.metrics_view, name="metrics"),
    path("", include("menus.urls")),
    path("", include("orders.urls")),
    # Cell PINs: staff set one; the kiosk reads a balance with it.
    path(
        "api/cells/<int:cell_id>/",
        orders_views.CellDetailView.as_view(),
        name="cell-detail",
    ),
    path(
        "api/cells/<int:cell_id>/balance/",
        orders_views.CellBalanceView.as_view(),
        name="cell-balance",
    ),
    path("", include("chat.urls")),
    path("", include("monitoring.urls")),
    path("", include("devices.urls")),
]
