from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("queue/", views.queue, name="queue"),
    path("queue/poll.json", views.queue_poll, name="queue_poll"),
    path("system/roles/", views.role_list, name="role_list"),
    path("dashboard/<slug:key>.csv", views.panel_export, name="panel_export"),
    path("m/<slug:key>/", views.module, name="module"),
]
