"""Portal forms of the catalog. Listing forms expose only the fields the services accept
(``catalog.services.EDITABLE``); status, ownership and the search text are never form fields."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.enums import OrganisationKind, OrganisationStatus, Region, Role
from accounts.models import Organisation
from catalog.enums import TRL_CHOICES, CooperationMode, Language, ListingKind, ListingStatus
from catalog.models import MAX_COOPERATION_MODES, MAX_KEYWORDS, Achievement, ExpertEvaluation, Field, Requirement
from catalog.services import BUREAU_EDITABLE, EDITABLE

MAX_FIELDS = 5
KEYWORD_SPLIT_RE = re.compile(r"[,，、;；]+")

MODELS = {ListingKind.REQUIREMENT: Requirement, ListingKind.ACHIEVEMENT: Achievement}

# Display order of the editable fields; anything in EDITABLE but missing here is appended.
FIELD_ORDER = [
    "owner_org", "title", "summary", "description", "problem_statement", "technical_indicators", "advantages",
    "application_scenarios", "team", "keywords", "fields", "cooperation_modes", "trl", "trl_min", "deadline",
    "ip_status", "patent_numbers", "budget_min", "budget_max", "language", "region", "confidentiality",
    "valid_from", "valid_until", "contact_name", "contact_email", "contact_phone",
    "provenance", "source_batch", "external_ref", "internal_note",
]
DATE_FIELDS = {"deadline", "valid_from", "valid_until"}
# Bureau staff set provenance and notes; the collecting organisation is left to the admin/intake.
PORTAL_BUREAU_EDITABLE = BUREAU_EDITABLE - {"collected_by"}


def split_keywords(value: str) -> list[str]:
    return [word.strip() for word in KEYWORD_SPLIT_RE.split(value or "") if word.strip()]


def listing_model_fields(kind: str, *, bureau: bool) -> list[str]:
    names = set(EDITABLE[kind]) | (PORTAL_BUREAU_EDITABLE if bureau else set())
    ordered = [name for name in FIELD_ORDER if name in names]
    return ordered + sorted(names - set(ordered))


def grouped_field_choices() -> list:
    """Taxonomy fields grouped by cluster, for grouped checkboxes (one query)."""
    groups: dict = {}
    for f in Field.objects.select_related("cluster").order_by("cluster__order", "cluster__code", "order", "code"):
        groups.setdefault(f.cluster, []).append((f.pk, f.name))
    return [(cluster.name, choices) for cluster, choices in groups.items()]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ListingForm(forms.ModelForm):
    """Base form; use ``listing_form_class`` to get the form of one kind."""

    keywords = forms.CharField(
        label=_("Keywords"), required=False, max_length=200,
        help_text=_("At most 5, separated by commas or 、"),
    )
    fields = forms.TypedMultipleChoiceField(
        label=_("Fields"), coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose 1 to 5 fields."),
    )
    cooperation_modes = forms.MultipleChoiceField(
        label=_("Cooperation modes"), choices=CooperationMode.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose 1 to 3."),
    )

    def __init__(self, *args, owner_choices: list[tuple[int, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = grouped_field_choices()
        if self.instance.pk:
            self.initial.setdefault("fields", [f.pk for f in self.instance.fields.all()])
            self.initial["keywords"] = "、".join(self.instance.keywords or [])
        if owner_choices:
            self.fields["owner_org"] = forms.TypedChoiceField(
                label=_("Organisation"), coerce=int, choices=[("", "---------"), *owner_choices],
            )
        self.order_fields(FIELD_ORDER)

    @property
    def model_field_names(self) -> list[str]:
        return list(self._meta.fields)

    def clean_keywords(self) -> list[str]:
        words = list(dict.fromkeys(split_keywords(self.cleaned_data.get("keywords", ""))))
        if len(words) > MAX_KEYWORDS:
            raise ValidationError(_("Give at most %(max)d keywords.") % {"max": MAX_KEYWORDS})
        return words

    def clean_fields(self) -> list[int]:
        chosen = list(dict.fromkeys(self.cleaned_data.get("fields") or []))
        if len(chosen) > MAX_FIELDS:
            raise ValidationError(_("Choose at most %(max)d fields.") % {"max": MAX_FIELDS})
        return chosen

    def clean_cooperation_modes(self) -> list[str]:
        modes = list(dict.fromkeys(self.cleaned_data.get("cooperation_modes") or []))
        if not 1 <= len(modes) <= MAX_COOPERATION_MODES:
            raise ValidationError(_("Choose one to %(max)d cooperation modes.") % {"max": MAX_COOPERATION_MODES})
        return modes

    def listing_data(self) -> dict:
        """The values handed to the service: model fields of this form only."""
        return {name: self.cleaned_data[name] for name in self.model_field_names if name in self.cleaned_data}

    def field_objects(self) -> list[Field]:
        return list(Field.objects.filter(pk__in=self.cleaned_data.get("fields") or []))

def listing_form_class(kind: str, *, bureau: bool) -> type[ListingForm]:
    names = listing_model_fields(kind, bureau=bureau)
    widgets = {name: DateInput() for name in names if name in DATE_FIELDS}
    return forms.modelform_factory(MODELS[kind], form=ListingForm, fields=names, widgets=widgets)


def owner_choices_for(*, kind: str, roles) -> list[tuple[int, str]]:
    """Organisations the user may post for: their own with the right role, or (bureau) any
    approved organisation of the right kind."""
    if roles.is_bureau:
        kinds = ([OrganisationKind.ENTERPRISE] if kind == ListingKind.REQUIREMENT
                 else [OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE])
        qs = Organisation.objects.filter(status=OrganisationStatus.APPROVED, kind__in=kinds)
    else:
        ids = roles.requirement_org_ids if kind == ListingKind.REQUIREMENT else roles.achievement_org_ids
        qs = Organisation.objects.filter(pk__in=ids)
    return [(org.pk, org.display_name) for org in qs.order_by("name_zh")]


class ListingFilterForm(forms.Form):
    """GET filters of the list pages. Every field is optional; an invalid value is dropped
    (and reported) rather than failing the page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    field = forms.MultipleChoiceField(label=_("Fields"), required=False, widget=forms.CheckboxSelectMultiple)
    cluster = forms.ChoiceField(label=_("Field cluster"), required=False)
    trl_min = forms.TypedChoiceField(label=_("TRL from"), required=False, coerce=int, empty_value=None,
                                     choices=[("", "—"), *TRL_CHOICES])
    trl_max = forms.TypedChoiceField(label=_("TRL to"), required=False, coerce=int, empty_value=None,
                                     choices=[("", "—"), *TRL_CHOICES])
    mode = forms.ChoiceField(label=_("Cooperation mode"), required=False,
                             choices=[("", _("Any")), *CooperationMode.choices])
    region = forms.ChoiceField(label=_("Region"), required=False, choices=[("", _("Any")), *Region.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Live listings")), *ListingStatus.choices])
    organisation = forms.IntegerField(label=_("Organisation"), required=False, min_value=1,
                                      widget=forms.HiddenInput)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=[("", _("Any")), *Language.choices])
    mine = forms.BooleanField(label=_("My organisation's listings"), required=False)

    def __init__(self, *args, show_status: bool = False, show_mine: bool = False, bureau: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict = {}
        clusters: dict = {}
        for f in Field.objects.select_related("cluster").order_by("cluster__order", "cluster__code", "order"):
            groups.setdefault(f.cluster_id, []).append((f.code, f.name))
            clusters.setdefault(f.cluster_id, f.cluster)
        self.fields["field"].choices = [(clusters[cid].name, choices) for cid, choices in groups.items()]
        self.fields["cluster"].choices = [("", _("Any")), *((c.code, c.name) for c in clusters.values())]
        if not show_status:
            del self.fields["status"]
        elif not bureau:
            self.fields["status"].help_text = _("Applies to your organisation's listings.")
        if not show_mine:
            del self.fields["mine"]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("trl_min"), cleaned.get("trl_max")
        if low is not None and high is not None and low > high:
            self.add_error("trl_max", _("The upper TRL must not be below the lower one."))
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


def broker_queryset():
    return (get_user_model().objects.filter(
        is_active=True, memberships__role=Role.BROKER, memberships__organisation__status=OrganisationStatus.APPROVED,
    ).distinct().order_by("full_name", "email"))


def expert_queryset():
    return (get_user_model().objects.filter(
        is_active=True, memberships__role=Role.EXPERT, memberships__organisation__status=OrganisationStatus.APPROVED,
    ).distinct().order_by("full_name", "email"))


class BrokerAssignForm(forms.Form):
    brokers = forms.ModelMultipleChoiceField(
        label=_("Assigned brokers"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brokers"].queryset = broker_queryset()


class ExpertAssignForm(forms.Form):
    expert = forms.ModelChoiceField(label=_("Expert"), queryset=None)

    def __init__(self, *args, exclude_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = expert_queryset().exclude(pk__in=list(exclude_ids))


class EvaluationDecisionForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Decision"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
        choices=[("1", _("Passed: publish the achievement")), ("0", _("Failed: reject it"))],
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


SCORE_CHOICES = [("", "—"), *((i, str(i)) for i in range(1, 11))]


class EvaluationScoreForm(forms.Form):
    novelty = forms.TypedChoiceField(label=_("Novelty"), coerce=int, choices=SCORE_CHOICES)
    maturity = forms.TypedChoiceField(label=_("Maturity"), coerce=int, choices=SCORE_CHOICES)
    market = forms.TypedChoiceField(label=_("Market potential"), coerce=int, choices=SCORE_CHOICES)
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, choices=SCORE_CHOICES)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000, widget=forms.Textarea)
    recommend = forms.TypedChoiceField(
        label=_("Recommend publication"), required=False, empty_value=None, widget=forms.RadioSelect,
        coerce=lambda v: {"1": True, "0": False}.get(v), choices=[("1", _("Yes")), ("0", _("No"))],
    )

    @classmethod
    def initial_for(cls, evaluation: ExpertEvaluation) -> dict:
        initial = {name: getattr(evaluation, name) for name in ("novelty", "maturity", "market", "team", "comment")}
        if evaluation.recommend is not None:
            initial["recommend"] = "1" if evaluation.recommend else "0"
        return initial
