"""Server-rendered catalog pages. Views are thin: parse the request, call one selector or
service, render. Visibility comes from ``catalog.selectors`` and which fields a page may show
from ``catalog.rules.fields_for``; the services enforce every write again."""

from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Organisation
from accounts.rules import roles_for
from catalog import duplicates, exports, imports, intake, rules, services
from catalog.enums import (
    EDITABLE_STATUSES,
    Confidentiality,
    CooperationMode,
    EvaluationResult,
    EvaluationStatus,
    ListingKind,
    ListingStatus,
)
from catalog.exports import XLSX_CONTENT_TYPE, export_response
from catalog.forms import (
    BrokerAssignForm,
    EvaluationDecisionForm,
    EvaluationScoreForm,
    ExpertAssignForm,
    ListingFilterForm,
    RejectForm,
    listing_form_class,
    owner_choices_for,
)
from catalog.models import Attachment, DuplicateStatus, ImportKind, ImportStatus, ListingStatusChange
from catalog.rules import Access
from catalog.selectors import (
    ListingFilters,
    evaluation_get_for_user,
    evaluation_list_for_user,
    listing_get_for_user,
    listing_list_for_user,
    screening_queue,
)
from common.audit import audit_event
from common.errors import ApplicationError
from common.forms import add_service_errors

PAGE_SIZE = 20
MODE_LABELS = dict(CooperationMode.choices)
TRANSITIONS = ("submit", "screen", "reject", "publish", "withdraw")


def _success_message(action: str) -> str:
    return {
        "submit": _("The listing was submitted for screening."),
        "screen": _("The listing passed screening."),
        "reject": _("The listing was returned to its owner."),
        "publish": _("The listing is published."),
        "withdraw": _("The listing was withdrawn."),
    }[action]


# --- helpers -------------------------------------------------------------------------------

def _url(kind: str, name: str, **kwargs) -> str:
    return reverse(f"catalog:{kind}-{name}", kwargs=kwargs)


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return target
    return default


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(getattr(error, "message", error))


def _decorate(listings) -> list:
    """Attach what the templates need per row without extra queries."""
    rows = list(listings)
    for item in rows:
        item.mode_labels = [MODE_LABELS.get(m, m) for m in item.cooperation_modes or []]
        item.detail_url = _url(item.kind, "detail", pk=item.pk)
    return rows


def _is_htmx_partial(request: HttpRequest) -> bool:
    # A history restore after a cache miss wants the whole page.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


# --- lists ---------------------------------------------------------------------------------

def _filters_from(form: ListingFilterForm) -> tuple[ListingFilters, list[str]]:
    if not form.is_bound:
        return ListingFilters(), []
    form.is_valid()
    data = form.cleaned_data
    ignored = [str(form.fields[name].label) for name in form.errors if name in form.fields]
    filters = ListingFilters(
        q=data.get("q") or "",
        fields=list(data.get("field") or []),
        cluster=data.get("cluster") or "",
        trl_min=data.get("trl_min"),
        trl_max=data.get("trl_max"),
        cooperation_mode=data.get("mode") or "",
        region=data.get("region") or "",
        status=data.get("status") or "",
        organisation=data.get("organisation"),
        language=data.get("language") or "",
        mine=bool(data.get("mine")),
    )
    return filters, ignored


def listing_list(request: HttpRequest, *, kind: str) -> HttpResponse:
    roles = roles_for(request.user)
    show_mine = bool(roles.org_ids)
    form = ListingFilterForm(request.GET or None, show_status=roles.is_bureau or show_mine, show_mine=show_mine,
                             bureau=roles.is_bureau)
    filters, ignored = _filters_from(form)
    if not (roles.is_bureau or filters.mine):
        # Outside "my organisation's listings" only the bureau filters by status.
        filters.status = ""
    queryset = listing_list_for_user(kind=kind, user=request.user, filters=filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "kind": kind,
        "form": form,
        "page_obj": page,
        "listings": _decorate(page.object_list),
        "ignored": ignored,
        "filters": filters,
        "list_url": _url(kind, "list"),
        "can_create": _may_post(kind, roles),
        "create_url": _url(kind, "create"),
    }
    if _is_htmx_partial(request):
        return render(request, "catalog/_listing_results.html", context)
    return render(request, "catalog/listing_list.html", context)


def _may_post(kind: str, roles) -> bool:
    # Bureau staff may post on behalf of any approved organisation.
    ids = roles.requirement_org_ids if kind == ListingKind.REQUIREMENT else roles.achievement_org_ids
    return roles.is_bureau or bool(ids)


# --- detail --------------------------------------------------------------------------------

def _detail_context(request: HttpRequest, listing) -> dict:
    user = request.user
    roles = roles_for(user)
    kind = listing.kind
    access = rules.listing_access(user, listing)
    visible = rules.fields_for(access, roles)
    can_screen = rules.can_screen_listings(user)
    can_edit = rules.can_edit_listing(user, listing)
    status = listing.status
    is_achievement = kind == ListingKind.ACHIEVEMENT
    actions = {
        "edit": can_edit,
        "submit": status in EDITABLE_STATUSES and rules.can_submit_listing(user, listing),
        "withdraw": rules.can_withdraw_listing(user, listing),
        "screen": can_screen and status == ListingStatus.SUBMITTED,
        "reject": can_screen and status in (ListingStatus.SUBMITTED, ListingStatus.SCREENED),
        "publish": can_screen and status == ListingStatus.SCREENED
        and (not is_achievement or listing.evaluation_result == EvaluationResult.PASSED),
        "evaluate": can_screen and is_achievement and status == ListingStatus.SCREENED,
        "upload": can_edit or rules.is_owner(user, listing),
        "assign_brokers": can_screen,
    }
    _decorate([listing])
    context = {
        "listing": listing,
        "kind": kind,
        "access": access,
        "access_name": access.name,
        "visible": visible,
        "actions": actions,
        "any_action": any(v for k, v in actions.items() if k not in ("upload", "assign_brokers")),
        "urls": {
            "list": _url(kind, "list"),
            "edit": _url(kind, "edit", pk=listing.pk),
            "upload": reverse("catalog:attachment-upload", kwargs={"kind": kind, "pk": listing.pk}),
            "brokers": _url(kind, "assign-brokers", pk=listing.pk),
            **{action: _url(kind, "transition", pk=listing.pk, action=action) for action in TRANSITIONS},
        },
        "reject_form": RejectForm() if actions["reject"] else None,
    }
    if is_achievement and can_screen:
        context["urls"]["evaluation"] = reverse("catalog:achievement-evaluation", kwargs={"pk": listing.pk})
    if access == Access.FULL:
        context["history"] = ListingStatusChange.objects.filter(kind=kind, listing_id=listing.pk).select_related(
            "actor")
    if "attachments" in visible:
        context["attachments"] = listing.attachments.order_by("created_at")
    if "assigned_brokers" in visible:
        context["assigned_brokers"] = list(listing.assigned_brokers.order_by("full_name", "email"))
    if actions["assign_brokers"]:
        context["broker_form"] = BrokerAssignForm(initial={"brokers": context.get("assigned_brokers", [])})
    return context


def listing_detail(request: HttpRequest, *, kind: str, pk: int) -> HttpResponse:
    listing = listing_get_for_user(kind=kind, pk=pk, user=request.user)
    context = _detail_context(request, listing)
    # Security audit: a confidential listing, or the budget and internals shown to a non-owner
    # (bureau staff, an assigned broker or expert).
    if listing.confidentiality == Confidentiality.RESTRICTED or (
            context["access"] == Access.FULL and listing.organisation_id not in roles_for(request.user).org_ids):
        audit_event("listing.confidential_view", organisation_id=listing.organisation_id, kind=kind,
                    listing_id=listing.pk, confidentiality=listing.confidentiality, access=context["access"].name)
    return render(request, "catalog/listing_detail.html", context)


# --- create / edit -------------------------------------------------------------------------

@login_required
def listing_create(request: HttpRequest, *, kind: str) -> HttpResponse:
    roles = roles_for(request.user)
    choices = owner_choices_for(kind=kind, roles=roles)
    if not choices:
        raise Forbidden(_("You cannot post this kind of listing."))
    # Bureau staff always say whom they post for; others choose only when they have several.
    owner_choices = choices if roles.is_bureau or len(choices) > 1 else None
    form_class = listing_form_class(kind, bureau=roles.is_bureau)
    if request.method == "POST":
        form = form_class(request.POST, owner_choices=owner_choices)
        if form.is_valid():
            org_id = form.cleaned_data["owner_org"] if owner_choices else choices[0][0]
            try:
                listing = services.listing_create(
                    actor=request.user, kind=kind, organisation=Organisation.objects.get(pk=org_id),
                    data=form.listing_data(), fields=form.field_objects(), submit="submit" in request.POST,
                )
            except (ApplicationError, ValidationError) as error:
                add_service_errors(form, error)
            else:
                if listing.status == ListingStatus.SUBMITTED:
                    messages.success(request, _("The listing was saved and submitted for screening."))
                else:
                    messages.success(request, _("The draft was saved."))
                return redirect(_url(kind, "detail", pk=listing.pk))
    else:
        form = form_class(owner_choices=owner_choices)
    return render(request, "catalog/listing_form.html", {
        "form": form, "kind": kind, "listing": None, "can_submit": True, "cancel_url": _url(kind, "list"),
    })


@login_required
def listing_edit(request: HttpRequest, *, kind: str, pk: int) -> HttpResponse:
    listing = listing_get_for_user(kind=kind, pk=pk, user=request.user)
    if not rules.can_edit_listing(request.user, listing):
        raise Forbidden(_("You cannot edit this listing in its current status."))
    roles = roles_for(request.user)
    can_submit = listing.status in EDITABLE_STATUSES and rules.can_submit_listing(request.user, listing)
    form_class = listing_form_class(kind, bureau=roles.is_bureau)
    if request.method == "POST":
        form = form_class(request.POST, instance=listing)
        if form.is_valid():
            submit = can_submit and "submit" in request.POST
            try:
                # Saving and submitting succeed or fail together.
                with transaction.atomic():
                    updated = services.listing_update(actor=request.user, listing=listing,
                                                      data=form.listing_data(), fields=form.field_objects())
                    if submit:
                        services.listing_submit(actor=request.user, listing=updated)
            except (ApplicationError, ValidationError) as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The listing was saved and submitted for screening.") if submit
                                 else _("The listing was saved."))
                return redirect(_url(kind, "detail", pk=listing.pk))
    else:
        form = form_class(instance=listing)
    return render(request, "catalog/listing_form.html", {
        "form": form, "kind": kind, "listing": listing, "can_submit": can_submit,
        "cancel_url": _url(kind, "detail", pk=listing.pk),
    })


# --- lifecycle -----------------------------------------------------------------------------

@login_required
@require_POST
def listing_transition(request: HttpRequest, *, kind: str, pk: int, action: str) -> HttpResponse:
    listing = listing_get_for_user(kind=kind, pk=pk, user=request.user)
    actor = request.user
    try:
        if action == "submit":
            services.listing_submit(actor=actor, listing=listing)
        elif action == "screen":
            services.listing_screen(actor=actor, listing=listing, note=request.POST.get("note", "")[:1000])
        elif action == "reject":
            services.listing_reject(actor=actor, listing=listing, reason=request.POST.get("reason", ""))
        elif action == "publish":
            services.listing_publish(actor=actor, listing=listing)
        elif action == "withdraw":
            services.listing_withdraw(actor=actor, listing=listing, reason=request.POST.get("reason", "")[:1000])
        else:
            raise Http404("Unknown action.")
    except (ApplicationError, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _success_message(action))
    return redirect(_next_or(request, _url(kind, "detail", pk=pk)))


@login_required
@require_POST
def listing_assign_brokers(request: HttpRequest, *, kind: str, pk: int) -> HttpResponse:
    if not rules.can_screen_listings(request.user):
        raise Forbidden(_("Only bureau staff can assign brokers."))
    listing = listing_get_for_user(kind=kind, pk=pk, user=request.user)
    form = BrokerAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose brokers from the list."))
    else:
        try:
            services.listing_assign_brokers(actor=request.user, listing=listing,
                                            brokers=list(form.cleaned_data["brokers"]))
        except (ApplicationError, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("The assigned brokers were saved."))
    return redirect(_url(kind, "detail", pk=pk))


# --- attachments ---------------------------------------------------------------------------

@login_required
@require_POST
def attachment_upload(request: HttpRequest, *, kind: str, pk: int) -> HttpResponse:
    listing = listing_get_for_user(kind=kind, pk=pk, user=request.user)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            services.attachment_add(actor=request.user, listing=listing, upload=upload)
        except (ApplicationError, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("The file was attached."))
    return redirect(_url(kind, "detail", pk=pk))


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Files are streamed only to users with at least member access to the listing; anyone
    else gets the same 404 as for a file that does not exist."""
    attachment = get_object_or_404(Attachment.objects.select_related("requirement", "achievement"), pk=pk)
    listing = attachment.requirement or attachment.achievement
    if rules.listing_access(request.user, listing) < Access.MEMBER:
        raise Http404("No such file.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    return FileResponse(handle, as_attachment=True, filename=attachment.original_name)


# --- bureau screening ----------------------------------------------------------------------

@login_required
def screening(request: HttpRequest) -> HttpResponse:
    if not rules.can_screen_listings(request.user):
        raise Forbidden(_("Only bureau staff can screen listings."))
    queues = [
        (ListingKind(kind).label, _decorate(screening_queue(user=request.user, kind=kind)))
        for kind in (ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT)
    ]
    for _label, rows in queues:
        for item in rows:
            item.urls = {action: _url(item.kind, "transition", pk=item.pk, action=action) for action in TRANSITIONS}
            item.needs_evaluation = (item.kind == ListingKind.ACHIEVEMENT and item.status == ListingStatus.SCREENED
                                     and item.evaluation_result != EvaluationResult.PASSED)
            if item.kind == ListingKind.ACHIEVEMENT:
                item.evaluation_url = reverse("catalog:achievement-evaluation", kwargs={"pk": item.pk})
    return render(request, "catalog/screening.html", {"queues": queues, "reject_form": RejectForm()})


# --- expert evaluation ---------------------------------------------------------------------

@login_required
def achievement_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """The bureau's evaluation desk for one achievement: assign experts, read scores, decide."""
    if not rules.can_screen_listings(request.user):
        raise Forbidden(_("Only bureau staff can manage expert evaluation."))
    achievement = listing_get_for_user(kind=ListingKind.ACHIEVEMENT, pk=pk, user=request.user)
    evaluations = list(achievement.evaluations.select_related("expert").order_by("created_at", "pk"))
    assigned_ids = [e.expert_id for e in evaluations]
    assign_form = ExpertAssignForm(exclude_ids=assigned_ids)
    decide_form = EvaluationDecisionForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "assign":
                assign_form = ExpertAssignForm(request.POST, exclude_ids=assigned_ids)
                if assign_form.is_valid():
                    services.evaluation_assign(actor=request.user, achievement=achievement,
                                               expert=assign_form.cleaned_data["expert"])
                    messages.success(request, _("The expert was assigned."))
                    return redirect("catalog:achievement-evaluation", pk=pk)
            elif action == "decide":
                decide_form = EvaluationDecisionForm(request.POST)
                if decide_form.is_valid():
                    services.evaluation_decide(actor=request.user, achievement=achievement,
                                               passed=decide_form.cleaned_data["passed"],
                                               reason=decide_form.cleaned_data["reason"])
                    messages.success(request, _("The evaluation was decided."))
                    return redirect(_url(ListingKind.ACHIEVEMENT, "detail", pk=pk))
            else:
                messages.error(request, _("Unknown action."))
        except (ApplicationError, ValidationError) as error:
            (assign_form if action == "assign" else decide_form).add_error(None, _error_text(error))
    submitted = [e for e in evaluations if e.status == EvaluationStatus.SUBMITTED and e.total is not None]
    average = round(sum(e.total for e in submitted) / len(submitted), 2) if submitted else None
    return render(request, "catalog/achievement_evaluation.html", {
        "listing": achievement,
        "evaluations": evaluations,
        "average": average,
        "assign_form": assign_form,
        "decide_form": decide_form,
        "can_assign": achievement.status == ListingStatus.SCREENED,
        "can_decide": achievement.status == ListingStatus.SCREENED
        and achievement.evaluation_result == EvaluationResult.PENDING and bool(evaluations),
        "detail_url": _url(ListingKind.ACHIEVEMENT, "detail", pk=pk),
    })


@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    evaluations = evaluation_list_for_user(user=request.user).order_by("status", "-created_at", "-pk")
    page = Paginator(evaluations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalog/evaluation_list.html", {
        "page_obj": page, "is_bureau": roles_for(request.user).is_bureau,
    })


@login_required
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = evaluation_get_for_user(user=request.user, pk=pk)
    achievement = evaluation.achievement
    can_score = (rules.can_submit_evaluation(request.user, evaluation)
                 and achievement.evaluation_result == EvaluationResult.PENDING)
    if request.method == "POST":
        if not can_score:
            raise Forbidden(_("You cannot score this achievement."))
        form = EvaluationScoreForm(request.POST)
        if form.is_valid():
            try:
                services.evaluation_submit(actor=request.user, evaluation=evaluation, **form.cleaned_data)
            except (ApplicationError, ValidationError) as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Your scores were saved."))
                return redirect("catalog:evaluation-detail", pk=pk)
    else:
        form = EvaluationScoreForm(initial=EvaluationScoreForm.initial_for(evaluation))
    context = _detail_context(request, achievement)
    context.update({"evaluation": evaluation, "form": form if can_score else None})
    return render(request, "catalog/evaluation_detail.html", context)


# --- spreadsheet imports, exports and duplicates (bureau staff) ------------------------------

class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("The file holds"), choices=ImportKind.choices,
                             widget=forms.RadioSelect, initial=ImportKind.REQUIREMENT)
    file = forms.FileField(label=gettext_lazy("Spreadsheet"),
                           help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file (UTF-8 or GBK)."))


IMPORT_ERRORS_SHOWN = 200


def _require_import_rights(request: HttpRequest) -> None:
    if not rules.can_screen_listings(request.user):
        raise Forbidden(_("Only bureau staff can import spreadsheets."))


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file; it is checked at once (small files) or by a worker (large ones)."""
    _require_import_rights(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_create(actor=request.user, kind=form.cleaned_data["kind"],
                                            upload=form.cleaned_data["file"], language=get_language())
        except ApplicationError as error:
            form.add_error("file", str(error.message))
        else:
            imports.import_start(actor=request.user, job=job)
            return redirect("catalog:import-detail", pk=job.pk)
    return render(request, "catalog/import_upload.html", {
        "form": form,
        "jobs": imports.import_job_list_for_user(user=request.user)[:20],
        "templates": [(ImportKind(kind).label, reverse("catalog:import-template", kwargs={"kind": kind}))
                      for kind in ImportKind.values],
        "max_mb": intake.limits().max_bytes // (1024 * 1024),
    })


def _import_context(request: HttpRequest, job, *, partial: bool = False) -> dict:
    preview = job.preview or {}
    committed = job.status == ImportStatus.DONE or job.cursor > 0
    counts = imports.report_of(job)
    rows = [
        ("rows", _("Rows read"), counts["rows"]),
        ("created", _("Rows created") if committed else _("To create"), counts["created"]),
        ("updated", _("Rows updated") if committed else _("To update"), counts["updated"]),
        ("unchanged", _("Unchanged"), counts["unchanged"]),
        ("duplicates", _("Possible duplicates"), counts["duplicates"]),
        ("organisations", _("New organisations"), counts["organisations_created"]),
        ("errors", _("Rows with errors"), counts["error_rows"]),
    ]
    return {
        "job": job,
        "preview": preview,
        "partial": partial,
        "committed": committed,
        "counts": rows,
        "errors": (job.errors or [])[:IMPORT_ERRORS_SHOWN],
        "errors_hidden": max(0, len(job.errors or []) - IMPORT_ERRORS_SHOWN),
        "errors_not_stored": job.error_count > len({e.get("row") for e in job.errors or []}),
        "can_commit": job.status in (ImportStatus.PREVIEWED, ImportStatus.FAILED) and job.preview is not None
        and counts["created"] + counts["updated"] > 0 or (job.status == ImportStatus.FAILED and job.cursor > 0),
        "urls": {
            "progress": reverse("catalog:import-progress", kwargs={"pk": job.pk}),
            "detail": reverse("catalog:import-detail", kwargs={"pk": job.pk}),
            "commit": reverse("catalog:import-commit", kwargs={"pk": job.pk}),
            "errors_xlsx": reverse("catalog:import-errors", kwargs={"pk": job.pk, "fmt": "xlsx"}),
            "errors_csv": reverse("catalog:import-errors", kwargs={"pk": job.pk, "fmt": "csv"}),
            "duplicates": reverse("catalog:duplicate-list") + f"?job={job.pk}&status=",
            "upload": reverse("catalog:import-upload"),
        },
    }


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page: progress while it runs, then the preview (or the result) with every
    row's errors, the near-duplicates and the commit button."""
    _require_import_rights(request)
    job = imports.import_job_get_for_user(user=request.user, pk=pk)
    return render(request, "catalog/import_detail.html", _import_context(request, job))


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the job's page, polled by HTMX while the job runs."""
    _require_import_rights(request)
    job = imports.import_job_get_for_user(user=request.user, pk=pk)
    return render(request, "catalog/import_live.html", _import_context(request, job, partial=True))


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_import_rights(request)
    job = imports.import_job_get_for_user(user=request.user, pk=pk)
    try:
        job = imports.import_commit_start(actor=request.user, job=job)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        if job.status == ImportStatus.DONE:
            messages.success(request, _("The import is complete."))
    return redirect("catalog:import-detail", pk=pk)


@login_required
def import_errors(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The rows with errors, as uploaded plus the row number and the messages."""
    _require_import_rights(request)
    job = imports.import_job_get_for_user(user=request.user, pk=pk)
    try:
        columns, rows = imports.import_error_rows(job=job)
    except intake.IntakeError as error:
        messages.error(request, error.message)
        return redirect("catalog:import-detail", pk=pk)
    stem = Path(job.original_name).stem or "import"
    return export_response(columns=columns, rows=rows, fmt=fmt, filename=f"{stem}-errors")


def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The bilingual template; public, so that a bureau can send the link with its survey."""
    response = HttpResponse(intake.template_xlsx(kind), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"techdock-{kind}-template.xlsx")
    return response


@login_required
def listing_export(request: HttpRequest, *, kind: str) -> HttpResponse:
    """The list page's listings, with its filters, as XLSX or CSV (``?format=``)."""
    if not rules.can_screen_listings(request.user):
        raise Forbidden(_("Only bureau staff can export listings."))
    form = ListingFilterForm(request.GET or None, show_status=True, show_mine=False, bureau=True)
    filters, _ignored = _filters_from(form)
    listings = listing_list_for_user(kind=kind, user=request.user, filters=filters)
    try:
        return exports.listing_export(user=request.user, kind=kind, listings=listings.iterator(chunk_size=500),
                                      fmt=request.GET.get("format", "xlsx"))
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect(_url(kind, "list"))


DUPLICATE_STATUSES = ("open", "merged", "kept")


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Possible duplicates for the bureau to merge or keep."""
    if not rules.can_screen_listings(request.user):
        raise Forbidden(_("Only bureau staff can decide on duplicates."))
    status = request.GET.get("status", DuplicateStatus.OPEN)
    status = status if status in DUPLICATE_STATUSES else ""
    job_id = request.GET.get("job")
    job_id = int(job_id) if job_id and job_id.isdigit() else None
    candidates = duplicates.duplicate_list_for_user(user=request.user, status=status, import_job_id=job_id)
    page = Paginator(candidates, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = duplicates.attach_listings(list(page.object_list))
    for row in rows:
        for side in ("listing", "other"):
            item = getattr(row, side)
            if item is not None:
                item.detail_url = _url(row.kind, "detail", pk=item.pk)
    return render(request, "catalog/duplicate_list.html", {
        "page_obj": page, "candidates": rows, "status": status, "job_id": job_id,
        "statuses": [("open", DuplicateStatus.OPEN.label), ("merged", DuplicateStatus.MERGED.label),
                     ("kept", DuplicateStatus.KEPT.label), ("", _("All"))],
    })


@login_required
@require_POST
def duplicate_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    candidate = duplicates.duplicate_get_for_user(user=request.user, pk=pk)
    try:
        if action == "merge":
            keep = request.POST.get("keep", "")
            duplicates.duplicate_merge(actor=request.user, candidate=candidate,
                                       keep_id=int(keep) if keep.isdigit() else None)
            messages.success(request, _("The duplicate was withdrawn."))
        elif action == "keep":
            duplicates.duplicate_keep(actor=request.user, candidate=candidate)
            messages.success(request, _("Both listings were kept."))
        else:
            raise Http404("Unknown action.")
    except (ApplicationError, ValidationError) as error:
        messages.error(request, _error_text(error))
    return redirect(_next_or(request, reverse("catalog:duplicate-list")))
