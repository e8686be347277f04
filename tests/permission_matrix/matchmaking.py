"""Rows of the pre-docking and pair pages and API (``matchmaking.rules``): runs, routing and the
outcome reports are the bureau's; a broker reviews the pairs routed to them (another broker does
not see them); a party sees a pair once it was sent, if it may read the other side's listing;
from mutual interest on, the two parties, the pair's broker and bureau staff share the thread and
arrange meetings; the parties answer, disclose and accept meetings for their own side; the
broker and bureau staff record outcomes and agreements.

The pairs (``tests.matchmaking.builders.suggestion_world`` and ``tests.permission_matrix.data``),
all with ``world.broker`` as the pair's broker but ``other_org`` (``world.other_broker``):
``approved`` (sent), ``unreviewed`` (awaiting review), ``restricted`` (sent; enterprise A's
confidential requirement, so the university may not see it), ``other_org`` (sent; enterprise
B's), ``superseded`` (of an older run: nobody), ``thread`` (mutual: a message with a file, a
proposed meeting), ``meeting_pair`` (a confirmed meeting), ``met``."""

from datetime import timedelta

from django.utils import timezone

from tests.permission_matrix import (
    ALLOWED,
    BUREAU_ONLY,
    BUREAU_PAGE,
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    NO_EFFECT,
    OK,
    PUBLIC,
    SIGNED_IN_ALLOWED,
    SIGNED_IN_OK,
    Row,
    only,
    policy,
)

# Who sees which pair (as tests.matchmaking.builders.VISIBLE, plus the pairs built here).
SEES = {
    "approved": {"ent_a", "university", "broker", "bureau"},
    "unreviewed": {"broker", "bureau"},
    "restricted": {"ent_a", "broker", "bureau"},
    "other_org": {"ent_b", "university", "other_broker", "bureau"},
    "superseded": set(),
    "thread": {"ent_a", "university", "broker", "bureau"},
    "meeting_pair": {"ent_a", "university", "broker", "bureau"},
    "met": {"ent_a", "university", "broker", "bureau"},
}
PAIRS_IN_SW = ("approved", "unreviewed", "restricted", "other_org", "superseded")


def pair(name: str):
    def kwargs(d) -> dict:
        obj = getattr(d.sw, name) if name in PAIRS_IN_SW else getattr(d, name)
        return {"pk": obj.pk}
    return kwargs


def on_pair(name: str, *allowed: str, outcome=ALLOWED, refused=FORBIDDEN) -> dict:
    """Whoever does not see the pair gets a 404; of those who do, ``allowed`` get ``outcome``,
    the others ``refused``; anonymous visitors are sent to sign in."""
    expect = policy(HIDDEN, anonymous=LOGIN)
    expect.update({role: refused for role in SEES[name]})
    expect.update({role: outcome for role in allowed})
    return expect


def read(name: str) -> dict:
    return on_pair(name, *SEES[name], outcome=OK)


def meeting(pair_name: str, meeting_name: str):
    return lambda d: {"pk": getattr(d, pair_name).pk, "meeting_pk": getattr(d, meeting_name).pk}


def future() -> str:
    return timezone.localtime(timezone.now() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")


PARTICIPANTS = ("ent_a", "university", "broker", "bureau")
PARTIES = ("ent_a", "university")
FOLLOW_UP = ("broker", "bureau")  # the pair's broker and bureau staff
QUEUE = only("broker", "other_broker", "bureau", outcome=OK)
PARTY_PAGES = only("ent_a", "ent_b", "university", outcome=OK)
AGREEMENT_FORM = {"contract_type": "transfer", "amount": "12.50", "signed_on": "2026-01-15"}
AGREEMENT_JSON = {"contract_type": "transfer", "amount": "12.50", "signed_on": "2026-01-15"}

ROWS = [
    # --- runs (bureau staff) -------------------------------------------------------------------
    Row("matchmaking:run-list", "GET", BUREAU_PAGE),
    Row("matchmaking:run-list", "POST", BUREAU_ONLY),
    Row("matchmaking:run-detail", "GET", BUREAU_PAGE, kwargs=lambda d: {"pk": d.sw.run.pk}),
    Row("matchmaking:run-progress", "GET", BUREAU_PAGE, kwargs=lambda d: {"pk": d.sw.run.pk}),
    Row("matchmaking:run-cancel", "POST", BUREAU_ONLY, kwargs=lambda d: {"pk": d.sw.run.pk}),
    Row("matchmaking:run-resume", "POST", BUREAU_ONLY, kwargs=lambda d: {"pk": d.sw.run.pk}),
    # One-click search is open to anonymous visitors (public listings only).
    Row("matchmaking:search", "GET", PUBLIC, query="q=锂电池"),
    # --- review, inbox, routing, reports -------------------------------------------------------
    Row("matchmaking:review-queue", "GET", QUEUE),
    # A bulk decision: the broker decides their pair; the other broker's request is accepted but
    # the pair is reported as not found and stays as it was.
    Row("matchmaking:review-queue", "POST",
        only("broker", "bureau", "other_broker", outcome=ALLOWED) | {"other_broker": NO_EFFECT},
        data=lambda d: {"ids": [d.sw.unreviewed.pk], "decision": "approve"}, obj="unreviewed"),
    Row("matchmaking:inbox", "GET", PARTY_PAGES),
    Row("matchmaking:routing", "GET", BUREAU_PAGE),
    Row("matchmaking:routing-run", "POST", BUREAU_ONLY),
    Row("matchmaking:reports", "GET", BUREAU_PAGE),
    # Each signed-in user exports what they may see (the rows are filtered, not the page).
    Row("matchmaking:pair-export", "GET", SIGNED_IN_OK, kwargs=lambda d: {"kind": "suggestions"}, query="format=csv"),
    # --- a pair's page and actions --------------------------------------------------------------
    *[Row("matchmaking:pair-detail", "GET", read(name), kwargs=pair(name), obj=name) for name in SEES],
    Row("matchmaking:pair-approve", "POST", on_pair("unreviewed", *FOLLOW_UP), kwargs=pair("unreviewed"),
        obj="unreviewed"),
    Row("matchmaking:pair-approve", "POST", on_pair("approved", *FOLLOW_UP), kwargs=pair("approved"),
        obj="approved (parties may not review)"),
    Row("matchmaking:pair-reject", "POST", on_pair("unreviewed", *FOLLOW_UP), kwargs=pair("unreviewed"),
        obj="unreviewed", data=lambda d: {"reason": "matrix"}),
    Row("matchmaking:pair-note", "POST", on_pair("approved", *FOLLOW_UP), kwargs=pair("approved"),
        obj="approved", data=lambda d: {"note": "matrix"}),
    Row("matchmaking:pair-assign", "POST", on_pair("unreviewed", "bureau"), kwargs=pair("unreviewed"),
        obj="unreviewed", data=lambda d: {"broker": d.w.other_broker.pk}),
    # Enterprise A answers for the requirement; the university may not answer for that side.
    Row("matchmaking:pair-answer", "POST", on_pair("approved", "ent_a"), kwargs=pair("approved"), obj="approved",
        data=lambda d: {"side": "requirement", "interested": "yes"}),
    Row("matchmaking:pair-disclose", "POST", on_pair("restricted", "ent_a"), kwargs=pair("restricted"),
        obj="restricted", data=lambda d: {"side": "requirement"}),
    Row("matchmaking:pair-message", "POST", on_pair("thread", *PARTICIPANTS), kwargs=pair("thread"), obj="thread",
        data=lambda d: {"body": "矩阵消息"}),
    # The thread already has an open meeting: the participants get the 409 that says so.
    Row("matchmaking:meeting-request", "POST", on_pair("thread", *PARTICIPANTS), kwargs=pair("thread"),
        obj="thread", data=lambda d: {"mode": "online", "starts_at": future(), "duration_minutes": 60}),
    # Only the parties accept (enterprise A already has: a 409 for it).
    Row("matchmaking:meeting-accept", "POST", on_pair("thread", *PARTIES),
        kwargs=meeting("thread", "meeting_requested"), obj="thread, proposed"),
    Row("matchmaking:meeting-cancel", "POST", on_pair("thread", *PARTICIPANTS),
        kwargs=meeting("thread", "meeting_requested"), obj="thread, proposed", data=lambda d: {"reason": "matrix"}),
    Row("matchmaking:meeting-outcome", "POST", on_pair("meeting_pair", *FOLLOW_UP),
        kwargs=meeting("meeting_pair", "meeting_confirmed"), obj="confirmed",
        data=lambda d: {"held": "yes", "outcome": "matrix"}),
    Row("matchmaking:pair-agreement", "POST", on_pair("met", *FOLLOW_UP), kwargs=pair("met"), obj="met",
        data=lambda d: AGREEMENT_FORM),
    Row("matchmaking:pair-close", "POST", on_pair("thread", *PARTICIPANTS), kwargs=pair("thread"), obj="thread",
        data=lambda d: {"reason": "matrix"}),
    Row("matchmaking:message-attachment", "GET", read("thread"), kwargs=lambda d: {"pk": d.message.pk},
        obj="thread's file"),
    # --- API: runs, suggestions, search ---------------------------------------------------------
    Row("matchmaking-api:run-list", "GET", BUREAU_PAGE),
    Row("matchmaking-api:run-list", "POST", BUREAU_ONLY),
    Row("matchmaking-api:run-detail", "GET", BUREAU_PAGE, kwargs=lambda d: {"pk": d.sw.run.pk}),
    Row("matchmaking-api:run-cancel", "POST", BUREAU_ONLY, kwargs=lambda d: {"pk": d.sw.run.pk}),
    Row("matchmaking-api:suggestion-list", "GET", SIGNED_IN_OK),
    *[Row("matchmaking-api:suggestion-detail", "GET", read(name), kwargs=pair(name), obj=name) for name in SEES],
    Row("matchmaking-api:search", "GET", PUBLIC, query="q=锂电池"),
    # --- API: review, inbox, reports ------------------------------------------------------------
    Row("matchmaking-api:review-queue", "GET", QUEUE),
    # The API's inbox is every signed-in user's list of pairs sent to their organisations (empty
    # for those without any); the portal's inbox page is refused to non-parties.
    Row("matchmaking-api:inbox", "GET", SIGNED_IN_OK),
    Row("matchmaking-api:report-funnel", "GET", BUREAU_PAGE),
    Row("matchmaking-api:report-brokers", "GET", BUREAU_PAGE),
    Row("matchmaking-api:pair-export", "GET", SIGNED_IN_OK, kwargs=lambda d: {"kind": "suggestions"},
        query="format=csv"),
    Row("matchmaking-api:pair-decide", "POST", only("broker", "bureau", "other_broker") | {"other_broker": NO_EFFECT},
        data=lambda d: {"ids": [d.sw.unreviewed.pk], "approve": True}, obj="unreviewed"),
    # --- API: a pair's actions ------------------------------------------------------------------
    Row("matchmaking-api:pair-approve", "POST", on_pair("unreviewed", *FOLLOW_UP), kwargs=pair("unreviewed"),
        obj="unreviewed"),
    Row("matchmaking-api:pair-reject", "POST", on_pair("unreviewed", *FOLLOW_UP), kwargs=pair("unreviewed"),
        obj="unreviewed", data=lambda d: {"reason": "matrix"}),
    Row("matchmaking-api:pair-note", "POST", on_pair("approved", *FOLLOW_UP), kwargs=pair("approved"),
        obj="approved", data=lambda d: {"note": "matrix"}),
    # Refused before the body is read.
    Row("matchmaking-api:pair-assign", "POST", on_pair("unreviewed", "bureau"), kwargs=pair("unreviewed"),
        obj="unreviewed", data=lambda d: {"broker": d.w.other_broker.pk}),
    Row("matchmaking-api:pair-answer", "POST", on_pair("approved", "ent_a"), kwargs=pair("approved"),
        obj="approved", data=lambda d: {"side": "requirement", "interested": True}),
    Row("matchmaking-api:pair-disclose", "POST", on_pair("restricted", "ent_a"), kwargs=pair("restricted"),
        obj="restricted", data=lambda d: {"side": "requirement"}),
    Row("matchmaking-api:pair-events", "GET", read("approved"), kwargs=pair("approved"), obj="approved"),
    Row("matchmaking-api:pair-messages", "GET", read("thread"), kwargs=pair("thread"), obj="thread"),
    Row("matchmaking-api:pair-messages", "POST", on_pair("thread", *PARTICIPANTS), kwargs=pair("thread"),
        obj="thread", data=lambda d: {"body": "矩阵消息"}),
    Row("matchmaking-api:pair-meetings", "GET", read("thread"), kwargs=pair("thread"), obj="thread"),
    Row("matchmaking-api:pair-meetings", "POST", on_pair("thread", *PARTICIPANTS), kwargs=pair("thread"),
        obj="thread", data=lambda d: {"mode": "online", "starts_at": (timezone.now() + timedelta(days=5)).isoformat(),
                                      "duration_minutes": 60}),
    Row("matchmaking-api:pair-agreement", "POST", on_pair("met", *FOLLOW_UP), kwargs=pair("met"), obj="met",
        data=lambda d: AGREEMENT_JSON),
    Row("matchmaking-api:pair-close", "POST", on_pair("thread", *PARTICIPANTS), kwargs=pair("thread"),
        obj="thread", data=lambda d: {"reason": "matrix"}),
    Row("matchmaking-api:meeting-accept", "POST", on_pair("thread", *PARTIES),
        kwargs=lambda d: {"pk": d.meeting_requested.pk}, obj="thread, proposed"),
    Row("matchmaking-api:meeting-cancel", "POST", on_pair("thread", *PARTICIPANTS),
        kwargs=lambda d: {"pk": d.meeting_requested.pk}, obj="thread, proposed", data=lambda d: {"reason": "matrix"}),
    Row("matchmaking-api:meeting-outcome", "POST", on_pair("meeting_pair", *FOLLOW_UP),
        kwargs=lambda d: {"pk": d.meeting_confirmed.pk}, obj="confirmed",
        data=lambda d: {"held": True, "outcome": "matrix"}),
    Row("matchmaking-api:message-attachment", "GET", read("thread"), kwargs=lambda d: {"pk": d.message.pk},
        obj="thread's file"),
    # --- API: agreements, notifications ----------------------------------------------------------
    Row("matchmaking-api:agreement-list", "GET", SIGNED_IN_OK),
    Row("matchmaking-api:notification-list", "GET", SIGNED_IN_OK),
    Row("matchmaking-api:notification-read", "POST", SIGNED_IN_ALLOWED),
]
