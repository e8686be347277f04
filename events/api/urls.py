"""REST routes of docking conferences, mounted at /api/v1/ (names ``events-api:``)."""

from events.api import dayof, participation, planning, reports, roadshows

app_name = "events-api"

urlpatterns = [
    *participation.urlpatterns,
    *planning.urlpatterns,
    *roadshows.urlpatterns,
    *dayof.urlpatterns,
    *reports.urlpatterns,
]
