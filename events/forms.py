"""Portal forms of docking conferences. They only parse: each names exactly the fields its
service accepts (``events.services`` / ``events.predocking``), which validate the values and
the rules (model forms here skip the model's own cleaning, so every message comes from one
place: the service)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.forms import DateInput, grouped_field_choices
from events.enums import SessionKind
from events.models import Event, EventSeries, ExhibitionArea, Registration, Session, Slot
from events.predocking import NUDGE_STATES
from events.selectors import BOARD_STATES

MAX_BULK_IDS = 2000

STATE_LABELS = {
    "no_candidates": _("No candidates"),
    "suggested": _("Suggested"),
    "viewed": _("Viewed"),
    "both_interested": _("Both interested"),
    "meeting_booked": _("Meeting booked"),
}


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class ServiceModelForm(forms.ModelForm):
    """A model form that parses only: the service cleans the model and checks its constraints."""

    def _post_clean(self):
        pass

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.cleaned_data}


class EventForm(ServiceModelForm):
    class Meta:
        model = Event
        fields = ["name_zh", "name_en", "slug", "kind", "series", "description_zh", "description_en", "starts_on",
                  "ends_on", "venue", "online", "registration_opens_at", "registration_closes_at",
                  "predocking_opens_at", "predocking_closes_at", "meeting_minutes", "max_meetings_per_party",
                  "max_meetings_per_broker"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput(),
                   "registration_opens_at": DateTimeInput(), "registration_closes_at": DateTimeInput(),
                   "predocking_opens_at": DateTimeInput(), "predocking_closes_at": DateTimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].queryset = EventSeries.objects.order_by("name_zh")


class AreaForm(ServiceModelForm):
    field_ids = forms.TypedMultipleChoiceField(label=_("Fields"), coerce=int, required=False,
                                               widget=forms.CheckboxSelectMultiple,
                                               help_text=_("Listings of these fields negotiate in this area."))

    class Meta:
        model = ExhibitionArea
        fields = ["code", "name_zh", "name_en", "hall", "order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field_ids"].choices = grouped_field_choices()
        if self.instance.pk:
            self.initial.setdefault("field_ids", [f.pk for f in self.instance.fields.all()])


class SessionForm(ServiceModelForm):
    class Meta:
        model = Session
        fields = ["kind", "area", "title_zh", "title_en", "room", "starts_at", "ends_at", "seats"]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = ExhibitionArea.objects.filter(event=event)
        if self.instance.pk:
            # Its kind is fixed (``services.session_update``).
            self.fields["kind"].disabled = True


class RegistrationCreateForm(ServiceModelForm):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)

    class Meta:
        model = Registration
        fields = ["delegates", "max_meetings", "contact_name", "contact_phone", "note"]

    def __init__(self, *args, organisations: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(org.pk, org.display_name) for org in organisations]
        self.order_fields(["organisation"])


def slot_choices(event: Event) -> list:
    """The event's negotiation slots grouped by day, for checkboxes (one query)."""
    groups: dict = {}
    slots = Slot.objects.filter(session__event=event, session__kind=SessionKind.NEGOTIATION).select_related(
        "session").order_by("starts_at", "session__pk")
    for slot in slots:
        start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        groups.setdefault(start.date().isoformat(), []).append(
            (slot.pk, f"{start:%H:%M}–{end:%H:%M} · {slot.session.title}"))
    return list(groups.items())


class RegistrationEditForm(ServiceModelForm):
    unavailable_slots = forms.TypedMultipleChoiceField(
        label=_("Time slots you cannot attend"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Registration
        fields = ["delegates", "max_meetings", "contact_name", "contact_phone", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unavailable_slots"].choices = slot_choices(self.instance.event)
        self.initial.setdefault("unavailable_slots", list(self.instance.unavailable_slots.values_list("pk",
                                                                                                     flat=True)))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class EventStatusForm(forms.Form):
    action = forms.ChoiceField(choices=[("publish", _("Publish")), ("close", _("Close")), ("cancel", _("Cancel"))])
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False,
                             help_text=_("Required to cancel: the registered organisations read it."))


class ListingEnterForm(forms.Form):
    listings = forms.MultipleChoiceField(label=_("Your published listings"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, listings: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["listings"].choices = [(f"{listing.KIND}:{listing.pk}", listing.title) for listing in listings]
        self.by_key = {f"{listing.KIND}:{listing.pk}": listing for listing in listings}

    def chosen(self) -> list:
        return [self.by_key[key] for key in self.cleaned_data["listings"]]


def _ids(value: str) -> list[int]:
    parts = [part for part in value.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if part]
    if not all(part.isdigit() for part in parts):
        raise forms.ValidationError(_("Give listing numbers separated by commas."))
    if len(parts) > MAX_BULK_IDS:
        raise forms.ValidationError(_("At most %(max)d at a time.") % {"max": MAX_BULK_IDS})
    return sorted({int(part) for part in parts})


class BulkEnterForm(forms.Form):
    field_ids = forms.TypedMultipleChoiceField(
        label=_("Every published listing of these fields"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple)
    requirement_ids = forms.CharField(label=_("Requirement numbers"), required=False, max_length=20000,
                                      help_text=_("Separated by commas."))
    achievement_ids = forms.CharField(label=_("Achievement numbers"), required=False, max_length=20000,
                                      help_text=_("Separated by commas."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field_ids"].choices = grouped_field_choices()

    def clean_requirement_ids(self) -> list[int]:
        return _ids(self.cleaned_data.get("requirement_ids", ""))

    def clean_achievement_ids(self) -> list[int]:
        return _ids(self.cleaned_data.get("achievement_ids", ""))

    def clean(self):
        data = super().clean()
        if not (data.get("field_ids") or data.get("requirement_ids") or data.get("achievement_ids")):
            raise forms.ValidationError(_("Choose fields or give listing numbers."))
        return data


class BoardFilterForm(forms.Form):
    area = forms.TypedChoiceField(label=_("Exhibition area"), coerce=int, required=False, empty_value=None)
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All")), *((s, STATE_LABELS[s]) for s in BOARD_STATES)])

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("All")), *((a.pk, a.name) for a in event.areas.all())]


class NudgeForm(forms.Form):
    state = forms.ChoiceField(choices=[(s, STATE_LABELS[s]) for s in NUDGE_STATES])
