from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("otp/", views.otp_view, name="otp"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/reset-2fa/", views.user_reset_2fa, name="user_reset_2fa"),
    path("users/<int:pk>/devices/enrol/", views.device_enrol, name="device_enrol"),
    path("users/<int:pk>/devices/<int:device_pk>/revoke/", views.device_revoke, name="device_revoke"),
    path("users/<int:pk>/devices/binding/", views.device_binding, name="device_binding"),
    path("users/approvals/", views.approval_list, name="approval_list"),
    path("users/approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
]
