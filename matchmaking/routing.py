"""Routing suggestions to brokers by field expertise and capacity.

A broker's capacity (``BrokerProfile.capacity``) is the number of suggestions awaiting their
review at once. Routing takes unassigned suggestions best score first and gives each to the
eligible broker with the most spare capacity (relative to their capacity), then the widest field
overlap. Eligible: an active broker of an approved organisation with a profile, an expertise
field shared with the pair, spare capacity, not a member of either party's organisation (no
conflict of interest), and, when a listing is confidential, one of the brokers the bureau
assigned to that listing. What cannot be routed waits, visible to bureau staff, and is routed
when capacity frees up (after each decision and every few minutes from beat).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.enums import OrganisationStatus, Role
from accounts.models import BrokerProfile, Membership, User
from catalog.enums import LIVE_STATUSES, Confidentiality
from catalog.models import Achievement, Requirement
from common.errors import ApplicationError, PermissionDenied
from matchmaking import rules
from matchmaking.lifecycle import _lock, _record, review_due
from matchmaking.models import Suggestion, SuggestionStatus


@dataclass
class BrokerSlot:
    user_id: int
    capacity: int
    load: int
    fields: frozenset[int]
    org_ids: frozenset[int]

    @property
    def spare(self) -> int:
        return self.capacity - self.load


@dataclass
class PairFacts:
    fields: set[int] = field(default_factory=set)
    org_ids: set[int] = field(default_factory=set)
    # None: anyone; a set: only these brokers (a confidential listing's assigned brokers)
    allowed: set[int] | None = None


def broker_slots() -> dict[int, BrokerSlot]:
    """Every broker who can take work, with their open load."""
    broker_orgs: dict[int, set[int]] = defaultdict(set)
    for user_id, org_id, status in Membership.objects.filter(user__is_active=True).values_list(
            "user_id", "organisation_id", "organisation__status"):
        if status == OrganisationStatus.APPROVED:
            broker_orgs[user_id].add(org_id)
    brokers = set(Membership.objects.filter(
        role=Role.BROKER, user__is_active=True, organisation__status=OrganisationStatus.APPROVED,
    ).values_list("user_id", flat=True))
    profiles = BrokerProfile.objects.filter(user_id__in=brokers, is_active=True).prefetch_related("fields")
    loads = dict(Suggestion.objects.filter(status=SuggestionStatus.SUGGESTED, broker__isnull=False)
                 .values("broker_id").annotate(n=Count("pk")).values_list("broker_id", "n"))
    return {p.user_id: BrokerSlot(user_id=p.user_id, capacity=p.capacity, load=loads.get(p.user_id, 0),
                                  fields=frozenset(f.pk for f in p.fields.all()),
                                  org_ids=frozenset(broker_orgs[p.user_id])) for p in profiles}


def _pair_facts(pairs: list[tuple[int, int]]) -> tuple[dict[int, PairFacts], dict[int, PairFacts]]:
    """Fields, owner organisation and allowed brokers of each listing in the pairs."""
    out = []
    for model, ids in ((Requirement, {r for r, _a in pairs}), (Achievement, {a for _r, a in pairs})):
        facts: dict[int, PairFacts] = {}
        for pk, org_id, conf in model.objects.filter(pk__in=ids).values_list("pk", "organisation_id",
                                                                             "confidentiality"):
            facts[pk] = PairFacts(org_ids={org_id}, allowed=set() if conf == Confidentiality.RESTRICTED else None)
        through = model.fields.through
        owner = f"{model._meta.model_name}_id"
        for pk, field_id in through.objects.filter(**{f"{owner}__in": ids}).values_list(owner, "field_id"):
            facts[pk].fields.add(field_id)
        assigned = model.assigned_brokers.through
        for pk, user_id in assigned.objects.filter(**{f"{owner}__in": ids}).values_list(owner, "user_id"):
            if facts[pk].allowed is not None:
                facts[pk].allowed.add(user_id)
        out.append(facts)
    return out[0], out[1]


def _eligible(slot: BrokerSlot, req: PairFacts, ach: PairFacts, *, need_field: bool = True) -> bool:
    if slot.org_ids & (req.org_ids | ach.org_ids):
        return False
    for facts in (req, ach):
        if facts.allowed is not None and slot.user_id not in facts.allowed:
            return False
    return not need_field or bool(slot.fields & (req.fields | ach.fields))


@transaction.atomic
def suggestions_route(*, run_id: int | None = None, limit: int = 20000) -> dict:
    """Give unassigned suggestions (best first) to brokers, balanced and within capacity.
    Returns {"routed", "waiting", "by_broker"}. Concurrent calls are serialised by locking the
    broker profiles, so capacity is never exceeded by two routers at once."""
    list(BrokerProfile.objects.select_for_update().filter(is_active=True).values_list("pk", flat=True))
    slots = broker_slots()
    pending = Suggestion.objects.filter(status=SuggestionStatus.SUGGESTED, broker__isnull=True,
                                        requirement__status__in=LIVE_STATUSES,
                                        achievement__status__in=LIVE_STATUSES)
    if run_id is not None:
        pending = pending.filter(run_id=run_id)
    rows = list(pending.order_by("-score", "pk").values_list("pk", "requirement_id", "achievement_id")[:limit])
    if not rows or not slots:
        return {"routed": 0, "waiting": len(rows), "by_broker": {}}
    req_facts, ach_facts = _pair_facts([(r, a) for _pk, r, a in rows])
    now = timezone.now()
    assigned: dict[int, int] = {}
    for pk, r, a in rows:
        req, ach = req_facts.get(r), ach_facts.get(a)
        if req is None or ach is None:
            continue
        best = None
        for slot in slots.values():
            if slot.spare <= 0 or not _eligible(slot, req, ach):
                continue
            key = (slot.load / slot.capacity, -len(slot.fields & (req.fields | ach.fields)), slot.user_id)
            if best is None or key < best[0]:
                best = (key, slot)
        if best is not None:
            best[1].load += 1
            assigned[pk] = best[1].user_id
    by_broker: dict[int, list[int]] = defaultdict(list)
    for pk, user_id in assigned.items():
        by_broker[user_id].append(pk)
    due = review_due(now)
    for user_id, ids in by_broker.items():
        # Only rows still unassigned and undecided: a concurrent decision or manual assignment wins.
        Suggestion.objects.filter(pk__in=ids, broker__isnull=True, status=SuggestionStatus.SUGGESTED).update(
            broker_id=user_id, assigned_at=now, due_at=due, updated_at=now)
    _notify_brokers({user_id: len(ids) for user_id, ids in by_broker.items()})
    return {"routed": len(assigned), "waiting": len(rows) - len(assigned),
            "by_broker": {user_id: len(ids) for user_id, ids in by_broker.items()}}


def _notify_brokers(counts: dict[int, int]) -> None:
    from django.urls import reverse

    from accounts.services import notify

    url = reverse("matchmaking:review-queue")
    for user in User.objects.filter(pk__in=counts):
        n = counts[user.pk]
        notify(users=[user], kind="review_assigned", url=url, email=False, message=lambda n=n: (
            _("%(n)d new suggestions to review") % {"n": n},
            _("They are in your review queue, best first.")))


def broker_candidates(suggestion: Suggestion) -> list[dict]:
    """Brokers bureau staff may assign a pair to, with their load and shared fields (best first)."""
    req_facts, ach_facts = _pair_facts([(suggestion.requirement_id, suggestion.achievement_id)])
    req, ach = req_facts[suggestion.requirement_id], ach_facts[suggestion.achievement_id]
    slots = broker_slots()
    users = {u.pk: u for u in User.objects.filter(pk__in=slots)}
    out = []
    for slot in slots.values():
        if not _eligible(slot, req, ach, need_field=False):
            continue
        out.append({"user": users[slot.user_id], "load": slot.load, "capacity": slot.capacity,
                    "shared_fields": len(slot.fields & (req.fields | ach.fields))})
    return sorted(out, key=lambda c: (-c["shared_fields"], c["load"] / c["capacity"], c["user"].pk))


@transaction.atomic
def suggestion_assign(*, actor: User, suggestion: Suggestion, broker: User | None) -> Suggestion:
    """Bureau staff (re)assign a pair awaiting review to a broker, or take it back (None) for
    routing. The broker must be free of conflicts of interest and within capacity; expertise is
    the bureau's call."""
    if not rules.can_route_suggestions(actor):
        raise PermissionDenied(_("Only bureau staff can assign suggestions to brokers."))
    suggestion = _lock(suggestion)
    if suggestion.status != SuggestionStatus.SUGGESTED:
        raise ApplicationError(_("Only a suggestion awaiting review can be reassigned (this one: %(status)s).")
                               % {"status": suggestion.get_status_display()}, code="already_decided", status=409)
    previous = suggestion.broker_id
    now = timezone.now()
    if broker is None:
        suggestion.broker, suggestion.assigned_at, suggestion.due_at = None, None, None
    else:
        slot = broker_slots().get(broker.pk)
        if slot is None:
            raise ApplicationError(_("%(name)s is not an active broker.") % {"name": broker}, code="not_broker")
        req_facts, ach_facts = _pair_facts([(suggestion.requirement_id, suggestion.achievement_id)])
        if not _eligible(slot, req_facts[suggestion.requirement_id], ach_facts[suggestion.achievement_id],
                         need_field=False):
            raise ApplicationError(
                _("%(name)s cannot review this pair: a conflict of interest, or a confidential listing the "
                  "broker is not assigned to.") % {"name": broker}, code="broker_conflict")
        if broker.pk != previous and slot.spare <= 0:
            raise ApplicationError(_("%(name)s is at capacity (%(load)d of %(capacity)d open reviews).")
                                   % {"name": broker, "load": slot.load, "capacity": slot.capacity},
                                   code="broker_full")
        suggestion.broker, suggestion.assigned_at, suggestion.due_at = broker, now, review_due(now)
    _record(suggestion, action="assigned", actor=actor, data={"from": previous, "to": getattr(broker, "pk", None)},
            extra_fields=["broker", "assigned_at", "due_at"])
    return suggestion


def overdue_reviews():
    return Suggestion.objects.filter(status=SuggestionStatus.SUGGESTED, due_at__lt=timezone.now())


def broker_loads() -> list[dict]:
    """For the bureau's routing page: each broker's capacity, open and overdue reviews."""
    slots = broker_slots()
    overdue = dict(overdue_reviews().values("broker_id").annotate(n=Count("pk")).values_list("broker_id", "n"))
    users = {u.pk: u for u in User.objects.filter(pk__in=slots)}
    rows = [{"user": users[s.user_id], "capacity": s.capacity, "load": s.load, "overdue": overdue.get(s.user_id, 0),
             "fields": len(s.fields)} for s in slots.values()]
    return sorted(rows, key=lambda r: (-r["load"] / r["capacity"], r["user"].pk))

