"""Reads of the matching engine, filtered by ``matchmaking.rules``."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.rules import roles_for
from catalog.enums import LIVE_STATUSES, Confidentiality
from catalog.models import Field
from common.errors import PermissionDenied
from matchmaking import rules
from matchmaking.compat import Flag
from matchmaking.models import PreDockingRun, Suggestion, SuggestionStatus


def run_list_for_user(user) -> QuerySet:
    if not rules.can_view_runs(user):
        raise PermissionDenied(_("Only bureau staff can see pre-docking runs."))
    return PreDockingRun.objects.select_related("started_by").order_by("-created_at")


def run_get_for_user(user, pk: int) -> PreDockingRun:
    try:
        return run_list_for_user(user).get(pk=pk)
    except PreDockingRun.DoesNotExist:
        raise Http404 from None


def _live(prefix: str) -> Q:
    restricted = Q(**{f"{prefix}__confidentiality": Confidentiality.RESTRICTED})
    return Q(**{f"{prefix}__status__in": LIVE_STATUSES}) & ~restricted


def suggestion_queryset_for_user(user) -> QuerySet:
    """Suggestions the user may see, current ones only (superseded ones stay for the record)."""
    roles = roles_for(user)
    qs = Suggestion.objects.select_related(
        "requirement__organisation", "achievement__organisation", "run"
    ).exclude(status=SuggestionStatus.SUPERSEDED)
    if roles.is_bureau:
        return qs
    if not roles.is_member:
        return qs.none()
    visible = _live("requirement") & _live("achievement")
    if roles.is_broker:
        return qs.filter(visible)
    mine = Q(requirement__organisation_id__in=roles.org_ids) | Q(achievement__organisation_id__in=roles.org_ids)
    return qs.filter(visible, mine, status=SuggestionStatus.APPROVED)


def suggestions_for_listing(user, listing) -> QuerySet:
    field = "requirement" if listing.KIND == "requirement" else "achievement"
    return suggestion_queryset_for_user(user).filter(**{field: listing}).order_by("-score", "pk")


def explanation_for(user, suggestion) -> dict:
    """The explanation in the viewer's language: quoted sentences, shared fields and flags."""
    data = suggestion.explanation or {}
    field_ids = data.get("shared_fields", [])
    fields = [str(f) for f in Field.objects.filter(pk__in=field_ids)] if field_ids else []
    reveal = rules.reveals_budget(user, suggestion)
    flags = []
    for raw in suggestion.flags:
        flag = Flag(code=raw["code"], blocking=raw["blocking"], params=raw.get("params", {}))
        flags.append({"code": flag.code, "blocking": flag.blocking,
                      "message": flag.message() if reveal or flag.code != "budget" else flag.message(redact=True)})
    return {
        "method": data.get("method", ""),
        "requirement_sentence": data.get("requirement_sentence", ""),
        "achievement_sentence": data.get("achievement_sentence", ""),
        "shared_terms": data.get("shared_terms", []),
        "shared_fields": fields,
        "flags": flags,
    }
