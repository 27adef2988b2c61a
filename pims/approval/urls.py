from django.urls import path

from . import views

app_name = "approval"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<str:code>/<str:period>/<str:name>/", views.step, name="step"),
]
