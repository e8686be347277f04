"""Pre-docking pages: bureau staff start and watch runs and read their reports; everyone gets
the one-click search. Thin, like the catalog's: parse → one selector or service → render.
Who may see a run is decided by ``matchmaking.selectors`` (non-bureau users get a 403), which
listings a search returns by ``matchmaking.search`` (the catalog's visibility rules)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.rules import roles_for
from catalog.enums import ListingKind
from catalog.models import Field
from catalog.selectors import listing_queryset_for_user
from common.errors import ApplicationError
from common.forms import add_service_errors
from matchmaking import rules, selectors, services
from matchmaking.forms import RunStartForm, SearchForm
from matchmaking.models import ACTIVE_RUN_STATUSES, PreDockingRun, RunChunk, RunStage
from matchmaking.search import search_listings

PAGE_SIZE = 20
SEARCH_LIMIT = 30
# A report lists at most this many listings without a credible match per kind, with the total.
NO_CREDIBLE_SHOWN = 50

COUNT_LABELS = {
    "requirements": gettext_lazy("Requirements in scope"),
    "achievements": gettext_lazy("Achievements in scope"),
    "candidates": gettext_lazy("Candidate pairs scored"),
    "suggestions": gettext_lazy("Suggestions written"),
    "low_confidence": gettext_lazy("Low-confidence suggestions"),
    "via_coverage": gettext_lazy("Added by the coverage pass"),
    "kept_reviewed": gettext_lazy("Pairs already reviewed by a broker (kept)"),
    "superseded": gettext_lazy("Earlier suggestions superseded"),
    "dropped_hidden": gettext_lazy("Listings withdrawn or hidden during the run"),
}
EXTRA_PARAM_LABELS = {
    "fusion": gettext_lazy("Score fusion"),
    "lexical_retrieval": gettext_lazy("Keyword retrieval adds candidates"),
}


def _is_htmx_partial(request: HttpRequest) -> bool:
    # A history restore after a cache miss wants the whole page.
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _detail_url(kind: str, pk: int) -> str:
    return reverse(f"catalog:{kind}-detail", kwargs={"pk": pk})


def run_duration(run: PreDockingRun) -> timedelta | None:
    """From the start (or the queueing) to the end, or to now while the run is active."""
    start = run.started_at or run.created_at
    if start is None:
        return None
    end = run.finished_at or (timezone.now() if run.is_active else None)
    return end - start if end else None


# --- runs ------------------------------------------------------------------------------------

@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    runs = selectors.run_list_for_user(request.user)
    form = RunStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.run_start(actor=request.user, params=form.params(), label=form.cleaned_data["label"])
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Pre-docking run %(id)s was queued.") % {"id": run.pk})
            return redirect("matchmaking:run-detail", pk=run.pk)
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for run in rows:
        run.duration = run_duration(run)
        counts = run.counts or {}
        run.n_requirements, run.n_achievements = counts.get("requirements"), counts.get("achievements")
        run.n_suggestions = counts.get("suggestions")
    return render(request, "matchmaking/run_list.html", {
        "form": form,
        "page_obj": page,
        "runs": rows,
        "active_runs": list(runs.filter(status__in=ACTIVE_RUN_STATUSES)),
    })


def _run_context(request: HttpRequest, run: PreDockingRun, *, partial: bool) -> dict:
    run.duration = run_duration(run)
    counts = run.counts or {}
    context = {
        "run": run,
        "partial": partial,
        "progress_url": reverse("matchmaking:run-progress", kwargs={"pk": run.pk}),
        "detail_url": reverse("matchmaking:run-detail", kwargs={"pk": run.pk}),
        "counts": [{"key": key, "label": COUNT_LABELS.get(key, key), "value": value}
                   for key, value in sorted(counts.items(), key=lambda kv: _count_order(kv[0]))],
    }
    if not run.is_active:
        context.update(_report(request.user, run))
    return context


def _count_order(key: str) -> tuple[int, str]:
    order = list(COUNT_LABELS)
    return (order.index(key) if key in order else len(order), key)


def _pct(part, whole) -> float | None:
    if part is None or not whole:
        return None
    return round(100.0 * part / whole, 1)


def _report(user, run: PreDockingRun) -> dict:
    """What the finished run's report shows, in display order."""
    report = run.report or {}
    counts = run.counts or {}
    n_req = counts.get("requirements", len(run.requirement_ids or []))
    n_ach = counts.get("achievements", len(run.achievement_ids or []))
    k = (run.params or {}).get("k_requirement", RunStartForm.base_fields["k_requirement"].initial)
    coverage = []
    for key, label, whole in (
        ("requirements_covered", _("Requirements with at least %(k)s candidates") % {"k": k}, n_req),
        ("requirements_with_candidates", _("Requirements with at least one candidate"), n_req),
        ("requirements_with_credible", _("Requirements with at least one credible candidate"), n_req),
        ("achievements_covered", _("Achievements suggested to at least one requirement"), n_ach),
        ("achievements_with_credible", _("Achievements with at least one credible match"), n_ach),
    ):
        if key in report:
            coverage.append({"key": key, "label": label, "n": report[key], "of": whole,
                             "pct": _pct(report[key], whole)})
    return {
        "report": report,
        "coverage": coverage,
        "histogram": _histogram(report.get("score_histogram") or {}),
        "per_field": _per_field(report.get("per_field") or {}),
        "no_credible": _no_credible(user, report),
        "params": _params(run.params or {}),
        "timings": _timings(run),
    }


def _histogram(data: dict) -> list[dict]:
    counts, edges = data.get("counts") or [], data.get("edges") or []
    if len(edges) != len(counts) + 1:
        return []
    top = max(counts, default=0)
    total = sum(counts)
    return [{"low": edges[i], "high": edges[i + 1], "n": n, "width": round(100 * n / top) if top else 0,
             "pct": _pct(n, total)} for i, n in enumerate(counts)]


def _per_field(data: dict) -> list[dict]:
    ids = [int(pk) for pk in data if str(pk).isdigit()]
    names = {f.pk: str(f) for f in Field.objects.filter(pk__in=ids)}
    rows = [{"name": names.get(int(pk), f"#{pk}"), "n": n} for pk, n in data.items() if str(pk).isdigit()]
    rows.sort(key=lambda row: (-row["n"], row["name"]))
    top = rows[0]["n"] if rows else 0
    for row in rows:
        row["width"] = round(100 * row["n"] / top) if top else 0
    return rows


def _no_credible(user, report: dict) -> list[dict]:
    totals = report.get("no_credible_counts") or {}
    sections = []
    for kind, label in ((ListingKind.REQUIREMENT, _("Requirements")), (ListingKind.ACHIEVEMENT, _("Achievements"))):
        ids = list(report.get(f"no_credible_{kind}s") or [])
        shown_ids = ids[:NO_CREDIBLE_SHOWN]
        # Read through the catalog's visibility rules like every other page (bureau staff see all).
        found = {listing.pk: listing for listing in listing_queryset_for_user(kind=kind, user=user)
                 .prefetch_related(None).filter(pk__in=shown_ids)}
        listings = [found[pk] for pk in shown_ids if pk in found]
        for listing in listings:
            listing.detail_url = _detail_url(kind, listing.pk)
        total = totals.get(f"{kind}s", len(ids))
        sections.append({"kind": kind, "label": label, "listings": listings, "total": total,
                         "more": max(0, total - len(listings))})
    return sections


def _params(params: dict) -> list[dict]:
    labels = {name: field.label for name, field in RunStartForm.base_fields.items()} | EXTRA_PARAM_LABELS
    return [{"name": name, "label": labels.get(name, name), "value": value} for name, value in params.items()]


def _timings(run: PreDockingRun) -> list[dict]:
    """Wall time per stage, from the first chunk sent to the last chunk done."""
    labels = dict(RunStage.choices)
    rows = (RunChunk.objects.filter(run=run).order_by().values("stage")
            .annotate(n=Count("pk"), first=Min("dispatched_at"), last=Max("finished_at")))
    order = [stage for stage, _label in RunStage.choices]
    timings = []
    for row in sorted(rows, key=lambda r: order.index(r["stage"]) if r["stage"] in order else len(order)):
        seconds = (row["last"] - row["first"]).total_seconds() if row["first"] and row["last"] else None
        timings.append({"label": labels.get(row["stage"], row["stage"]), "chunks": row["n"], "seconds": seconds})
    if (run.report or {}).get("coverage_s") is not None:
        timings.append({"label": labels[RunStage.COVERAGE], "chunks": 1, "seconds": run.report["coverage_s"]})
    return timings


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.run_get_for_user(request.user, pk)
    context = _run_context(request, run, partial=False)
    context["can_manage"] = rules.can_start_run(request.user)
    return render(request, "matchmaking/run_detail.html", context)


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the run page. It carries the polling trigger only while the run is
    active, so the page stops polling by itself once the run has finished."""
    run = selectors.run_get_for_user(request.user, pk)
    return render(request, "matchmaking/_run_live.html", _run_context(request, run, partial=True))


def _managed_run(request: HttpRequest, pk: int) -> PreDockingRun:
    run = selectors.run_get_for_user(request.user, pk)
    if not rules.can_start_run(request.user):
        raise Forbidden(_("Only bureau staff can manage pre-docking runs."))
    return run


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = _managed_run(request, pk)
    try:
        services.run_cancel(actor=request.user, run=run)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The run was cancelled."))
    return redirect("matchmaking:run-detail", pk=pk)


@login_required
@require_POST
def run_resume(request: HttpRequest, pk: int) -> HttpResponse:
    """Re-send what a vanished worker left behind (a chunk done meanwhile is skipped)."""
    run = _managed_run(request, pk)
    if not run.is_active:
        messages.error(request, _("This run is no longer in progress."))
    else:
        services.run_resume(run)
        messages.success(request, _("The run's outstanding work was sent to the workers again."))
    return redirect("matchmaking:run-detail", pk=pk)


# --- one-click search ------------------------------------------------------------------------

def search(request: HttpRequest) -> HttpResponse:
    """Free text in Chinese or English → ranked listings the reader may see. Open to anonymous
    visitors, who get only public listings."""
    form = SearchForm(request.GET or None)
    result, query = None, ""
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"].strip()
        if query:
            result = search_listings(request.user, query, kinds=form.kinds(), limit=SEARCH_LIMIT)
            for hit in result.hits:
                hit.detail_url = _detail_url(hit.kind, hit.listing.pk)
    context = {
        "form": form,
        "query": query,
        "result": result,
        "show_reason": roles_for(request.user).is_bureau,
        "search_url": reverse("matchmaking:search"),
    }
    if _is_htmx_partial(request):
        return render(request, "matchmaking/_search_results.html", context)
    return render(request, "matchmaking/search.html", context)
