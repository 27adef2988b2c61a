from django.urls import path

from . import views

app_name = "integration"
urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/resume/", views.import_resume, name="import_resume"),
    path("<int:pk>/rejected/", views.import_rejected, name="import_rejected"),
    path("civil/", views.department_import, {"kind": "civil"}, name="civil_import"),
    path("health/", views.department_import, {"kind": "health"}, name="health_import"),
    path("police-changes/", views.department_import, {"kind": "police_changes"}, name="police_changes_import"),
    path("review/", views.review_list, name="review_list"),
    path("review/<int:pk>/", views.review_detail, name="review_detail"),
    path("duplicates/", views.duplicate_list, name="duplicate_list"),
    path("duplicates/<int:pk>/", views.duplicate_detail, name="duplicate_detail"),
]
