"""REST routes of the catalogue (included at the site root)."""

from django.urls import path

from menus import views

urlpatterns = [
    path("api/menus/", views.MenuListView.as_view(), name="menu-list"),
    path(
        "api/menus/options/<int:option_id>/",
        views.OptionDetailView.as_view(),
        name="menu-option-detail",
    ),
    path(
        "api/menus/<int:menu_id>/", views.MenuDetailView.as_view(), name="menu-detail"
    ),
]
