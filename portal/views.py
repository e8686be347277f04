"""The portal's front page and each signed-in user's dashboard. Both only read, and only
through the apps' selectors, so nothing here can show a listing its reader may not see."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.enums import OrganisationStatus
from accounts.rules import Roles, roles_for
from accounts.selectors import organisation_list_for_user, organisations_pending, user_organisations
from catalog.enums import EvaluationStatus, ListingKind, ListingStatus
from catalog.selectors import (
    ListingFilters,
    evaluation_list_for_user,
    listing_list_for_user,
    listing_queryset_for_user,
    screening_queue,
)

HOME_LATEST = 6
DASHBOARD_ROWS = 10


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    requirements = listing_list_for_user(kind=ListingKind.REQUIREMENT, user=user)
    achievements = listing_list_for_user(kind=ListingKind.ACHIEVEMENT, user=user)
    return render(request, "portal/home.html", {
        "requirement_count": requirements.count(),
        "achievement_count": achievements.count(),
        "organisation_count": organisation_list_for_user(user=user).filter(
            status=OrganisationStatus.APPROVED).count(),
        "latest_requirements": list(requirements.prefetch_related(None)[:HOME_LATEST]),
        "latest_achievements": list(achievements.prefetch_related(None)[:HOME_LATEST]),
    })


def _status_counts(qs: QuerySet) -> list[dict]:
    """``[{"status", "label", "n"}]`` in the order of the status enum, one grouped query."""
    counts = dict(qs.prefetch_related(None).order_by().values_list("status").annotate(n=Count("pk")))
    return [{"status": value, "label": label, "n": counts[value]}
            for value, label in ListingStatus.choices if counts.get(value)]


def _own_listings(user, kind: str) -> dict:
    qs = listing_list_for_user(kind=kind, user=user, filters=ListingFilters(mine=True))
    return {
        "counts": _status_counts(qs),
        "recent": list(qs.prefetch_related(None).order_by("-updated_at", "-pk")[:DASHBOARD_ROWS]),
    }


def _assigned_listings(user, kind: str) -> list:
    # The visibility selector already lets an assigned broker see these; narrowing it to the
    # assignment keeps the dashboard to the broker's own work.
    qs = listing_queryset_for_user(kind=kind, user=user).filter(assigned_brokers=user.pk)
    return list(qs.prefetch_related(None).order_by("-updated_at", "-pk")[:DASHBOARD_ROWS])


def _bureau_section(user) -> dict:
    queues = {}
    for kind in (ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT):
        counts = {row["status"]: row["n"] for row in _status_counts(screening_queue(user=user, kind=kind))}
        queues[kind] = {"submitted": counts.get(ListingStatus.SUBMITTED, 0),
                        "screened": counts.get(ListingStatus.SCREENED, 0)}
    return {
        "pending_organisations": organisations_pending(user=user).count(),
        "requirements": queues[ListingKind.REQUIREMENT],
        "achievements": queues[ListingKind.ACHIEVEMENT],
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles: Roles = roles_for(user)
    context: dict = {"pending_organisations": None}
    if roles.requirement_org_ids:
        context["requirements"] = _own_listings(user, ListingKind.REQUIREMENT)
    if roles.achievement_org_ids:
        context["achievements"] = _own_listings(user, ListingKind.ACHIEVEMENT)
    if roles.is_bureau:
        context["bureau"] = _bureau_section(user)
    if roles.is_broker:
        context["broker"] = {
            "requirements": _assigned_listings(user, ListingKind.REQUIREMENT),
            "achievements": _assigned_listings(user, ListingKind.ACHIEVEMENT),
        }
    if roles.is_expert:
        evaluations = evaluation_list_for_user(user=user).filter(expert_id=user.pk,
                                                                 status=EvaluationStatus.ASSIGNED)
        context["expert"] = {"count": evaluations.count(),
                             "evaluations": list(evaluations.order_by("-created_at")[:DASHBOARD_ROWS])}
    if roles.is_investor:
        context["investor"] = {"achievements": list(listing_list_for_user(
            kind=ListingKind.ACHIEVEMENT, user=user, filters=ListingFilters(status=ListingStatus.PUBLISHED),
        ).prefetch_related(None)[:DASHBOARD_ROWS])}
    if roles.pending_org_ids:
        context["pending_organisations"] = list(
            user_organisations(user=user).filter(pk__in=roles.pending_org_ids).order_by("name_zh"))
    context["no_role"] = not roles.is_member and not roles.pending_org_ids
    return render(request, "portal/dashboard.html", context)
