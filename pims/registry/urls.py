from django.urls import include, path

from . import views, volume_views

app_name = "registry"
urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/submit/", views.household_submit, name="household_submit"),
    path("households/<int:pk>/review/", views.household_review, name="household_review"),
    path("households/<int:pk>/scan/", views.household_scan, name="household_scan"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/reveal/", views.person_reveal, name="person_reveal"),
    path("volumes/", volume_views.volume_list, name="volume_list"),
    path("volumes/<int:pk>/", volume_views.volume_detail, name="volume_detail"),
    path("checks/", include("pims.registry.check_urls")),
    path("quality/", include("pims.registry.quality_urls")),
]
