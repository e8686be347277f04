"""Rows of the docking conference pages and API (``events.rules``): bureau staff create and run
events (programme, bulk entry, pre-docking, status board, nudges, plan, check-in, roadshow
arrangement, report, summary); anyone sees a published event's programme and roadshows, a draft
is the bureau's alone (a 404 to everyone else); an organisation registers itself (a person who
acts for it) and manages its own registration and entries, which are a 404 to anyone else;
investors registered for the event record interest in presentations and keep an investor
profile; the achievement's organisation and bureau staff see the interest it received; the
pair's broker and bureau staff check negotiations in and record their outcomes.

The objects (``tests.permission_matrix.data``): the published conference ``conf.event``
(enterprise A, the university and the investor registered; the public listings entered; their
mutual pair, ``world.broker``'s, with a confirmed negotiation ``scheduled``; the roadshow
presentation ``entry`` of the public achievement), and ``draft_event``."""

from tests.permission_matrix import (
    ALLOWED,
    BUREAU_ONLY,
    BUREAU_PAGE,
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    OK,
    PUBLIC,
    SIGNED_IN_ALLOWED,
    SIGNED_IN_OK,
    Row,
    only,
    policy,
)


def ev(**extra):
    """The published conference's slug, with other URL arguments built from the data."""
    return lambda d: {"slug": d.conf.event.slug, **{name: value(d) for name, value in extra.items()}}


def draft(d) -> dict:
    return {"slug": d.draft_event.slug}


def reg_ent_a(d) -> int:
    return d.conf.reg_ent_a.pk


def scheduled(d) -> int:
    return d.scheduled.pk


def entry(d) -> int:
    return d.entry.pk


# A draft event does not exist for anyone but bureau staff (signed-in pages: anonymous visitors
# sign in first).
DRAFT_PAGE = policy(HIDDEN, anonymous=LOGIN, bureau=OK)
# Who may register an organisation now: people acting for an approved participant not registered
# yet (enterprise B; the agency, through its brokers) and bureau staff. Enterprise A, the
# university and the investor are registered already; an expert does not act for the agency.
REGISTRANTS = ("ent_b", "broker", "other_broker", "bureau")
# Enterprise A's registration and entries: its people and bureau staff; anyone else gets a 404.
OWN_REGISTRATION = policy(HIDDEN, anonymous=LOGIN, ent_a=OK, bureau=OK)
INVESTOR_PAGE = only("investor", outcome=OK)
# A presentation's interest received: bureau staff and the achievement's organisation.
INTEREST_RECEIVED = only("bureau", "university", outcome=OK)
# A confirmed negotiation on the day (``events.dayof.scheduled_get_for_user``): the pair's broker and
# bureau staff act on it; its two parties and any broker working the floor see it but may not
# (403); anyone else gets a 404.
FOLLOW_UP = policy(HIDDEN, anonymous=LOGIN, broker=ALLOWED, bureau=ALLOWED, ent_a=FORBIDDEN, university=FORBIDDEN,
                   other_broker=FORBIDDEN)
# The check-in desk's registrations: bureau staff; an organisation's own people see theirs but may
# not check it in; anyone else gets a 404.
CHECK_IN = policy(HIDDEN, anonymous=LOGIN, bureau=ALLOWED, ent_a=FORBIDDEN)

ROWS = [
    # --- the programme ------------------------------------------------------------------------
    Row("events:event-list", "GET", PUBLIC),
    Row("events:event-detail", "GET", PUBLIC, kwargs=ev(), obj="published"),
    Row("events:event-detail", "GET", policy(HIDDEN, bureau=OK), kwargs=draft, obj="draft"),
    Row("events:event-create", "GET", BUREAU_PAGE),
    Row("events:event-create", "POST", BUREAU_ONLY),
    Row("events:event-edit", "GET", BUREAU_PAGE, kwargs=ev(), obj="published"),
    Row("events:event-edit", "GET", DRAFT_PAGE, kwargs=draft, obj="draft"),
    Row("events:event-edit", "POST", BUREAU_ONLY, kwargs=ev(), obj="published"),
    Row("events:event-status", "POST", BUREAU_ONLY, kwargs=ev(), obj="published", data=lambda d: {"action": "close"}),
    Row("events:area-create", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:area-create", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events:area-edit", "GET", BUREAU_PAGE, kwargs=ev(pk=lambda d: d.conf.area.pk)),
    Row("events:area-edit", "POST", BUREAU_ONLY, kwargs=ev(pk=lambda d: d.conf.area.pk)),
    Row("events:session-create", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:session-create", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events:session-edit", "GET", BUREAU_PAGE, kwargs=ev(pk=lambda d: d.conf.session.pk)),
    Row("events:session-edit", "POST", BUREAU_ONLY, kwargs=ev(pk=lambda d: d.conf.session.pk)),
    # --- registrations and entries -------------------------------------------------------------
    Row("events:registration-create", "GET", only(*REGISTRANTS, outcome=OK), kwargs=ev()),
    Row("events:registration-create", "POST", only(*REGISTRANTS), kwargs=ev()),
    Row("events:registration-edit", "GET", OWN_REGISTRATION, kwargs=ev(pk=reg_ent_a), obj="enterprise A's"),
    Row("events:registration-edit", "POST", OWN_REGISTRATION | {"ent_a": ALLOWED, "bureau": ALLOWED},
        kwargs=ev(pk=reg_ent_a), obj="enterprise A's"),
    Row("events:registration-withdraw", "POST", OWN_REGISTRATION | {"ent_a": ALLOWED, "bureau": ALLOWED},
        kwargs=ev(pk=reg_ent_a), obj="enterprise A's", data=lambda d: {"reason": "matrix"}),
    # Everyone signed in gets the form of their own organisations' listings.
    Row("events:listing-enter", "GET", SIGNED_IN_OK, kwargs=ev()),
    Row("events:listing-enter", "POST", SIGNED_IN_ALLOWED, kwargs=ev()),
    Row("events:listing-withdraw", "POST", OWN_REGISTRATION | {"ent_a": ALLOWED, "bureau": ALLOWED},
        kwargs=ev(kind=lambda d: "requirement", pk=lambda d: d.w.req_public.pk), obj="enterprise A's entry"),
    # --- pre-docking --------------------------------------------------------------------------
    Row("events:listing-bulk-enter", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:listing-bulk-enter", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events:event-predocking", "POST", BUREAU_ONLY, kwargs=ev()),
    # Each user's own organisations' candidates (none for most).
    Row("events:candidates", "GET", SIGNED_IN_OK, kwargs=ev()),
    Row("events:status-board", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:event-nudge", "POST", BUREAU_ONLY, kwargs=ev(), data=lambda d: {"state": "suggested"}),
    # --- the plan -----------------------------------------------------------------------------
    Row("events:plan", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:plan-run", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events:plan-publish", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events:setup", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:setup", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events:scheduled-create", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events:scheduled-move", "GET", BUREAU_PAGE, kwargs=ev(pk=scheduled)),
    Row("events:scheduled-move", "POST", BUREAU_ONLY, kwargs=ev(pk=scheduled)),
    Row("events:scheduled-cancel", "POST", BUREAU_ONLY, kwargs=ev(pk=scheduled)),
    # --- roadshows ----------------------------------------------------------------------------
    Row("events:roadshow-list", "GET", PUBLIC, kwargs=ev()),
    Row("events:roadshow-session", "GET", PUBLIC, kwargs=ev(pk=lambda d: d.conf.roadshow.pk)),
    Row("events:roadshow-recommended", "GET", INVESTOR_PAGE, kwargs=ev()),
    # The interest the reader's own presentations received (bureau staff: all).
    Row("events:roadshow-interest-received", "GET", SIGNED_IN_OK, kwargs=ev()),
    Row("events:roadshow-board", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:roadshow-manage", "GET", BUREAU_PAGE, kwargs=ev(pk=lambda d: d.conf.roadshow.pk)),
    Row("events:roadshow-manage", "POST", BUREAU_ONLY, kwargs=ev(pk=lambda d: d.conf.roadshow.pk)),
    Row("events:roadshow-entry-remove", "POST", BUREAU_ONLY, kwargs=ev(pk=entry)),
    Row("events:roadshow-entry-move", "POST", BUREAU_ONLY, kwargs=ev(pk=entry), data=lambda d: {"direction": "up"}),
    Row("events:roadshow-interest", "POST", only("investor"), kwargs=ev(pk=entry),
        data=lambda d: {"level": "meeting", "note": ""}),
    Row("events:roadshow-entry-investors", "GET", INTEREST_RECEIVED, kwargs=ev(pk=entry)),
    Row("events:investor-profile", "GET", INVESTOR_PAGE, kwargs=ev()),
    Row("events:investor-profile", "POST", only("investor"), kwargs=ev()),
    # --- the day ------------------------------------------------------------------------------
    # Each user's own agenda (empty for most).
    Row("events:agenda", "GET", SIGNED_IN_OK, kwargs=ev()),
    Row("events:agenda-ics", "GET", SIGNED_IN_OK, kwargs=ev()),
    Row("events:checkin", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:checkin-registration", "POST", CHECK_IN, kwargs=ev(pk=reg_ent_a), obj="enterprise A's"),
    Row("events:my-meetings", "GET", only("broker", "other_broker", "bureau", outcome=OK), kwargs=ev()),
    Row("events:checkin-meeting", "POST", FOLLOW_UP, kwargs=ev(pk=scheduled), obj="the pair's",
        data=lambda d: {"side": "requirement"}),
    Row("events:meeting-outcome", "POST", FOLLOW_UP, kwargs=ev(pk=scheduled), obj="the pair's",
        data=lambda d: {"held": "yes", "outcome": "matrix"}),
    # --- report and summary ---------------------------------------------------------------------
    Row("events:report", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events:report-export", "GET", BUREAU_PAGE, kwargs=ev(), query="format=csv"),
    # Not published yet: the bureau's alone.
    Row("events:summary", "GET", policy(HIDDEN, bureau=OK), kwargs=ev()),
    Row("events:summary-publish", "POST", BUREAU_ONLY, kwargs=ev()),
    # --- API ----------------------------------------------------------------------------------
    Row("events-api:event-list", "GET", PUBLIC),
    Row("events-api:event-detail", "GET", PUBLIC, kwargs=ev(), obj="published"),
    Row("events-api:event-detail", "GET", policy(HIDDEN, bureau=OK), kwargs=draft, obj="draft"),
    Row("events-api:event-registrations", "GET", SIGNED_IN_OK, kwargs=ev()),
    # Registering enterprise B: its own people and bureau staff (the brokers act for their agency only).
    Row("events-api:event-registrations", "POST", only("ent_b", "bureau"), kwargs=ev(),
        data=lambda d: {"organisation": d.w.ent_b.pk}, obj="enterprise B"),
    Row("events-api:event-listings", "POST", SIGNED_IN_ALLOWED, kwargs=ev()),
    Row("events-api:event-status-board", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events-api:event-predocking", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events-api:plan", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events-api:plan-run", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events-api:plan-publish", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events-api:scheduled-create", "POST", BUREAU_ONLY, kwargs=ev()),
    Row("events-api:scheduled-move", "POST", BUREAU_ONLY, kwargs=ev(pk=scheduled)),
    Row("events-api:scheduled-cancel", "POST", BUREAU_ONLY, kwargs=ev(pk=scheduled)),
    Row("events-api:roadshow-list", "GET", PUBLIC, kwargs=ev()),
    Row("events-api:roadshow-matches", "GET", INVESTOR_PAGE, kwargs=ev()),
    Row("events-api:roadshow-entry-interest", "GET", INTEREST_RECEIVED, kwargs=ev(id=entry)),
    Row("events-api:roadshow-entry-interest", "POST", only("investor"), kwargs=ev(id=entry),
        data=lambda d: {"level": "meeting"}),
    Row("events-api:investor-profile", "GET", INVESTOR_PAGE, kwargs=ev()),
    Row("events-api:investor-profile", "PUT", only("investor"), kwargs=ev()),
    Row("events-api:agenda", "GET", SIGNED_IN_OK, kwargs=ev()),
    Row("events-api:agenda-ics", "GET", SIGNED_IN_OK, kwargs=ev()),
    Row("events-api:checkin-registration", "POST", CHECK_IN, kwargs=ev(pk=reg_ent_a), obj="enterprise A's"),
    Row("events-api:checkin-meeting", "POST", FOLLOW_UP, kwargs=ev(pk=scheduled), obj="the pair's",
        data=lambda d: {"side": "requirement"}),
    Row("events-api:meeting-outcome", "POST", FOLLOW_UP, kwargs=ev(pk=scheduled), obj="the pair's",
        data=lambda d: {"held": True, "outcome": "matrix"}),
    Row("events-api:event-report", "GET", BUREAU_PAGE, kwargs=ev()),
    Row("events-api:event-summary", "GET", policy(HIDDEN, bureau=OK), kwargs=ev()),
]
