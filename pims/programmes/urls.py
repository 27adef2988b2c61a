from django.urls import path

from . import views

app_name = "programmes"
urlpatterns = [
    path("", views.index, name="index"),
    path("open/", views.cycle_open, name="cycle_open"),
    path("<int:pk>/", views.cycle_detail, name="cycle"),
    path("<int:pk>/entries/", views.entry_list, name="entries"),
    path("<int:pk>/notice/", views.notice_publish, name="notice_publish"),
    path("<int:pk>/notice/<str:village>.pdf", views.notice_pdf, name="notice_pdf"),
    path("<int:pk>/township-review/", views.township_review, name="township_review"),
    path("<int:pk>/confirm/", views.cycle_confirm, name="cycle_confirm"),
    path("<int:pk>/roster/", views.roster_build, name="roster_build"),
    path("<int:pk>/stops/", views.stop_queue, name="stops"),
    path("<int:pk>/changes/", views.change_list, name="changes"),
    path("roster/<int:pk>.xlsx", views.roster_xlsx, name="roster_xlsx"),
    path("roster/<int:pk>.pdf", views.roster_pdf, name="roster_pdf"),
    path("roster/<int:pk>/paid/", views.roster_paid, name="roster_paid"),
    path("entry/<int:pk>/stop/", views.stop_record, name="stop_record"),
    *(
        path(f"entry/<int:pk>/{action}/", views.entry_action, {"action": action}, name=f"entry_{action}")
        for action in views.ENTRY_ACTIONS
    ),
    path("person/<int:pk>/", views.person_eligibility, name="person"),
    path("person/<int:pk>/fact/", views.fact_new, name="fact_new"),
    path("health/", views.health_lists, name="health"),
    path("health/<str:kind>/", views.health_list, name="health_list"),
    path("health/<str:kind>/import/", views.health_import, name="health_import"),
    path("health/<str:kind>/<int:pk>/", views.health_record, name="health_record"),
]
