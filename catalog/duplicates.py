"""Possible duplicate listings: flagged at intake (same owner and normalised title; very similar
text — character 3-gram Jaccard of title + summary at or above ``TEXT_THRESHOLD`` — against the
owner's other listings of the same kind) or by matchmaking through ``duplicate_flag`` (method
"embedding"; catalog never imports matchmaking), and decided by the bureau: merge (the
duplicate is withdrawn through ``listing_withdraw`` with a reason) or keep both.

A pair is stored once, newer first (``listing_id`` > ``other_id``), whatever the order or the
method it was flagged with; a decided pair is never reopened by a later flag.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog import intake, rules, services
from catalog.enums import CLOSED_STATUSES, ListingKind, ListingStatus
from catalog.models import DuplicateCandidate, DuplicateMethod, DuplicateStatus, ImportJob
from common.errors import ApplicationError, PermissionDenied

TEXT_THRESHOLD = 0.8
METHOD_STRENGTH = {DuplicateMethod.OWNER_TITLE: 2, DuplicateMethod.TEXT: 1, DuplicateMethod.EMBEDDING: 1}


# --- detection ---------------------------------------------------------------------------------

@dataclass(slots=True)
class Entry:
    """One listing (or, in a preview, one row not written yet) of an owner, for comparison.
    Kept small (~0.5 KB): an import holds one per row, and a trigram set would cost ~24 KB,
    so the sets are built on demand through a bounded cache."""

    id: int | None
    title: str
    title_key: str
    text: str  # title + summary, normalised
    size: int  # the number of distinct trigrams, for the cheap length filter
    row: int | None = None

    @property
    def grams(self) -> frozenset:
        return _grams(self.text)


# ~24 KB a set: enough for the owner being compared (an import meets its rows in file order),
# a few MB in all.
@lru_cache(maxsize=256)
def _grams(text: str) -> frozenset:
    return intake.trigrams(text)


def entry_for(*, listing_id: int | None, title: str, summary: str, row: int | None = None) -> Entry:
    text = intake.normalise_for_similarity(f"{title} {summary}")
    return Entry(id=listing_id, title=title, title_key=intake.title_key(title), text=text,
                 size=len(_grams(text)), row=row)


def find_similar(entry: Entry, others: list[Entry]) -> list[tuple[Entry, str, float]]:
    """The owner's listings that ``entry`` may duplicate: same normalised title, or 3-gram
    Jaccard similarity of title + summary at or above the threshold."""
    found = []
    size = entry.size
    for other in others:
        if other is entry or (entry.id is not None and other.id == entry.id):
            continue
        if entry.title_key and other.title_key == entry.title_key:
            found.append((other, DuplicateMethod.OWNER_TITLE, 1.0))
            continue
        other_size = other.size
        # Jaccard ≥ t needs the smaller set to be at least t × the larger: skip the rest cheaply.
        if not size or not other_size or min(size, other_size) < TEXT_THRESHOLD * max(size, other_size):
            continue
        similarity = intake.jaccard(entry.grams, other.grams)
        if similarity >= TEXT_THRESHOLD:
            found.append((other, DuplicateMethod.TEXT, round(similarity, 3)))
    return found


# --- writes ------------------------------------------------------------------------------------

@transaction.atomic
def duplicate_flag(*, kind: str, listing_id: int, other_id: int, method: str, similarity: float,
                   import_job: ImportJob | None = None, import_row: int | None = None) -> DuplicateCandidate:
    """Record that two listings of ``kind`` may be the same. Idempotent: the pair is stored
    once; an open flag takes a stronger method or higher similarity, a decided one is left as
    it is. Matchmaking calls this with ``method="embedding"``."""
    kind = ListingKind(kind)
    method = DuplicateMethod(method)
    if listing_id == other_id:
        raise ApplicationError(_("A listing cannot duplicate itself."), code="same_listing")
    newer, older = max(listing_id, other_id), min(listing_id, other_id)
    similarity = float(similarity)
    existing = DuplicateCandidate.objects.select_for_update().filter(
        kind=kind, listing_id=newer, other_id=older).first()
    if existing is None:
        try:
            with transaction.atomic():
                return DuplicateCandidate.objects.create(
                    kind=kind, listing_id=newer, other_id=older, method=method, similarity=similarity,
                    import_job=import_job, import_row=import_row,
                )
        except IntegrityError:  # flagged by a concurrent transaction meanwhile
            existing = DuplicateCandidate.objects.select_for_update().get(kind=kind, listing_id=newer, other_id=older)
    if existing.status == DuplicateStatus.OPEN and (
        (METHOD_STRENGTH[method], similarity) > (METHOD_STRENGTH[DuplicateMethod(existing.method)], existing.similarity)
    ):
        existing.method, existing.similarity = method, similarity
        existing.save(update_fields=["method", "similarity", "updated_at"])
    return existing


def _decidable(actor: User, candidate: DuplicateCandidate) -> DuplicateCandidate:
    if not rules.can_screen_listings(actor):
        raise PermissionDenied(_("Only bureau staff can decide on duplicates."))
    candidate = DuplicateCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != DuplicateStatus.OPEN:
        raise ApplicationError(_("This possible duplicate has already been decided."), code="decided")
    return candidate


@transaction.atomic
def duplicate_merge(*, actor: User, candidate: DuplicateCandidate, keep_id: int | None = None) -> DuplicateCandidate:
    """Bureau staff merge a pair: the listing they do not keep (by default the newer one) is
    withdrawn with a reason naming the one kept."""
    candidate = _decidable(actor, candidate)
    pair = {candidate.listing_id, candidate.other_id}
    keep_id = keep_id if keep_id is not None else candidate.other_id
    if keep_id not in pair or candidate.other_id is None:
        raise ApplicationError(_("Choose one of the two listings to keep."), code="bad_choice")
    (drop_id,) = pair - {keep_id}
    model = services.MODELS[candidate.kind]
    drop = model.objects.filter(pk=drop_id).first()
    if drop is not None and drop.status not in CLOSED_STATUSES:
        services.listing_withdraw(actor=actor, listing=drop,
                                  reason=_("Duplicate of listing %(id)s.") % {"id": keep_id})
    candidate.status = DuplicateStatus.MERGED
    candidate.withdrawn_id = drop_id
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "withdrawn_id", "decided_by", "decided_at", "updated_at"])
    return candidate


@transaction.atomic
def duplicate_keep(*, actor: User, candidate: DuplicateCandidate) -> DuplicateCandidate:
    """Bureau staff decide the two listings are different: both stay, the flag is closed."""
    candidate = _decidable(actor, candidate)
    candidate.status = DuplicateStatus.KEPT
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    return candidate


# --- reads -------------------------------------------------------------------------------------

def duplicate_list_for_user(*, user, status: str = DuplicateStatus.OPEN, import_job_id: int | None = None) -> QuerySet:
    """Possible duplicates, for bureau staff only (anyone else gets none)."""
    if not rules.can_screen_listings(user):
        return DuplicateCandidate.objects.none()
    qs = DuplicateCandidate.objects.select_related("decided_by", "import_job")
    if status:
        qs = qs.filter(status=status)
    if import_job_id:
        qs = qs.filter(import_job_id=import_job_id)
    return qs.order_by("-created_at", "-pk")


def duplicate_get_for_user(*, user, pk: int) -> DuplicateCandidate:
    try:
        return duplicate_list_for_user(user=user, status="").get(pk=pk)
    except (DuplicateCandidate.DoesNotExist, ValueError, TypeError):
        raise Http404("No such duplicate.") from None


def attach_listings(candidates: list[DuplicateCandidate]) -> list[DuplicateCandidate]:
    """Set ``.listing`` and ``.other`` on each candidate, two queries per kind for the page."""
    by_kind: dict[str, set[int]] = {}
    for candidate in candidates:
        by_kind.setdefault(candidate.kind, set()).update(
            i for i in (candidate.listing_id, candidate.other_id) if i is not None)
    loaded = {}
    for kind, ids in by_kind.items():
        model = services.MODELS[kind]
        for listing in model.objects.filter(pk__in=ids).select_related("organisation"):
            loaded[(kind, listing.pk)] = listing
    for candidate in candidates:
        candidate.listing = loaded.get((candidate.kind, candidate.listing_id))
        candidate.other = loaded.get((candidate.kind, candidate.other_id))
        candidate.withdrawn = {
            key: getattr(candidate, key) is not None and getattr(candidate, key).status == ListingStatus.WITHDRAWN
            for key in ("listing", "other")
        }
    return candidates
