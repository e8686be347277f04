"""Reads of the catalog. Every listing a user can reach goes through these functions, which
apply the access rules of ``catalog.rules`` to querysets: a listing the user may not see is
never in a list and a detail lookup for it raises ``Http404``."""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.rules import Roles, roles_for
from catalog.enums import LIVE_STATUSES, Confidentiality, ListingKind, ListingStatus
from catalog.models import Achievement, ExpertEvaluation, Field, FieldCluster, Requirement
from catalog.search import query_tokens

MODELS: dict[str, type[Requirement] | type[Achievement]] = {
    ListingKind.REQUIREMENT: Requirement, ListingKind.ACHIEVEMENT: Achievement,
}


@dataclass
class ListingFilters:
    q: str = ""
    fields: list[str] = field(default_factory=list)  # field codes
    cluster: str = ""
    trl_min: int | None = None
    trl_max: int | None = None
    cooperation_mode: str = ""
    region: str = ""
    status: str = ""
    organisation: int | None = None
    language: str = ""
    mine: bool = False


def _visibility_q(model, roles: Roles) -> Q | None:
    """``None`` means everything is visible (bureau staff)."""
    if roles.is_bureau:
        return None
    live = Q(status__in=LIVE_STATUSES)
    if roles.is_member:
        shared = live & Q(confidentiality__in=[Confidentiality.PUBLIC, Confidentiality.MEMBERS])
    else:
        shared = live & Q(confidentiality=Confidentiality.PUBLIC)
    if not roles.authenticated:
        return shared
    visible = shared | Q(organisation_id__in=list(roles.org_ids))
    if roles.is_broker:
        visible |= Q(pk__in=model.assigned_brokers.through.objects.filter(user_id=roles.user_id).values(
            f"{model._meta.model_name}_id"))
    if model is Achievement and roles.is_expert:
        visible |= Q(pk__in=ExpertEvaluation.objects.filter(expert_id=roles.user_id).values("achievement_id"))
    return visible


def listing_queryset_for_user(*, kind: str, user) -> QuerySet:
    model = MODELS[kind]
    qs = model.objects.select_related("organisation").prefetch_related(
        Prefetch("fields", queryset=Field.objects.select_related("cluster"))
    )
    condition = _visibility_q(model, roles_for(user))
    return qs if condition is None else qs.filter(condition)


def listing_list_for_user(*, kind: str, user, filters: ListingFilters | None = None) -> QuerySet:
    filters = filters or ListingFilters()
    roles = roles_for(user)
    qs = listing_queryset_for_user(kind=kind, user=user)
    model = MODELS[kind]
    trl_field = "trl" if model is Achievement else "trl_min"
    if filters.mine:
        qs = qs.filter(organisation_id__in=list(roles.org_ids))
    if filters.status:
        qs = qs.filter(status=filters.status)
    elif not filters.mine:
        qs = qs.filter(status__in=LIVE_STATUSES)
    if filters.fields:
        qs = qs.filter(pk__in=model.fields.through.objects.filter(field__code__in=filters.fields).values(
            f"{model._meta.model_name}_id"))
    if filters.cluster:
        qs = qs.filter(pk__in=model.fields.through.objects.filter(field__cluster__code=filters.cluster).values(
            f"{model._meta.model_name}_id"))
    if filters.trl_min is not None:
        qs = qs.filter(**{f"{trl_field}__gte": filters.trl_min})
    if filters.trl_max is not None:
        qs = qs.filter(**{f"{trl_field}__lte": filters.trl_max})
    if filters.cooperation_mode:
        # JSON text match works on SQLite and PostgreSQL alike; the values are a closed enum.
        qs = qs.filter(cooperation_modes__icontains=f'"{filters.cooperation_mode}"')
    if filters.region:
        qs = qs.filter(region=filters.region)
    if filters.organisation:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.language:
        qs = qs.filter(language=filters.language)
    if filters.q.strip():
        return _search(qs, filters.q)
    return qs.order_by("-published_at", "-created_at", "-pk")


def _search(qs: QuerySet, query: str) -> QuerySet:
    words = query_tokens(query)
    if not words:
        return qs.none()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("search_text", config="simple")
        search = SearchQuery(" ".join(words), config="simple", search_type="plain")
        # Match with @@ (ts_rank is never 0, even for rows that do not match), rank the rest.
        return (
            qs.annotate(search_vector=vector, rank=SearchRank(vector, search))
            .filter(search_vector=search)
            .order_by("-rank", "-published_at", "-pk")
        )
    # Embedded SQLite: every token must occur as a whole token of the space-padded text.
    for word in words:
        qs = qs.filter(search_text__icontains=f" {word} ")
    return qs.order_by("-published_at", "-pk")


def listing_get_for_user(*, kind: str, pk: int, user):
    try:
        return listing_queryset_for_user(kind=kind, user=user).get(pk=pk)
    except (MODELS[kind].DoesNotExist, ValueError, TypeError):
        raise Http404("No such listing.") from None


def screening_queue(*, user, kind: str) -> QuerySet:
    """Listings waiting for the bureau: submitted (to screen) and screened (to publish/evaluate)."""
    if not roles_for(user).is_bureau:
        return MODELS[kind].objects.none()
    return (
        MODELS[kind].objects.filter(status__in=[ListingStatus.SUBMITTED, ListingStatus.SCREENED])
        .select_related("organisation")
        .prefetch_related("fields")
        .order_by("submitted_at", "pk")
    )


def evaluation_list_for_user(*, user) -> QuerySet:
    roles = roles_for(user)
    qs = ExpertEvaluation.objects.select_related("achievement", "achievement__organisation", "expert")
    if roles.is_bureau:
        return qs
    if not roles.authenticated:
        return qs.none()
    return qs.filter(expert_id=roles.user_id)


def evaluation_get_for_user(*, user, pk: int) -> ExpertEvaluation:
    try:
        return evaluation_list_for_user(user=user).get(pk=pk)
    except (ExpertEvaluation.DoesNotExist, ValueError, TypeError):
        raise Http404("No such evaluation.") from None


def taxonomy() -> QuerySet:
    return FieldCluster.objects.prefetch_related("fields").order_by("order", "code")

