from django.contrib import admin

from events.models import (
    BrokerAttendance,
    Event,
    EventListing,
    EventSeries,
    ExhibitionArea,
    InvestorInterest,
    Registration,
    RoadshowEntry,
    ScheduledMeeting,
    Session,
    Slot,
    Table,
)


class AreaInline(admin.TabularInline):
    model = ExhibitionArea
    extra = 0
    fields = ["code", "name_zh", "name_en", "hall", "order"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "kind", "starts_on", "ends_on", "status", "organiser"]
    list_filter = ["kind", "status"]
    search_fields = ["name_zh", "name_en", "slug"]
    raw_id_fields = ["organiser", "series", "run", "created_by"]
    inlines = [AreaInline]


@admin.register(EventSeries)
class EventSeriesAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "organiser"]
    raw_id_fields = ["organiser"]


@admin.register(ExhibitionArea)
class ExhibitionAreaAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "event", "code", "hall"]
    list_filter = ["event"]
    filter_horizontal = ["fields"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title_zh", "event", "kind", "area", "starts_at", "ends_at", "room"]
    list_filter = ["event", "kind"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["organisation", "event", "status", "delegates", "checked_in_at"]
    list_filter = ["event", "status"]
    search_fields = ["organisation__name_zh", "organisation__name_en"]
    raw_id_fields = ["organisation", "registered_by", "checked_in_by"]
    filter_horizontal = ["unavailable_slots"]


@admin.register(EventListing)
class EventListingAdmin(admin.ModelAdmin):
    list_display = ["event", "registration", "requirement", "achievement", "area"]
    list_filter = ["event"]
    raw_id_fields = ["registration", "requirement", "achievement", "entered_by"]


@admin.register(ScheduledMeeting)
class ScheduledMeetingAdmin(admin.ModelAdmin):
    list_display = ["event", "suggestion", "slot", "table", "status"]
    list_filter = ["event", "status"]
    raw_id_fields = ["suggestion", "slot", "table", "meeting", "changed_by"]


admin.site.register(Table)
admin.site.register(Slot)
admin.site.register(BrokerAttendance)
admin.site.register(RoadshowEntry)
admin.site.register(InvestorInterest)
