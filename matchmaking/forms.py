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
