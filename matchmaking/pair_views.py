"""Pages of a pair's life: the brokers' review queue, a pair's page (review, answers, thread,
meetings, agreement), the parties' inbox, the bureau's routing page and the outcome reports.

Thin, like the other pages: each POST parses one form, calls one service of
``matchmaking.lifecycle`` / ``matchmaking.routing`` and goes back to the pair with a message;
a refusal (``ApplicationError``, a field's ``ValidationError``) shows the pair page again with
the service's words on the form (status 400, or 409 for a state conflict such as a double
click); a ``PermissionDenied`` from the service is a 403. A pair the user may not see is a 404
(``selectors.suggestion_get_for_user``) before any form is read. What the page offers is
decided by ``matchmaking.rules``, which the services check again on the locked row.

Reports are for bureau staff only: the league table compares brokers with each other, which is
the bureau's to read out; brokers find their own pairs in their queue and on pair pages."""

from collections.abc import Callable
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.rules import roles_for
from catalog.enums import CooperationMode
from catalog.exports import Column, export_response
from catalog.rules import Access, listing_access
from common.errors import ApplicationError
from common.forms import add_service_errors
from matchmaking import lifecycle, reports, routing, rules, selectors
from matchmaking.exports import pairs_export
from matchmaking.forms import (
    AgreementForm,
    AnswerForm,
    ApproveForm,
    AssignForm,
    BulkDecisionForm,
    DiscloseForm,
    MeetingOutcomeForm,
    MeetingRequestForm,
    MessageForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    RejectForm,
    ReportFilterForm,
)
from matchmaking.models import (
    THREAD_STATUSES,
    Agreement,
    Meeting,
    MeetingStatus,
    Side,
    Suggestion,
    SuggestionStatus,
)

PAGE_SIZE = 25
MODE_LABELS = dict(CooperationMode.choices)
OVERDUE_SHOWN = 50
# A bulk decision lists at most this many refused pairs one by one, then a count.
FAILURES_SHOWN = 20

ACTION_LABELS = {
    "assigned": gettext_lazy("Assigned to a broker"),
    "approved": gettext_lazy("Approved"),
    "rejected": gettext_lazy("Rejected"),
    "note_edited": gettext_lazy("Note to the parties edited"),
    "sent": gettext_lazy("Sent to both parties"),
    "interested": gettext_lazy("Interested"),
    "declined": gettext_lazy("Not interested"),
    "mutual": gettext_lazy("Mutual interest"),
    "disclosed": gettext_lazy("Confidential fields disclosed"),
    "meeting_requested": gettext_lazy("Meeting proposed"),
    "meeting_accepted": gettext_lazy("Meeting accepted"),
    "meeting_confirmed": gettext_lazy("Meeting confirmed"),
    "meeting_cancelled": gettext_lazy("Meeting cancelled"),
    "meeting_moved": gettext_lazy("Meeting moved"),
    "met": gettext_lazy("Meeting held"),
    "meeting_missed": gettext_lazy("Meeting did not take place"),
    "signed": gettext_lazy("Agreement signed"),
    "no_deal": gettext_lazy("Ended without a deal"),
}
COMPONENT_LABELS = {
    "fields": gettext_lazy("Fields"),
    "trl": gettext_lazy("Technology readiness"),
    "modes": gettext_lazy("Cooperation modes"),
    "ip": gettext_lazy("IP status"),
    "budget": gettext_lazy("Budget"),
    "region": gettext_lazy("Region"),
}


def _pair_url(pk: int, anchor: str = "") -> str:
    return reverse("matchmaking:pair-detail", kwargs={"pk": pk}) + (f"#{anchor}" if anchor else "")


# --- a pair's page ---------------------------------------------------------------------------

def _pair(request: HttpRequest, pk: int) -> Suggestion:
    return selectors.suggestion_get_for_user(request.user, pk)


def _meeting(request: HttpRequest, suggestion: Suggestion, meeting_pk: int) -> Meeting:
    meeting = selectors.meeting_get_for_user(request.user, meeting_pk)
    if meeting.suggestion_id != suggestion.pk:
        raise Http404
    return meeting


def _side_view(user, suggestion: Suggestion, side: str) -> dict:
    view = selectors.listing_view_for_pair(user, suggestion, side)
    listing = view["listing"]
    view["side"] = side
    view["label"] = Side(side).label
    view["kind"] = listing.KIND
    view["modes"] = [str(MODE_LABELS.get(mode, mode)) for mode in listing.cooperation_modes or []]
    view["detail_url"] = (reverse(f"catalog:{listing.KIND}-detail", kwargs={"pk": listing.pk})
                          if listing_access(user, listing) >= Access.SUMMARY else "")
    return view


def _timeline(user, suggestion: Suggestion) -> list:
    events = list(selectors.pair_events_for_user(user=user, suggestion=suggestion))
    broker_ids = {event.data.get("to") for event in events if event.action == "assigned"} - {None}
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=broker_ids)} if broker_ids else {}
    for event in events:
        event.label = ACTION_LABELS.get(event.action, event.action)
        event.changed = event.from_status != event.to_status
        if event.action == "assigned":
            event.detail = names.get(event.data.get("to"), _("nobody (back to routing)"))
        elif event.data.get("side"):
            event.detail = Side(event.data["side"]).label
        else:
            event.detail = ""
    return events


def _pair_context(request: HttpRequest, suggestion: Suggestion, bound: dict) -> dict:
    """Everything the pair page shows to this user. ``bound`` holds a form that failed (by
    name, or (name, meeting id)), shown with its errors instead of an empty one."""
    user = request.user
    sides = rules.party_sides(user, suggestion)
    explanation = selectors.explanation_for(user, suggestion)
    components = [{"key": key, "label": COMPONENT_LABELS.get(key, key), "value": value,
                   "width": round(100 * max(0.0, min(1.0, float(value))))}
                  for key, value in selectors.score_components_for(user, suggestion).items()]
    thread_open = rules.can_use_thread(user, suggestion)
    follow_up = rules.can_follow_up(user, suggestion)
    participant = rules.is_participant(user, suggestion)

    def form(name: str, cls: type[forms.Form], **kwargs) -> forms.Form:
        return bound.get(name) or cls(auto_id=f"id_{name}_%s", **kwargs)

    can = {
        "review": rules.can_review_suggestion(user, suggestion),
        "edit_note": rules.can_edit_party_note(user, suggestion),
        "assign": rules.can_route_suggestions(user) and suggestion.status == SuggestionStatus.SUGGESTED,
        "thread": thread_open,
        "close": thread_open and suggestion.status in lifecycle.NEGOTIATING,
    }
    answers = {answer.side: answer for answer in suggestion.answers.select_related("answered_by")}
    answer_forms = []
    for side in sorted(sides):
        if rules.can_answer(user, suggestion, side) and side not in answers:
            answer_forms.append({"side": side, "label": Side(side).label, "form": bound.get(("answer", side)) or
                                 AnswerForm(auto_id=f"id_answer_{side}_%s", initial={"side": side})})
    disclose = [{"side": side, "label": Side(side).label}
                for side in sorted(sides)
                if rules.can_disclose(user, suggestion, side) and suggestion.disclosed_at(side) is None]

    meetings = list(selectors.pair_meetings(suggestion)) if participant else []
    for meeting in meetings:
        meeting.can_accept = meeting.status == MeetingStatus.REQUESTED and any(
            getattr(meeting, f"{side}_accepted_at") is None for side in sides)
        meeting.can_cancel = meeting.is_open and thread_open
        meeting.can_record = meeting.status == MeetingStatus.CONFIRMED and follow_up
        meeting.accept_form = bound.get(("accept", meeting.pk))
        meeting.cancel_form = bound.get(("cancel", meeting.pk)) or ReasonForm(auto_id=f"id_cancel{meeting.pk}_%s")
        meeting.outcome_form = bound.get(("outcome", meeting.pk)) or MeetingOutcomeForm(
            auto_id=f"id_outcome{meeting.pk}_%s")
    agreement = (Agreement.objects.filter(suggestion=suggestion).select_related("recorded_by", "meeting").first()
                 if suggestion.status == SuggestionStatus.SIGNED else None)
    can["request_meeting"] = (thread_open and suggestion.status in (SuggestionStatus.MUTUAL, SuggestionStatus.MET)
                              and not any(meeting.is_open for meeting in meetings))
    can["agreement"] = follow_up and suggestion.status == SuggestionStatus.MET and agreement is None

    thread = []
    if participant and suggestion.status in THREAD_STATUSES:
        thread = list(selectors.pair_messages(suggestion))
        for message in thread:
            message.download_url = (reverse("matchmaking:message-attachment", kwargs={"pk": message.pk})
                                    if message.attachment else "")

    context = {
        "suggestion": suggestion,
        "sides": [_side_view(user, suggestion, Side.REQUIREMENT), _side_view(user, suggestion, Side.ACHIEVEMENT)],
        "explanation": explanation,
        "blocking": [flag for flag in explanation["flags"] if flag["blocking"]],
        "notes": [flag for flag in explanation["flags"] if not flag["blocking"]],
        "components": components,
        "events": _timeline(user, suggestion),
        "answers": [answers[side] for side in (Side.REQUIREMENT, Side.ACHIEVEMENT) if side in answers],
        "answer_forms": answer_forms,
        "disclose": disclose,
        "meetings": meetings,
        "thread": thread,
        "agreement": agreement,
        "can": can,
        "sees_review": rules.sees_unreviewed_suggestions(user),
        "forms": {
            "approve": form("approve", ApproveForm, initial={"note": suggestion.party_note}),
            "reject": form("reject", RejectForm),
            "note": form("note", NoteForm, initial={"note": suggestion.party_note}),
            "assign": form("assign", AssignForm, initial={"broker": suggestion.broker_id}),
            "message": form("message", MessageForm),
            "meeting": form("meeting", MeetingRequestForm),
            "agreement": bound.get("agreement") or AgreementForm(auto_id="id_agreement_%s", suggestion=suggestion),
            "close": form("close", ReasonForm),
        },
        "candidates": routing.broker_candidates(suggestion) if can["assign"] else [],
        "error_summary": _error_summary(bound),
    }
    context["any_action"] = (can["review"] or can["edit_note"] or can["assign"] or can["close"]
                             or bool(answer_forms or disclose))
    return context


def _error_summary(bound: dict) -> list[dict]:
    """The failed form's messages, listed at the top of the page with a link to the form."""
    out = []
    for key, form in bound.items():
        anchor = "-".join(str(part) for part in key) if isinstance(key, tuple) else key
        for name, errors in form.errors.items():
            for error in errors:
                field = form.fields.get(name)
                label = field.label if field is not None and field.label else ""
                out.append({"anchor": f"form-{anchor}", "message": f"{label}: {error}" if label else error})
    return out


def _render_pair(request: HttpRequest, suggestion: Suggestion, *, bound: dict | None = None,
                 status: int = 200) -> HttpResponse:
    return render(request, "matchmaking/pair_detail.html", _pair_context(request, suggestion, bound or {}),
                  status=status)


@login_required
def pair_detail(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    lifecycle.suggestion_mark_viewed(actor=request.user, suggestion=suggestion)
    return _render_pair(request, suggestion)


def _act(request: HttpRequest, suggestion: Suggestion, *, key, form: forms.Form, call: Callable[[dict], object],
         success: str, anchor: str = "") -> HttpResponse:
    """Parse → one service → back to the pair with a success message;
    a refusal re-renders the pair page with the service's message on the form."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error)
            status = getattr(error, "status", 400)
        else:
            messages.success(request, success)
            return redirect(_pair_url(suggestion.pk, anchor))
    else:
        status = 400
    # The row may have changed under the failed attempt (another user's decision).
    suggestion.refresh_from_db()
    return _render_pair(request, suggestion, bound={key: form}, status=status)


@login_required
@require_POST
def pair_approve(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = ApproveForm(request.POST, auto_id="id_approve_%s")
    # Without a note field in the request the note stays as it is.
    keep_note = "note" not in request.POST
    return _act(request, suggestion, key="approve", form=form, success=_(
        "The pair was approved. Both parties receive it shortly."), call=lambda data: lifecycle.suggestion_approve(
        actor=request.user, suggestion=suggestion, note=None if keep_note else data["note"]))


@login_required
@require_POST
def pair_reject(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = RejectForm(request.POST, auto_id="id_reject_%s")
    return _act(request, suggestion, key="reject", form=form, success=_("The pair was rejected."),
                call=lambda data: lifecycle.suggestion_reject(actor=request.user, suggestion=suggestion,
                                                              reason=data["reason"]))


@login_required
@require_POST
def pair_note(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = NoteForm(request.POST, auto_id="id_note_%s")
    return _act(request, suggestion, key="note", form=form, success=_("The note to the parties was saved."),
                call=lambda data: lifecycle.suggestion_edit_note(actor=request.user, suggestion=suggestion,
                                                                 note=data["note"]))


@login_required
@require_POST
def pair_assign(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = AssignForm(request.POST, auto_id="id_assign_%s")

    def call(data: dict) -> None:
        routing.suggestion_assign(actor=request.user, suggestion=suggestion, broker=data["broker"])

    success = _("The pair was assigned.") if request.POST.get("broker") else _("The pair is back in routing.")
    return _act(request, suggestion, key="assign", form=form, call=call, success=success)


@login_required
@require_POST
def pair_answer(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    side = request.POST.get("side") if request.POST.get("side") in Side.values else Side.REQUIREMENT
    form = AnswerForm(request.POST, auto_id=f"id_answer_{side}_%s")

    def call(data: dict) -> None:
        lifecycle.suggestion_answer(actor=request.user, suggestion=suggestion, side=data["side"],
                                    interested=data["interested"], reason=data["reason"])

    success = (_("Thank you: your interest was recorded.") if request.POST.get("interested") == "yes"
               else _("Thank you: your answer was recorded."))
    return _act(request, suggestion, key=("answer", side), form=form, call=call, success=success)


@login_required
@require_POST
def pair_disclose(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = DiscloseForm(request.POST, auto_id="id_disclose_%s")
    return _act(request, suggestion, key="disclose", form=form,
                success=_("The other party can now read your listing's confidential fields."),
                call=lambda data: lifecycle.suggestion_disclose(actor=request.user, suggestion=suggestion,
                                                                side=data["side"]))


@login_required
@require_POST
def pair_message(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = MessageForm(request.POST, request.FILES, auto_id="id_message_%s")
    return _act(request, suggestion, key="message", form=form, success=_("Your message was posted."),
                anchor="thread", call=lambda data: lifecycle.message_post(
                    actor=request.user, suggestion=suggestion, body=data["body"], upload=data["attachment"]))


@login_required
@require_POST
def meeting_request(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = MeetingRequestForm(request.POST, auto_id="id_meeting_%s")
    return _act(request, suggestion, key="meeting", form=form, anchor="meetings",
                success=_("The meeting was proposed; it is confirmed when both parties have accepted it."),
                call=lambda data: lifecycle.meeting_request(
                    actor=request.user, suggestion=suggestion, starts_at=data["starts_at"],
                    duration_minutes=data["duration_minutes"], mode=data["mode"], location=data["location"],
                    note=data["note"]))


@login_required
@require_POST
def meeting_accept(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    meeting = _meeting(request, suggestion, meeting_pk)
    form = forms.Form(request.POST)
    return _act(request, suggestion, key=("accept", meeting.pk), form=form, anchor="meetings",
                success=_("You accepted the meeting."),
                call=lambda data: lifecycle.meeting_accept(actor=request.user, meeting=meeting))


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    meeting = _meeting(request, suggestion, meeting_pk)
    form = ReasonForm(request.POST, auto_id=f"id_cancel{meeting.pk}_%s")
    return _act(request, suggestion, key=("cancel", meeting.pk), form=form, anchor="meetings",
                success=_("The meeting was cancelled."),
                call=lambda data: lifecycle.meeting_cancel(actor=request.user, meeting=meeting,
                                                           reason=data["reason"]))


@login_required
@require_POST
def meeting_outcome(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    meeting = _meeting(request, suggestion, meeting_pk)
    form = MeetingOutcomeForm(request.POST, auto_id=f"id_outcome{meeting.pk}_%s")
    return _act(request, suggestion, key=("outcome", meeting.pk), form=form, anchor="meetings",
                success=_("The meeting's outcome was recorded."),
                call=lambda data: lifecycle.meeting_record_outcome(actor=request.user, meeting=meeting,
                                                                   held=data["held"], outcome=data["outcome"]))


@login_required
@require_POST
def pair_agreement(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = AgreementForm(request.POST, auto_id="id_agreement_%s", suggestion=suggestion)
    return _act(request, suggestion, key="agreement", form=form, success=_("The agreement was recorded."),
                call=lambda data: lifecycle.agreement_record(
                    actor=request.user, suggestion=suggestion, contract_type=data["contract_type"],
                    amount=data["amount"], signed_on=data["signed_on"], note=data["note"],
                    meeting=data["meeting"]))


@login_required
@require_POST
def pair_close(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _pair(request, pk)
    form = ReasonForm(request.POST, auto_id="id_close_%s")
    return _act(request, suggestion, key="close", form=form, success=_("The negotiation ended without a deal."),
                call=lambda data: lifecycle.suggestion_close(actor=request.user, suggestion=suggestion,
                                                             reason=data["reason"]))


@login_required
def message_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A thread's file, streamed only to the pair's participants who may see the pair; anyone
    else gets the same 404 as for a file that does not exist (files never have a public URL)."""
    message = selectors.message_get_for_user(request.user, pk)
    if not message.attachment:
        raise Http404("No such file.")
    try:
        handle = message.attachment.open("rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    response = FileResponse(handle, as_attachment=True, filename=message.attachment_name or "file")
    response["Cache-Control"] = "private, no-store"
    return response


# --- the brokers' review queue ---------------------------------------------------------------

@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """GET: the queue with filters. POST (checked rows + approve / reject with a reason): one
    bulk decision, each pair in its own transaction, then back to the same filtered page."""
    roles = roles_for(request.user)
    brokers = (User.objects.filter(broker_profile__isnull=False).order_by("full_name", "email")
               if roles.is_bureau else None)
    filter_form = QueueFilterForm(request.GET or None, brokers=brokers)
    queue = selectors.review_queue_for_user(request.user, **filter_form.filters())
    bulk = BulkDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if bulk.is_valid():
            _bulk_decide(request, bulk.cleaned_data)
            return redirect(request.get_full_path())
        status = 400
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    checked = set(bulk.data.getlist("ids")) if bulk.is_bound else set()
    rows = list(page.object_list)
    for suggestion in rows:
        suggestion.checked = str(suggestion.pk) in checked
    return render(request, "matchmaking/review_queue.html", {
        "filter_form": filter_form,
        "bulk_form": bulk,
        "page_obj": page,
        "rows": rows,
        "show_broker": roles.is_bureau,
        "next_url": request.get_full_path(),
    }, status=status)


def _bulk_decide(request: HttpRequest, data: dict) -> None:
    approve = data["decision"] == "approve"
    # The service reports a pair the user may not see like one that does not exist, in input order.
    result = lifecycle.suggestions_decide(actor=request.user, ids=data["ids"], approve=approve,
                                          reason=data["reason"])
    done = len(result["done"])
    if done:
        messages.success(request, (ngettext("%(n)d pair approved.", "%(n)d pairs approved.", done) if approve
                                   else ngettext("%(n)d pair rejected.", "%(n)d pairs rejected.", done))
                         % {"n": done})
    failed = result["failed"]
    for failure in failed[:FAILURES_SHOWN]:
        messages.error(request, _("Pair %(id)s was not decided: %(message)s") % failure)
    if len(failed) > FAILURES_SHOWN:
        rest = len(failed) - FAILURES_SHOWN
        messages.error(request, ngettext("%(n)d more pair was not decided.", "%(n)d more pairs were not decided.",
                                         rest) % {"n": rest})


# --- the parties' inbox ----------------------------------------------------------------------

@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    roles = roles_for(request.user)
    if not (roles.requirement_org_ids or roles.achievement_org_ids):
        raise Forbidden(_("The inbox is for members of enterprises, universities and institutes."))
    page = Paginator(selectors.inbox_for_user(request.user, awaiting_first=True), PAGE_SIZE) \
        .get_page(request.GET.get("page"))
    rows = []
    for suggestion in page.object_list:
        sides = rules.party_sides(request.user, suggestion)
        answers = {answer.side: answer for answer in suggestion.answers.all()}
        own = [answers[side] for side in sorted(sides) if side in answers]
        rows.append({"suggestion": suggestion, "awaiting": suggestion.awaiting, "own_answers": own,
                     "as_requirement": Side.REQUIREMENT in sides, "as_achievement": Side.ACHIEVEMENT in sides})
    return render(request, "matchmaking/inbox.html", {"page_obj": page, "rows": rows})


# --- the bureau's routing page ---------------------------------------------------------------

@login_required
def routing_overview(request: HttpRequest) -> HttpResponse:
    overview = selectors.routing_overview_for_user(request.user)
    for row in overview["loads"]:
        row["width"] = min(100, round(100 * row["load"] / row["capacity"])) if row["capacity"] else 0
        row["full"] = row["load"] >= row["capacity"]
    overdue = overview["overdue"]
    return render(request, "matchmaking/routing.html", {
        "loads": overview["loads"],
        "unassigned": overview["unassigned"],
        "overdue": list(overdue[:OVERDUE_SHOWN]),
        "overdue_total": overdue.count(),
    })


@login_required
@require_POST
def routing_run(request: HttpRequest) -> HttpResponse:
    if not rules.can_route_suggestions(request.user):
        raise Forbidden(_("Only bureau staff can route suggestions to brokers."))
    result = routing.suggestions_route()
    messages.success(request, _("%(routed)d suggestions were routed to brokers; %(waiting)d wait for a broker "
                                "with capacity and expertise.") % result)
    return redirect("matchmaking:routing")


# --- outcome reports -------------------------------------------------------------------------

def _report_rows(rows: list[reports.FunnelRow]) -> list[dict]:
    out = []
    for row in rows:
        first = row.counts[reports.STAGES[0]]
        rates, hours = row.rates, row.hours
        stages = [{"stage": stage, "label": reports.STAGE_LABELS[stage], "n": row.counts[stage],
                   "rate": rates.get(stage), "hours": hours.get(stage),
                   "width": round(100 * row.counts[stage] / first) if first else 0} for stage in reports.STAGES]
        out.append({"key": row.key, "label": row.label, "stages": stages, "overall": row.overall,
                    "amount": row.amount})
    return out


FUNNEL_FILE_COLUMNS = [
    Column("label", gettext_lazy("Group")),
    *[Column(f"n_{stage}", reports.STAGE_LABELS[stage]) for stage in reports.STAGES],
    *[Column(f"rate_{stage}", format_lazy("{} (%)", reports.STAGE_LABELS[stage])) for stage in reports.STAGES[1:]],
    Column("overall", gettext_lazy("Suggested → signed (%)")),
    *[Column(f"hours_{stage}", format_lazy("{}: {}", reports.STAGE_LABELS[stage], gettext_lazy("median hours")))
      for stage in reports.STAGES[:-1]],
    Column("amount", gettext_lazy("Amount signed (10k CNY)")),
]
LEAGUE_FILE_COLUMNS = [
    Column("rank", gettext_lazy("Rank")),
    Column("broker", gettext_lazy("Broker")),
    Column("suggested", gettext_lazy("Routed to the broker")),
    Column("approved", gettext_lazy("Approved")),
    Column("rejected", gettext_lazy("Rejected")),
    Column("mutual", gettext_lazy("Mutual interest")),
    Column("met", gettext_lazy("Met")),
    Column("signed", gettext_lazy("Agreements signed")),
    Column("amount", gettext_lazy("Amount signed (10k CNY)")),
    Column("review_hours", gettext_lazy("Median hours to review")),
]


def _funnel_file_rows(rows: list[reports.FunnelRow]):
    for row in rows:
        rates, hours = row.rates, row.hours
        yield {"label": row.label, "overall": row.overall, "amount": row.amount,
               **{f"n_{stage}": row.counts[stage] for stage in reports.STAGES},
               **{f"rate_{stage}": rates[stage] for stage in reports.STAGES[1:]},
               **{f"hours_{stage}": hours[stage] for stage in reports.STAGES[:-1]}}


def _league_file_rows(league: list[dict]):
    from decimal import Decimal

    for entry in league:
        yield {**entry, "amount": Decimal(entry["amount"])}


def _day_start(day) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


@login_required
def report_overview(request: HttpRequest) -> HttpResponse:
    """The funnel (grouped by run, field or broker, filtered by run and field), the overall
    funnel as bars, and the brokers' league; ``?format=csv|xlsx&table=funnel|league`` exports."""
    user = request.user
    form = ReportFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    since = _day_start(data.get("since"))
    until = _day_start(data.get("until") + timedelta(days=1)) if data.get("until") else None
    filters = {"run_id": getattr(data.get("run"), "pk", None), "field_id": getattr(data.get("field"), "pk", None),
               "since": since, "until": until}
    group_by = data.get("group_by") or None
    fmt = request.GET.get("format")
    if fmt:
        table = request.GET.get("table", "funnel")
        stamp = timezone.localdate().isoformat()
        try:
            if table == "league":
                return export_response(columns=LEAGUE_FILE_COLUMNS, fmt=fmt, filename=f"broker-league-{stamp}",
                                       rows=_league_file_rows(selectors.broker_league_for_user(
                                           user, since=since, until=until)))
            return export_response(columns=FUNNEL_FILE_COLUMNS, fmt=fmt, filename=f"funnel-{stamp}",
                                   rows=_funnel_file_rows(selectors.funnel_for_user(user, group_by=group_by,
                                                                                    **filters)))
        except ApplicationError as error:
            return HttpResponseBadRequest(str(error.message))
    rows = selectors.funnel_for_user(user, group_by=group_by, **filters)
    overall = selectors.funnel_for_user(user, **filters) if group_by else rows
    league = selectors.broker_league_for_user(user, since=since, until=until)
    top_signed = max((entry["signed"] for entry in league), default=0)
    for entry in league:
        entry["width"] = round(100 * entry["signed"] / top_signed) if top_signed else 0
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    return render(request, "matchmaking/reports.html", {
        "export_kinds": [("suggestions", _("Suggestions")), ("meetings", _("Meetings")),
                         ("agreements", _("Agreements"))],
        "form": form,
        "group_by": group_by,
        "stages": [{"stage": stage, "label": reports.STAGE_LABELS[stage]} for stage in reports.STAGES],
        "rows": _report_rows(rows),
        "overall": _report_rows(overall)[0] if overall else None,
        "league": league,
        "export_query": query.urlencode(),
    }, status=200 if not form.errors else 400)


@login_required
def pair_export(request: HttpRequest, kind: str) -> HttpResponse:
    """Suggestions, meetings or agreements the user may see, as ``?format=csv|xlsx`` (``run``
    narrows to one pre-docking run)."""
    run = request.GET.get("run", "")
    try:
        return pairs_export(request.user, kind=kind, fmt=request.GET.get("format", "xlsx"),
                            run_id=int(run) if run.isdigit() else None)
    except ApplicationError as exc:
        return HttpResponseBadRequest(str(exc.message))
