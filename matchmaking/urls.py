from django.urls import path

from matchmaking import pair_views, views

app_name = "matchmaking"

urlpatterns = [
    path("runs/", views.run_list, name="run-list"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run-cancel"),
    path("runs/<int:pk>/resume/", views.run_resume, name="run-resume"),
    path("search/", views.search, name="search"),
    # A pair's life (pair_views): review, answers, negotiation, outcome.
    path("review/", pair_views.review_queue, name="review-queue"),
    path("inbox/", pair_views.inbox, name="inbox"),
    path("routing/", pair_views.routing_overview, name="routing"),
    path("routing/run/", pair_views.routing_run, name="routing-run"),
    path("reports/", pair_views.report_overview, name="reports"),
    path("exports/<str:kind>/", pair_views.pair_export, name="pair-export"),
    path("pairs/<int:pk>/", pair_views.pair_detail, name="pair-detail"),
    path("pairs/<int:pk>/approve/", pair_views.pair_approve, name="pair-approve"),
    path("pairs/<int:pk>/reject/", pair_views.pair_reject, name="pair-reject"),
    path("pairs/<int:pk>/note/", pair_views.pair_note, name="pair-note"),
    path("pairs/<int:pk>/assign/", pair_views.pair_assign, name="pair-assign"),
    path("pairs/<int:pk>/answer/", pair_views.pair_answer, name="pair-answer"),
    path("pairs/<int:pk>/disclose/", pair_views.pair_disclose, name="pair-disclose"),
    path("pairs/<int:pk>/messages/", pair_views.pair_message, name="pair-message"),
    path("pairs/<int:pk>/meetings/", pair_views.meeting_request, name="meeting-request"),
    path("pairs/<int:pk>/meetings/<int:meeting_pk>/accept/", pair_views.meeting_accept, name="meeting-accept"),
    path("pairs/<int:pk>/meetings/<int:meeting_pk>/cancel/", pair_views.meeting_cancel, name="meeting-cancel"),
    path("pairs/<int:pk>/meetings/<int:meeting_pk>/outcome/", pair_views.meeting_outcome, name="meeting-outcome"),
    path("pairs/<int:pk>/agreement/", pair_views.pair_agreement, name="pair-agreement"),
    path("pairs/<int:pk>/close/", pair_views.pair_close, name="pair-close"),
    path("messages/<int:pk>/attachment/", pair_views.message_attachment, name="message-attachment"),
]
