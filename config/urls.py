from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from realtime import pages as realtime_pages
from realtime import views as realtime_views

urlpatterns = [
    path("", realtime_pages.home, name="home"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/auth/token/", TokenObtainPairView.as_view(), name="token-obtain"),
    path("api/auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"
    ),
    path("api/realtime/", include("realtime.urls")),
    path("healthz", realtime_views.healthz, name="healthz"),
    path("readyz", realtime_views.readyz, name="readyz"),
    path("metrics", realtime_views.metrics_view, name="metrics"),
    path("", include("menus.urls")),
    path("", include("orders.urls")),
    path("", include("chat.urls")),
    path("", include("monitoring.urls")),
]
