from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.index, name="index"),
    path("close/", views.close_list, name="close_list"),
    path("close/new/", views.close_create, name="close_create"),
    path("close/<int:pk>/reopen/", views.close_reopen, name="close_reopen"),
    path("indicators/", views.indicators_home, name="indicators_home"),
    path("indicators/<str:code>/", views.indicators_view, name="indicators"),
    path("r/<slug:report>/", views.report_home, name="report_home"),
    path("r/<slug:report>/<str:code>/", views.report_view, name="report"),
    path("r/<slug:report>/<str:code>/export.<slug:fmt>", views.report_export, name="report_export"),
    path("r/<slug:report>/<str:code>/list/", views.drill_view, name="drill"),
]
