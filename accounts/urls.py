from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup-done"),
    path("profile/", views.profile, name="profile"),
    path("organisations/pending/", views.organisation_pending, name="organisation-pending"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation-detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation-edit"),
    path("organisations/<int:pk>/decide/", views.organisation_decide, name="organisation-decide"),
    path("organisations/<int:pk>/invitations/", views.invitation_create, name="invitation-create"),
    path("organisations/<int:pk>/members/<int:membership_pk>/remove/", views.membership_remove,
         name="membership-remove"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
]
