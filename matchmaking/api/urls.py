from django.urls import path
from rest_framework.routers import SimpleRouter

from matchmaking.api import pair_views, report_views, views

app_name = "matchmaking-api"

router = SimpleRouter()
router.register("runs", views.RunViewSet, basename="run")
router.register("suggestions", views.SuggestionViewSet, basename="suggestion")
# A pair's actions live under the same /suggestions/{id}/ (names "pair-approve", "pair-messages"…).
router.register("suggestions", pair_views.PairViewSet, basename="pair")
router.register("meetings", pair_views.MeetingViewSet, basename="meeting")
router.register("messages", pair_views.MessageViewSet, basename="message")
router.register("agreements", pair_views.AgreementViewSet, basename="agreement")
router.register("notifications", pair_views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="search"),
    path("reviews/", pair_views.ReviewQueueView.as_view(), name="review-queue"),
    path("inbox/", pair_views.InboxView.as_view(), name="inbox"),
    path("reports/funnel/", report_views.FunnelReportView.as_view(), name="report-funnel"),
    path("reports/brokers/", report_views.BrokerLeagueView.as_view(), name="report-brokers"),
    path("exports/<str:kind>/", report_views.PairExportView.as_view(), name="pair-export"),
    *router.urls,
]
