"""Reads of the matching engine, filtered by ``matchmaking.rules``."""

from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.rules import roles_for
from catalog.enums import LIVE_STATUSES, Confidentiality
from catalog.models import Field
from catalog.rules import Access
from common.errors import PermissionDenied
from matchmaking import rules
from matchmaking.compat import Flag
from matchmaking.models import PARTY_STATUSES, Meeting, Message, PairEvent, PreDockingRun, Suggestion, SuggestionStatus


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
    """Suggestions the user may see (``rules.can_view_suggestion`` as a query), current ones only
    (superseded ones stay for the record): bureau staff all; a broker those routed to them; a
    party those sent to its organisation whose other listing it may read (or was disclosed to it)."""
    roles = roles_for(user)
    qs = Suggestion.objects.select_related(
        "requirement__organisation", "achievement__organisation", "run", "broker"
    ).exclude(status=SuggestionStatus.SUPERSEDED)
    if roles.is_bureau:
        return qs
    if not roles.is_member:
        return qs.none()
    visible = Q(pk__in=[])
    if roles.is_broker:
        visible |= Q(broker_id=roles.user_id)
    req_orgs, ach_orgs = roles.requirement_org_ids, roles.achievement_org_ids
    if req_orgs or ach_orgs:
        as_enterprise = Q(requirement__organisation_id__in=req_orgs) & (
            _live("achievement") | Q(achievement_disclosed_at__isnull=False)
            | Q(achievement__organisation_id__in=ach_orgs))
        as_university = Q(achievement__organisation_id__in=ach_orgs) & (
            _live("requirement") | Q(requirement_disclosed_at__isnull=False)
            | Q(requirement__organisation_id__in=req_orgs))
        visible |= Q(status__in=PARTY_STATUSES) & (as_enterprise | as_university)
    return qs.filter(visible)


def suggestion_get_for_user(user, pk: int) -> Suggestion:
    try:
        return suggestion_queryset_for_user(user).get(pk=pk)
    except Suggestion.DoesNotExist:
        raise Http404 from None


# Unrouted pairs have no assignment or due date: last on every database (SQLite would put
# NULLs first, PostgreSQL last).
REVIEW_SORTS = {
    "score": ("-score", F("assigned_at").asc(nulls_last=True), "pk"),
    "age": (F("assigned_at").asc(nulls_last=True), "-score", "pk"),
    "due": (F("due_at").asc(nulls_last=True), "-score", "pk"),
}


def review_queue_for_user(user, *, field_id: int | None = None, run_id: int | None = None,
                          broker_id: int | None = None, unassigned: bool = False, overdue: bool = False,
                          sort: str = "score") -> QuerySet:
    """Pairs awaiting review: a broker's own, or (bureau staff) everyone's, filterable by broker
    or unassigned. Filters: a field of either listing, a run (an event's pre-docking is a run),
    overdue only. Sorted by score (default), age or due date."""
    roles = roles_for(user)
    if not (roles.is_bureau or roles.is_broker):
        raise PermissionDenied(_("The review queue is for brokers and bureau staff."))
    qs = Suggestion.objects.filter(status=SuggestionStatus.SUGGESTED).select_related(
        "requirement__organisation", "achievement__organisation", "run", "broker")
    if not roles.is_bureau:
        qs = qs.filter(broker_id=roles.user_id)
    elif unassigned:
        qs = qs.filter(broker__isnull=True)
    elif broker_id:
        qs = qs.filter(broker_id=broker_id)
    if field_id:
        qs = qs.filter(Q(requirement__fields=field_id) | Q(achievement__fields=field_id)).distinct()
    if run_id:
        qs = qs.filter(run_id=run_id)
    if overdue:
        qs = qs.filter(due_at__lt=timezone.now())
    return qs.order_by(*REVIEW_SORTS.get(sort, REVIEW_SORTS["score"]))


def inbox_for_user(user, *, awaiting_first: bool = False) -> QuerySet:
    """The pairs sent to the user's organisations (as a party), newest first; with
    ``awaiting_first``, those still waiting for an answer from the user's side come first
    (annotated ``awaiting``)."""
    roles = roles_for(user)
    mine = Q(requirement__organisation_id__in=roles.requirement_org_ids) | Q(
        achievement__organisation_id__in=roles.achievement_org_ids)
    qs = suggestion_queryset_for_user(user).filter(mine, status__in=PARTY_STATUSES).prefetch_related("answers")
    if not awaiting_first:
        return qs.order_by("-sent_at", "-pk")
    from matchmaking.models import PartyAnswer, Side

    def unanswered(side: str) -> Exists:
        return ~Exists(PartyAnswer.objects.filter(suggestion=OuterRef("pk"), side=side))

    pending = (Q(requirement__organisation_id__in=roles.requirement_org_ids) & unanswered(Side.REQUIREMENT)) | (
        Q(achievement__organisation_id__in=roles.achievement_org_ids) & unanswered(Side.ACHIEVEMENT))
    awaiting = Case(When(Q(status=SuggestionStatus.SENT) & pending, then=Value(True)), default=Value(False),
                    output_field=BooleanField())
    return qs.annotate(awaiting=awaiting).order_by("-awaiting", "-sent_at", "-pk")


# Routing is the bureau's and the brokers' business: the parties' timeline leaves it out.
INTERNAL_ACTIONS = frozenset({"assigned"})


def pair_events(suggestion) -> QuerySet:
    return PairEvent.objects.filter(suggestion=suggestion).select_related("actor").order_by("seq")


def pair_events_for_user(*, user, suggestion) -> QuerySet:
    """The pair's timeline as this user may read it (portal and API alike)."""
    events = pair_events(suggestion)
    if not rules.sees_unreviewed_suggestions(user):
        events = events.exclude(action__in=INTERNAL_ACTIONS)
    return events


def pair_messages(suggestion) -> QuerySet:
    return Message.objects.filter(suggestion=suggestion).select_related("author").order_by("created_at", "pk")


def pair_meetings(suggestion) -> QuerySet:
    return Meeting.objects.filter(suggestion=suggestion).select_related("requested_by").order_by("-starts_at")


def listing_view_for_pair(user, suggestion, side: str) -> dict:
    """One side's listing as this pair's reader may see it: the fields of their access level,
    plus budget / asking price when they read that side's confidential fields."""
    from catalog.rules import fields_for, listing_access

    listing = suggestion.listing(side)
    roles = roles_for(user)
    access = max(listing_access(user, listing), Access.MEMBER if rules.can_view_suggestion(user, suggestion)
                 else Access.NONE)
    visible = set(fields_for(access, roles))
    if rules.sees_confidential(user, suggestion, side):
        visible |= {"budget_min", "budget_max"}
    return {"listing": listing, "fields": visible, "disclosed": suggestion.disclosed_at(side) is not None}


def suggestions_for_listing(user, listing) -> QuerySet:
    field = "requirement" if listing.KIND == "requirement" else "achievement"
    return suggestion_queryset_for_user(user).filter(**{field: listing}).order_by("-score", "pk")


def score_components_for(user, suggestion) -> dict:
    """The structured components the reader may see. The budget component is the ratio of the
    two budgets: with one's own budget it gives away the other side's, so only a reader of both
    budgets gets it (as in the API)."""
    components = dict(suggestion.components or {})
    if "budget" in components and not rules.reveals_budget(user, suggestion):
        components.pop("budget")
    return components


def routing_overview_for_user(user) -> dict:
    """The bureau's routing page: each broker's load, the pairs no broker has yet and the
    overdue reviews (oldest due first)."""
    from matchmaking.routing import broker_loads, overdue_reviews

    if not rules.can_route_suggestions(user):
        raise PermissionDenied(_("Only bureau staff can route suggestions to brokers."))
    unassigned = Suggestion.objects.filter(status=SuggestionStatus.SUGGESTED, broker__isnull=True)
    overdue = overdue_reviews().select_related(
        "requirement__organisation", "achievement__organisation", "broker").order_by("due_at", "pk")
    return {"loads": broker_loads(), "unassigned": unassigned.count(), "overdue": overdue}


def explanation_for(user, suggestion) -> dict:
    """The explanation in the viewer's language: quoted sentences, shared fields and flags."""
    return explanations_for(user, [suggestion])[suggestion.pk]


def explanations_for(user, suggestions, *, reveal=None) -> dict[int, dict]:
    """``explanation_for`` of a page of suggestions, keyed by id, with the names of their shared
    fields read in one query. ``reveal(suggestion)`` may stand in for ``rules.reveals_budget``
    when the caller has read the listings' access in bulk (the API's ``prime_listing_access``)."""
    suggestions = list(suggestions)
    wanted = {pk for s in suggestions for pk in (s.explanation or {}).get("shared_fields", [])}
    ordered = list(Field.objects.filter(pk__in=wanted)) if wanted else []
    out = {}
    for suggestion in suggestions:
        data = suggestion.explanation or {}
        field_ids = set(data.get("shared_fields", []))
        show = reveal(suggestion) if reveal is not None else rules.reveals_budget(user, suggestion)
        flags = []
        for raw in suggestion.flags:
            flag = Flag(code=raw["code"], blocking=raw["blocking"], params=raw.get("params", {}))
            flags.append({"code": flag.code, "blocking": flag.blocking,
                          "message": flag.message() if show or flag.code != "budget" else flag.message(redact=True)})
        out[suggestion.pk] = {
            "method": data.get("method", ""),
            "requirement_sentence": data.get("requirement_sentence", ""),
            "achievement_sentence": data.get("achievement_sentence", ""),
            "shared_terms": data.get("shared_terms", []),
            "shared_fields": [str(f) for f in ordered if f.pk in field_ids],
            "flags": flags,
        }
    return out


def agreement_list_for_user(user) -> QuerySet:
    """Agreements: bureau staff all; a broker those of pairs they followed; a party its own."""
    from matchmaking.models import Agreement

    roles = roles_for(user)
    qs = Agreement.objects.select_related("suggestion__requirement", "suggestion__achievement",
                                          "requirement_organisation", "achievement_organisation", "broker")
    if roles.is_bureau:
        return qs
    if not roles.is_member:
        return qs.none()
    mine = Q(requirement_organisation_id__in=roles.requirement_org_ids) | Q(
        achievement_organisation_id__in=roles.achievement_org_ids)
    if roles.is_broker:
        mine |= Q(suggestion__broker_id=roles.user_id)
    return qs.filter(mine)


def meeting_get_for_user(user, pk: int) -> Meeting:
    """A meeting of a pair the user may see (404 otherwise)."""
    meeting = Meeting.objects.select_related("suggestion").filter(pk=pk).first()
    if meeting is None or not suggestion_queryset_for_user(user).filter(pk=meeting.suggestion_id).exists():
        raise Http404
    return meeting


def notifications_for_user(user) -> QuerySet:
    from accounts.models import Notification

    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def message_get_for_user(user, pk: int) -> Message:
    """A message of a pair's thread that the user may read: a participant of a pair they see
    (404 otherwise, as for a message that does not exist)."""
    message = Message.objects.select_related("suggestion").filter(pk=pk).first()
    if message is None or not suggestion_queryset_for_user(user).filter(pk=message.suggestion_id).exists():
        raise Http404
    if not rules.is_participant(user, message.suggestion):
        raise Http404
    return message


def _require_reports(user) -> None:
    if not roles_for(user).is_bureau:
        raise PermissionDenied(_("Only bureau staff can read the outcome reports."))


def funnel_for_user(user, *, group_by: str | None = None, run_id: int | None = None, field_id: int | None = None,
                    broker_id: int | None = None, since=None, until=None) -> list:
    """``reports.funnel`` for bureau staff (403 for anyone else)."""
    from matchmaking.reports import funnel

    _require_reports(user)
    return funnel(group_by=group_by, run_id=run_id, field_id=field_id, broker_id=broker_id, since=since,
                  until=until)


def broker_league_for_user(user, *, since=None, until=None) -> list[dict]:
    """``reports.broker_league`` for bureau staff (403 for anyone else)."""
    from matchmaking.reports import broker_league

    _require_reports(user)
    return broker_league(since=since, until=until)
