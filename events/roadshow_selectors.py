"""Reads of roadshows (路演): the programme of an event's roadshow sessions, the recommendations
an investor reads, and the interest a presentation received. Writes: ``events.roadshows``.

Who sees what:
- The programme (sessions, presentations, times, presenters) is public for a published event.
  A presentation is listed only while its achievement is live and not restricted ("presentable")
  and the reader may read the achievement (``catalog.rules.listing_access`` ≥ SUMMARY: a
  members-only achievement is not listed to anonymous visitors); only summary-level fields are
  shown. Bureau staff managing a session also see presentations that stopped being presentable
  (withdrawn, made confidential), flagged, so that they can remove them.
- An investor (a member of an investor organisation actively registered at the event) reads its
  own matches and its own interest, never another investor's.
- The interest a presentation received, and the investors matched to it, are read by bureau
  staff and by the achievement's organisation (``can_view_interest``).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.enums import OrganisationKind
from accounts.rules import roles_for
from catalog.enums import LIVE_STATUSES, Confidentiality
from catalog.models import Achievement
from catalog.rules import Access, listing_access
from events import rules
from events.enums import InterestLevel, InvestmentStage, RegistrationStatus, SessionKind
from events.models import (
    Event,
    EventListing,
    InvestorInterest,
    InvestorProfile,
    Registration,
    RoadshowEntry,
    Session,
)

PRESENTABLE = Q(achievement__status__in=LIVE_STATUSES) & ~Q(achievement__confidentiality=Confidentiality.RESTRICTED)
# The order interest is listed in: the strongest first.
LEVEL_ORDER = [InterestLevel.DUE_DILIGENCE, InterestLevel.MEETING, InterestLevel.FOLLOW, InterestLevel.DECLINED]


# --- predicates ---------------------------------------------------------------------------------

def is_presentable(achievement: Achievement) -> bool:
    """Live and not restricted: may be shown in a public roadshow."""
    return achievement.status in LIVE_STATUSES and achievement.confidentiality != Confidentiality.RESTRICTED


def can_manage_roadshows(user, event: Event) -> bool:
    return rules.can_manage_events(user)


def can_view_interest(user, achievement: Achievement) -> bool:
    """Bureau staff, and those who speak for the achievement's organisation."""
    return roles_for(user).is_bureau or rules.acts_for(user, achievement.organisation)


# --- investors ----------------------------------------------------------------------------------

def investor_registrations(*, user, event: Event, active_only: bool = True) -> list[Registration]:
    """The investor organisations' registrations at the event that the user speaks for."""
    roles = roles_for(user)
    if not roles.authenticated:
        return []
    regs = (Registration.objects.filter(event=event, organisation_id__in=list(roles.org_ids),
                                        organisation__kind=OrganisationKind.INVESTOR)
            .select_related("organisation").order_by("pk"))
    if active_only:
        regs = regs.filter(status=RegistrationStatus.REGISTERED)
    return [reg for reg in regs if rules.is_investor_for(user, reg)]


def investor_registration_for(*, user, event: Event) -> Registration | None:
    """The user's active investor registration at the event (the first, for someone who speaks
    for several investor organisations)."""
    regs = investor_registrations(user=user, event=event)
    return regs[0] if regs else None


def investor_profile_for(*, registration: Registration) -> InvestorProfile | None:
    return InvestorProfile.objects.filter(registration=registration).prefetch_related("fields").first()


# --- the programme ------------------------------------------------------------------------------

def _entries_queryset():
    return (RoadshowEntry.objects.select_related("achievement__organisation")
            .prefetch_related("achievement__fields").order_by("order", "pk"))


def roadshow_sessions(*, user, event: Event, session_id: int | None = None,
                      include_hidden: bool = False) -> list[Session]:
    """The event's roadshow sessions in time order, each with ``entries``: the presentations the
    user may see, each carrying ``starts_at`` / ``ends_at`` (the session's start plus the minutes
    of the presentations before it), ``presentable`` and ``access``. Also ``minutes_total``,
    ``minutes_used`` and ``minutes_left`` on each session. ``include_hidden`` (bureau staff only)
    keeps presentations that are no longer presentable. A constant number of queries."""
    roles = roles_for(user)
    include_hidden = include_hidden and roles.is_bureau
    sessions = Session.objects.filter(event=event, kind=SessionKind.ROADSHOW).prefetch_related(
        Prefetch("roadshow_entries", queryset=_entries_queryset())).order_by("starts_at", "pk")
    if session_id is not None:
        sessions = sessions.filter(pk=session_id)
    out = list(sessions)
    for session in out:
        clock, used, shown = session.starts_at, 0, []
        for entry in session.roadshow_entries.all():
            entry.starts_at, entry.ends_at = clock, clock + timedelta(minutes=entry.minutes)
            clock, used = entry.ends_at, used + entry.minutes
            entry.presentable = is_presentable(entry.achievement)
            # Assignment never matters here: presentable achievements are readable without it,
            # and a restricted one is not listed whoever is assigned to it.
            entry.access = listing_access(user, entry.achievement, assigned=False)
            if (entry.presentable and entry.access >= Access.SUMMARY) or include_hidden:
                shown.append(entry)
        session.entries = shown
        session.minutes_total = int((session.ends_at - session.starts_at).total_seconds() // 60)
        session.minutes_used = used
        session.minutes_left = session.minutes_total - used
    return out


def roadshow_session_get(*, user, event: Event, pk: int, include_hidden: bool = False) -> Session | None:
    found = roadshow_sessions(user=user, event=event, session_id=pk, include_hidden=include_hidden)
    return found[0] if found else None


def roadshow_entry_get_for_user(*, user, event: Event, pk: int) -> RoadshowEntry | None:
    """One presentation of the event, or None when the user may not see it: bureau staff and the
    achievement's organisation always, anyone else while it is presentable and readable."""
    entry = (_entries_queryset().select_related("session", "session__event")
             .filter(pk=pk, session__event=event, session__kind=SessionKind.ROADSHOW).first())
    if entry is None:
        return None
    entry.presentable = is_presentable(entry.achievement)
    entry.access = listing_access(user, entry.achievement, assigned=False)
    if entry.access == Access.FULL or (entry.presentable and entry.access >= Access.SUMMARY):
        return entry
    return None


def roadshow_achievement_candidates(*, event: Event) -> list[Achievement]:
    """Achievements entered into the event (by active registrations) that bureau staff may add
    to a roadshow: presentable, not yet presented in any of the event's roadshow sessions."""
    presented = RoadshowEntry.objects.filter(session__event=event).values("achievement_id")
    entered = EventListing.objects.filter(event=event, achievement__isnull=False,
                                          registration__status=RegistrationStatus.REGISTERED)
    return list(Achievement.objects.filter(pk__in=entered.values("achievement_id"), status__in=LIVE_STATUSES)
                .exclude(confidentiality=Confidentiality.RESTRICTED).exclude(pk__in=presented)
                .select_related("organisation").order_by("pk"))


# --- interest -----------------------------------------------------------------------------------

def own_interest_by_entry(*, registration: Registration | None, entry_ids) -> dict[int, InvestorInterest]:
    """The registration's own interest in these presentations, by entry id."""
    if registration is None:
        return {}
    rows = InvestorInterest.objects.filter(registration=registration, entry_id__in=list(entry_ids))
    return {row.entry_id: row for row in rows}


def _level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def entry_interest(*, entry: RoadshowEntry) -> list[InvestorInterest]:
    """Every investor's interest in one presentation, the strongest first (callers check
    ``can_view_interest``). Interest of withdrawn registrations is kept and marked by the status."""
    rows = list(InvestorInterest.objects.filter(entry=entry)
                .select_related("registration__organisation", "recorded_by"))
    return sorted(rows, key=lambda row: (_level_rank(row.level), -row.updated_at.timestamp(), row.pk))


def interest_received(*, user, event: Event) -> list[RoadshowEntry]:
    """The presentations of the event whose interest the user reads (bureau staff: all; an
    achievement's organisation: its own), each with ``interest`` (as ``entry_interest``)."""
    roles = roles_for(user)
    entries = (_entries_queryset().select_related("session")
               .filter(session__event=event, session__kind=SessionKind.ROADSHOW)
               .prefetch_related(Prefetch("interests", queryset=InvestorInterest.objects.select_related(
                   "registration__organisation", "recorded_by")))
               .order_by("session__starts_at", "session_id", "order", "pk"))
    if not roles.is_bureau:
        entries = entries.filter(achievement__organisation_id__in=list(roles.org_ids))
    out = []
    for entry in entries:
        if not can_view_interest(user, entry.achievement):
            continue
        entry.interest = sorted(entry.interests.all(),
                                key=lambda row: (_level_rank(row.level), -row.updated_at.timestamp(), row.pk))
        out.append(entry)
    return out


def interest_counts(*, event: Event) -> list[RoadshowEntry]:
    """Bureau staff's board: every presentation of the event with ``counts`` (per level, from
    active registrations) and ``total``."""
    active = Q(interests__registration__status=RegistrationStatus.REGISTERED)
    annotations = {f"n_{level}": Count("interests", filter=active & Q(interests__level=level))
                   for level in InterestLevel.values}
    entries = list(_entries_queryset().select_related("session")
                   .filter(session__event=event, session__kind=SessionKind.ROADSHOW)
                   .annotate(**annotations).order_by("session__starts_at", "session_id", "order", "pk"))
    for entry in entries:
        entry.presentable = is_presentable(entry.achievement)
        entry.counts = [{"level": level, "label": InterestLevel(level).label, "n": getattr(entry, f"n_{level}")}
                        for level in LEVEL_ORDER]
        entry.total = sum(item["n"] for item in entry.counts)
    return entries


# --- matching investors and achievements ------------------------------------------------------
# How an achievement suits an investor: ``investor_matches``' docstring.

WEIGHTS = {"fields": 0.50, "stage": 0.25, "ticket": 0.15, "focus": 0.10}
NEUTRAL = 0.5
FOCUS_SATURATION = 2
TRL_STAGES = {
    **dict.fromkeys((1, 2, 3), (InvestmentStage.ANGEL, InvestmentStage.SEED)),
    **dict.fromkeys((4, 5, 6), (InvestmentStage.SEED, InvestmentStage.SERIES_A)),
    **dict.fromkeys((7, 8, 9), (InvestmentStage.SERIES_A, InvestmentStage.SERIES_B, InvestmentStage.GROWTH)),
}


@dataclass(frozen=True)
class Reason:
    code: str  # shared_field, shared_cluster, no_shared_field, stage_fit, stage_mismatch, ticket_fit, focus
    message: str  # in the reader's language


@dataclass
class Match:
    """One achievement for one investor (``investor_matches``) or one investor for one
    presentation (``entry_investors``)."""

    achievement: Achievement
    score: float
    components: dict[str, float]
    reasons: list[Reason]
    entry: RoadshowEntry | None = None  # None: entered into the event, not in a roadshow
    registration: Registration | None = None  # entry_investors: the investor
    interest: InvestorInterest | None = None  # the investor's interest in the entry, if any


@dataclass(frozen=True)
class _Investor:
    field_ids: frozenset[int]
    cluster_ids: frozenset[int]
    stages: frozenset[str]
    ticket_min: int | None
    ticket_max: int | None
    focus: str


def _investor(profile: InvestorProfile | None) -> _Investor:
    if profile is None:
        return _Investor(frozenset(), frozenset(), frozenset(), None, None, "")
    fields = list(profile.fields.all())
    return _Investor(frozenset(f.pk for f in fields), frozenset(f.cluster_id for f in fields),
                     frozenset(s for s in (profile.stages or []) if s in InvestmentStage.values), profile.ticket_min,
                     profile.ticket_max, profile.focus or "")


def stages_for_trl(trl: int | None) -> tuple[str, ...]:
    return TRL_STAGES.get(trl or 0, ())


def _stage_labels(stages) -> str:
    order = {value: i for i, value in enumerate(InvestmentStage.values)}
    return pgettext("list separator", ", ").join(str(InvestmentStage(s).label) for s in sorted(stages, key=order.get))


def _score(investor: _Investor, achievement: Achievement, *, audience: str) -> tuple[float, dict, list[Reason]]:
    """``audience`` "investor" (your …) or "owner" (the investor's …): the same facts, addressed
    to the one who reads them. Neither ever contains a budget or ticket figure."""
    reasons: list[Reason] = []
    ach_fields = list(achievement.fields.all())
    shared = sorted((f for f in ach_fields if f.pk in investor.field_ids), key=lambda f: f.pk)
    if not investor.field_ids or not ach_fields:
        fields = NEUTRAL
    elif shared:
        fields = 1.0
        reasons.append(Reason("shared_field", _("Shared field: %(fields)s") % {
            "fields": pgettext("list separator", ", ").join(f.name for f in shared)}))
    elif investor.cluster_ids & {f.cluster_id for f in ach_fields}:
        fields = 0.5
        reasons.append(Reason("shared_cluster", _("A neighbouring field of the same group")))
    else:
        fields = 0.0
        reasons.append(Reason("no_shared_field", _("Outside the fields you invest in") if audience == "investor"
                              else _("Outside the fields this investor invests in")))

    ready = stages_for_trl(achievement.trl)
    if not investor.stages or not ready:
        stage = NEUTRAL
    elif investor.stages & set(ready):
        stage = 1.0
        params = {"trl": achievement.trl, "stages": _stage_labels(investor.stages & set(ready))}
        reasons.append(Reason("stage_fit", (_("TRL %(trl)s fits your stages: %(stages)s") if audience == "investor"
                                            else _("TRL %(trl)s fits the investor's stages: %(stages)s")) % params))
    else:
        stage = 0.0
        params = {"trl": achievement.trl, "stages": _stage_labels(ready)}
        reasons.append(Reason("stage_mismatch", _("TRL %(trl)s suits other stages: %(stages)s") % params))

    asking = (achievement.budget_min, achievement.budget_max)
    ticket_given = investor.ticket_min is not None or investor.ticket_max is not None
    if not ticket_given or asking == (None, None):
        ticket = NEUTRAL
    else:
        low = max(investor.ticket_min or 0, achievement.budget_min or 0)
        high = min(x for x in (investor.ticket_max, achievement.budget_max, 10**9) if x is not None)
        ticket = 1.0 if low <= high else 0.0
        if ticket:
            reasons.append(Reason("ticket_fit", _("Asking price within your ticket range") if audience == "investor"
                                  else _("Asking price within the investor's ticket range")))

    focus_text = investor.focus.casefold()
    keywords = [k for k in (achievement.keywords or []) if isinstance(k, str) and k.strip()]
    found = [k for k in keywords if k.strip().casefold() in focus_text] if focus_text else []
    focus = min(1.0, len(found) / FOCUS_SATURATION)
    if found:
        reasons.append(Reason("focus", (_("Your focus mentions: %(keywords)s") if audience == "investor"
                                        else _("The investor's focus mentions: %(keywords)s"))
                              % {"keywords": pgettext("list separator", ", ").join(found)}))

    components = {"fields": fields, "stage": stage, "ticket": ticket, "focus": focus}
    score = round(sum(WEIGHTS[name] * value for name, value in components.items()), 4)
    return score, components, reasons


def investor_matches(*, registration: Registration, limit: int = 20) -> list[Match]:
    """The event's presentations ranked for one investor registration, then, secondarily,
    achievements entered into the event but not presented, ranked the same way. Only
    presentable achievements; a withdrawn registration has none. Each match carries the
    registration's own interest in the presentation.

    The score is a weighted sum of four components, each in 0..1 (``WEIGHTS``, summing to 1),
    rounded to 4 decimals; each component that says something adds a reason:

    - fields 0.50: 1 if the investor's fields and the achievement's share a field, 0.5 if they
      share only a field cluster, else 0. An investor without fields (any field): 0.5.
    - stage 0.25: the achievement's TRL gives the stages it is ready for (``TRL_STAGES``: TRL
      1–3 angel, seed; 4–6 seed, series A; 7–9 series A, series B and later, growth); 1 if the
      investor invests at one of them, else 0. No stages (any) or no TRL: 0.5.
    - ticket 0.15: the investor's ticket range (10k CNY, either end open) against the
      achievement's asking price range (budget_min..budget_max): 1 if they overlap, else 0;
      0.5 when either side gave no figures. The price is confidential (FULL access only): the
      only reason shown is "asking price within your ticket range", never a figure. (That is
      still one bit per profile: an investor editing its range again and again could narrow
      the price down; the profile is only open to registered investors.)
    - focus 0.10: the share of the achievement's keywords found in the investor's focus text,
      two or more found giving 1; nothing to compare gives 0.

    Deterministic: ties are broken by the presentation's id (for entered achievements outside
    a roadshow, the achievement's id)."""
    if registration.status != RegistrationStatus.REGISTERED:
        return []
    investor = _investor(investor_profile_for(registration=registration))
    event = registration.event
    entries = (_entries_queryset().select_related("session")
               .filter(PRESENTABLE, session__event=event, session__kind=SessionKind.ROADSHOW)
               .order_by("session__starts_at", "session_id", "order", "pk"))
    first_entry: dict[int, RoadshowEntry] = {}
    for entry in entries:
        first_entry.setdefault(entry.achievement_id, entry)
    entered = EventListing.objects.filter(event=event, achievement__isnull=False,
                                          registration__status=RegistrationStatus.REGISTERED)
    others = (Achievement.objects.filter(pk__in=entered.values("achievement_id"), status__in=LIVE_STATUSES)
              .exclude(confidentiality=Confidentiality.RESTRICTED).exclude(pk__in=list(first_entry))
              .select_related("organisation").prefetch_related("fields"))
    interest = own_interest_by_entry(registration=registration, entry_ids=[e.pk for e in first_entry.values()])
    matches = []
    for entry in first_entry.values():
        score, components, reasons = _score(investor, entry.achievement, audience="investor")
        matches.append(Match(entry.achievement, score, components, reasons, entry=entry,
                             interest=interest.get(entry.pk)))
    for achievement in others:
        score, components, reasons = _score(investor, achievement, audience="investor")
        matches.append(Match(achievement, score, components, reasons))
    matches.sort(key=lambda m: (m.entry is None, -m.score, m.entry.pk if m.entry else m.achievement.pk))
    return matches[:max(0, limit)]


def entry_investors(*, entry: RoadshowEntry) -> list[Match]:
    """The investors actively registered at the presentation's event who filled in a profile,
    ranked for this presentation (the same score, addressed to the achievement's owner), each
    with its interest in it. For bureau staff and the achievement's organisation only: callers
    check ``can_view_interest`` (``entry_investors_for_user`` does)."""
    regs = (Registration.objects.filter(event_id=entry.session.event_id, status=RegistrationStatus.REGISTERED,
                                        organisation__kind=OrganisationKind.INVESTOR,
                                        investor_profile__isnull=False)
            .select_related("organisation", "investor_profile")
            .prefetch_related("investor_profile__fields").order_by("pk"))
    interest = {row.registration_id: row for row in InvestorInterest.objects.filter(entry=entry)}
    matches = []
    for reg in regs:
        score, components, reasons = _score(_investor(reg.investor_profile), entry.achievement, audience="owner")
        matches.append(Match(entry.achievement, score, components, reasons, entry=entry, registration=reg,
                             interest=interest.get(reg.pk)))
    matches.sort(key=lambda m: (-m.score, m.registration.pk))
    return matches


def entry_investors_for_user(*, user, entry: RoadshowEntry) -> list[Match]:
    from common.errors import PermissionDenied

    if not can_view_interest(user, entry.achievement):
        raise PermissionDenied(_("Only bureau staff and the achievement's organisation see its investors."))
    return entry_investors(entry=entry)
