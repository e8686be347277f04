"""What the engine reads of a listing: its canonical text (embedded and indexed for BM25), the
hash that decides whether it must be re-embedded, and its structured attributes."""

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from catalog.enums import ListingKind
from catalog.models import Achievement, Field, Listing, Requirement
from matchmaking.compat import ListingAttrs

MODELS: dict[str, type[Listing]] = {ListingKind.REQUIREMENT: Requirement, ListingKind.ACHIEVEMENT: Achievement}
# How the encoder sees each side: a requirement asks, an achievement answers (e5's query/passage).
ENCODE_AS = {ListingKind.REQUIREMENT: "query", ListingKind.ACHIEVEMENT: "passage"}
# Beyond this the text is noise for the encoder and a cost for BM25; the encoder truncates tokens anyway.
MAX_CANONICAL_CHARS = 6000
# The columns canonical_text reads, for queries that load only those (``.only(*TEXT_ATTRS[kind])``).
_COMMON_TEXT = ("title", "keywords", "summary", "description")
TEXT_ATTRS = {
    ListingKind.REQUIREMENT: (*_COMMON_TEXT, "problem_statement", "technical_indicators"),
    ListingKind.ACHIEVEMENT: (*_COMMON_TEXT, "advantages", "application_scenarios"),
}


def canonical_text(listing: Listing, fields: Iterable[Field] | None = None) -> str:
    """Title, keywords, summary and field names first — the encoder truncates long input, and
    most of the signal is there — then the longer technical text of each kind."""
    fields = list(fields) if fields is not None else list(listing.fields.all())
    kind = ListingKind.REQUIREMENT if isinstance(listing, Requirement) else ListingKind.ACHIEVEMENT
    return canonical_text_of(kind, {attr: getattr(listing, attr) for attr in TEXT_ATTRS[kind]},
                             [(f.name_zh, f.name_en) for f in fields])


def canonical_text_of(kind: str, values: Mapping[str, Any], field_names: Iterable[tuple[str, str]]) -> str:
    """:func:`canonical_text` from the columns in ``TEXT_ATTRS[kind]`` (a ``.values()`` row) and the
    fields' (Chinese, English) names: search builds a few hundred per request, without models."""
    parts = [values["title"], " ".join(values["keywords"] or []), values["summary"]]
    parts.append(" ".join(f"{name_zh} {name_en}" for name_zh, name_en in field_names))
    parts += [values[attr] for attr in TEXT_ATTRS[kind][len(_COMMON_TEXT):]]
    parts.append(values["description"])
    text = "\n".join(" ".join((p or "").split()) for p in parts if p and p.strip())
    return text[:MAX_CANONICAL_CHARS]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def listing_attrs(listing: Listing, fields: Iterable[Field] | None = None) -> ListingAttrs:
    fields = list(fields) if fields is not None else list(listing.fields.all())
    trl = listing.trl_min if isinstance(listing, Requirement) else listing.trl
    return ListingAttrs(
        field_ids=frozenset(f.pk for f in fields),
        cluster_ids=frozenset(f.cluster_id for f in fields),
        trl=trl,
        modes=frozenset(listing.cooperation_modes or ()),
        ip_status=listing.ip_status,
        budget_min=listing.budget_min,
        budget_max=listing.budget_max,
        region=listing.region,
        language=listing.language,
    )
