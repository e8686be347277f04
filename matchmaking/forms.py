"""Forms of the pre-docking pages: starting a run and the one-click search box. They only
parse; ``matchmaking.services.run_start`` checks the parameters again and has the last word."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.enums import ListingKind
from matchmaking.engine import MatchParams

DEFAULTS = MatchParams()
SEARCH_MAX_CHARS = 500


def _int_field(name: str, label, help_text) -> forms.IntegerField:
    low, high = MatchParams.LIMITS[name]
    return forms.IntegerField(label=label, help_text=help_text, min_value=low, max_value=high,
                              initial=getattr(DEFAULTS, name))


def _float_field(name: str, label, help_text) -> forms.FloatField:
    low, high = MatchParams.LIMITS[name]
    return forms.FloatField(label=label, help_text=help_text, min_value=low, max_value=high,
                            initial=getattr(DEFAULTS, name), widget=forms.NumberInput(attrs={"step": "0.01"}))


class RunStartForm(forms.Form):
    """A run over every published listing. The parameters are those of ``MatchParams``."""

    PARAM_NAMES = ("k_requirement", "min_per_achievement", "pool", "cap", "min_score",
                   "weight_dense", "weight_lexical", "weight_structured")

    label = forms.CharField(label=_("Label"), max_length=200, required=False,
                            help_text=_("Optional, e.g. the conference or the month it prepares."))
    k_requirement = _int_field("k_requirement", _("Candidates per requirement"),
                               _("How many achievements each requirement is offered."))
    min_per_achievement = _int_field("min_per_achievement", _("Minimum per achievement"),
                                     _("Every achievement reaches at least this many requirements (coverage pass)."))
    pool = _int_field("pool", _("Search depth"),
                      _("Nearest neighbours considered per listing before scoring; at least the candidates "
                        "per requirement."))
    cap = _int_field("cap", _("Cap per achievement"),
                     _("An achievement appears in at most this many requirements' lists."))
    min_score = _float_field("min_score", _("Minimum score"),
                             _("Below this score (or with a blocking mismatch) a suggestion is low-confidence."))
    weight_dense = _float_field("weight_dense", _("Weight of semantic similarity"), "")
    weight_lexical = _float_field("weight_lexical", _("Weight of keyword overlap"), "")
    weight_structured = _float_field("weight_structured", _("Weight of structured compatibility"),
                                     _("Field, TRL, cooperation mode, IP and budget."))

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                MatchParams.from_dict(self.params())
            except ValueError as exc:
                # The engine's own wording (e.g. "pool must be at least k_requirement").
                raise forms.ValidationError(_("Invalid run parameters: %(error)s") % {"error": exc}) from None
        return cleaned

    def params(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PARAM_NAMES}


class SearchForm(forms.Form):
    KIND_CHOICES = [("", _("Requirements and achievements")), *ListingKind.choices]

    q = forms.CharField(label=_("Search"), max_length=SEARCH_MAX_CHARS, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, required=False)

    def kinds(self) -> tuple[str, ...]:
        kind = self.cleaned_data.get("kind")
        return (kind,) if kind else (ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT)


# --- a pair's life (matchmaking.pair_views): each form parses one service's input ------------

class QueueFilterForm(forms.Form):
    """The review queue's filters (GET). Broker choices are set by the view for bureau staff."""

    SORTS = [("score", _("Best score first")), ("age", _("Waiting longest first")), ("due", _("Due soonest first"))]

    field = forms.ModelChoiceField(label=_("Field"), queryset=None, required=False,
                                   empty_label=_("All fields"))
    run = forms.ModelChoiceField(label=_("Pre-docking run"), queryset=None, required=False,
                                 empty_label=_("All runs"))
    broker = forms.ModelChoiceField(label=_("Broker"), queryset=None, required=False,
                                    empty_label=_("All brokers"))
    unassigned = forms.BooleanField(label=_("Not yet routed"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORTS, required=False)

    def __init__(self, *args, brokers=None, **kwargs):
        from catalog.models import Field
        from matchmaking.models import PreDockingRun

        super().__init__(*args, **kwargs)
        self.fields["field"].queryset = Field.objects.all()
        self.fields["run"].queryset = PreDockingRun.objects.order_by("-created_at")
        self.fields["run"].label_from_instance = _run_label
        if brokers is None:
            del self.fields["broker"]
            del self.fields["unassigned"]
        else:
            self.fields["broker"].queryset = brokers

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "field_id": getattr(data.get("field"), "pk", None),
            "run_id": getattr(data.get("run"), "pk", None),
            "broker_id": getattr(data.get("broker"), "pk", None),
            "unassigned": bool(data.get("unassigned")),
            "overdue": bool(data.get("overdue")),
            "sort": data.get("sort") or "score",
        }


class IdListField(forms.Field):
    """Checked boxes sharing one name, as a list of ids. Any id parses: the service refuses,
    pair by pair, what the user may not decide."""

    widget = forms.MultipleHiddenInput
    MAX = 500

    def to_python(self, value) -> list[int]:
        values = [value] if isinstance(value, str) else list(value or [])
        if len(values) > self.MAX or not all(str(v).isdigit() for v in values):
            raise forms.ValidationError(_("Invalid selection."), code="invalid")
        return [int(v) for v in values]


class BulkDecisionForm(forms.Form):
    DECISIONS = [("approve", _("Approve")), ("reject", _("Reject"))]

    ids = IdListField(label=_("Pairs"), error_messages={"required": _("Select at least one pair.")})
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=1000, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for rejecting: it teaches the matching."))
        return cleaned


class ApproveForm(forms.Form):
    note = forms.CharField(label=_("Note to the parties"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Both parties read this note with the suggestion."))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Only brokers and bureau staff read it; it teaches the matching."))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note to the parties"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    broker = forms.ModelChoiceField(label=_("Broker"), queryset=None, required=False,
                                    empty_label=_("Nobody (route automatically)"))

    def __init__(self, *args, **kwargs):
        from accounts.models import User

        super().__init__(*args, **kwargs)
        # Every broker parses; ``routing.suggestion_assign`` checks conflicts and capacity.
        self.fields["broker"].queryset = User.objects.filter(broker_profile__isnull=False)


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes(value) -> bool:
    return value == "yes"


class AnswerForm(forms.Form):
    side = forms.ChoiceField(choices=(), widget=forms.HiddenInput)
    interested = forms.TypedChoiceField(label=_("Interested"), choices=YES_NO, coerce=_yes)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required when you are not interested; the broker reads it."))

    def __init__(self, *args, **kwargs):
        from matchmaking.models import Side

        super().__init__(*args, **kwargs)
        self.fields["side"].choices = Side.choices


class DiscloseForm(forms.Form):
    side = forms.ChoiceField(choices=(), widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        from matchmaking.models import Side

        super().__init__(*args, **kwargs)
        self.fields["side"].choices = Side.choices


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    attachment = forms.FileField(label=_("Attachment"), required=False,
                                 help_text=_("PDF, Office documents, images, text or zip; at most 10 MB."))


class MeetingRequestForm(forms.Form):
    mode = forms.ChoiceField(label=_("Mode"), choices=())
    starts_at = forms.DateTimeField(label=_("Starts"),
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                               format="%Y-%m-%dT%H:%M"))
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=10, max_value=480, initial=60)
    location = forms.CharField(label=_("Place or link"), max_length=300, required=False)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from matchmaking.models import MeetingMode

        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = MeetingMode.choices


class ReasonForm(forms.Form):
    """Cancelling a meeting, ending a negotiation without a deal."""

    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class MeetingOutcomeForm(forms.Form):
    held = forms.TypedChoiceField(label=_("Did the meeting take place?"), choices=YES_NO, coerce=_yes)
    outcome = forms.CharField(label=_("Outcome"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class AgreementForm(forms.Form):
    contract_type = forms.ChoiceField(label=_("Contract type"), choices=())
    amount = forms.DecimalField(label=_("Amount (10k CNY)"), min_value=0, max_digits=12, decimal_places=2)
    signed_on = forms.DateField(label=_("Signed on"), widget=forms.DateInput(attrs={"type": "date"}))
    meeting = forms.ModelChoiceField(label=_("Meeting"), queryset=None, required=False,
                                     empty_label=_("The latest meeting held"))
    note = forms.CharField(label=_("Note"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, suggestion=None, **kwargs):
        from catalog.enums import CooperationMode
        from matchmaking.models import Meeting, MeetingStatus

        super().__init__(*args, **kwargs)
        self.fields["contract_type"].choices = CooperationMode.choices
        meetings = Meeting.objects.filter(status=MeetingStatus.HELD)
        self.fields["meeting"].queryset = meetings.filter(suggestion=suggestion) if suggestion else meetings.none()
        self.fields["meeting"].label_from_instance = _meeting_label


def _meeting_label(meeting) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(meeting.starts_at):%Y-%m-%d %H:%M} · {meeting.get_mode_display()}"


class ReportFilterForm(forms.Form):
    GROUPS = [("", _("All pairs together")), ("run", _("Per run")), ("field", _("Per field")),
              ("broker", _("Per broker"))]

    group_by = forms.ChoiceField(label=_("Group"), choices=GROUPS, required=False)
    run = forms.ModelChoiceField(label=_("Pre-docking run"), queryset=None, required=False,
                                 empty_label=_("All runs"))
    field = forms.ModelChoiceField(label=_("Field"), queryset=None, required=False,
                                   empty_label=_("All fields"),
                                   help_text=_("A pair counts in the fields of its requirement."))
    since = forms.DateField(label=_("Suggested from"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Suggested until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        from catalog.models import Field
        from matchmaking.models import PreDockingRun

        super().__init__(*args, **kwargs)
        self.fields["field"].queryset = Field.objects.all()
        self.fields["run"].queryset = PreDockingRun.objects.order_by("-created_at")
        self.fields["run"].label_from_instance = _run_label

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned


def _run_label(run) -> str:
    from django.utils import timezone

    when = f"{timezone.localtime(run.created_at):%Y-%m-%d}" if run.created_at else ""
    return " · ".join(part for part in (f"#{run.pk}", run.label, when) if part)
