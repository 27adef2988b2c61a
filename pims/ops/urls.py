from django.urls import path

from . import views

app_name = "ops"
urlpatterns = [
    path("schedule/", views.scheduled_jobs, name="schedule"),
]
