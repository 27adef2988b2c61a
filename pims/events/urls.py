from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/events/new/", views.event_create, name="report_event_create"),
    path("reports/<int:pk>/persons/", views.person_search, name="report_person_search"),
    path("reports/<int:pk>/submit/", views.report_submit, name="report_submit"),
    path("reports/<int:pk>/review/", views.report_review, name="report_review"),
    path("events/<int:pk>/withdraw/", views.event_withdraw, name="event_withdraw"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("status/", views.village_status, name="village_status"),
    path("status/approve/", views.reports_approve, name="reports_approve"),
    path("population/", views.population, name="population"),
    path("persons/<int:pk>/timeline/", views.person_timeline, name="person_timeline"),
    path("households/<int:pk>/history/", views.household_history, name="household_history"),
]
