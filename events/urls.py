"""Portal pages of docking conferences, one module per part of the event (``events.views``)."""

from events.views import dayof, participation, planning, reports, roadshows

app_name = "events"

urlpatterns = [
    *participation.urlpatterns,
    *planning.urlpatterns,
    *roadshows.urlpatterns,
    *dayof.urlpatterns,
    *reports.urlpatterns,
]
