"""Template tags of pre-docking. ``{% suggestions_for listing %}`` lets the catalog's listing
page show suggested partners without the catalog importing matchmaking: the template loads
this library, and the selectors decide what the reader may see."""

from datetime import timedelta

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.enums import ListingKind
from matchmaking import rules, selectors

register = template.Library()

# A listing page shows the best suggestions only; the API lists all of them.
MAX_SUGGESTIONS = 20


@register.inclusion_tag("matchmaking/_suggestions.html", takes_context=True)
def suggestions_for(context, listing) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    queryset = selectors.suggestions_for_listing(user, listing)
    suggestions = list(queryset[:MAX_SUGGESTIONS])
    total = queryset.count() if len(suggestions) == MAX_SUGGESTIONS else len(suggestions)
    is_requirement = listing.KIND == ListingKind.REQUIREMENT
    rows = []
    for suggestion in suggestions:
        other = suggestion.achievement if is_requirement else suggestion.requirement
        explanation = selectors.explanation_for(user, suggestion)
        rows.append({
            "suggestion": suggestion,
            "other": other,
            "other_url": reverse(f"catalog:{other.KIND}-detail", kwargs={"pk": other.pk}),
            "explanation": explanation,
            "blocking": [flag for flag in explanation["flags"] if flag["blocking"]],
            "notes": [flag for flag in explanation["flags"] if not flag["blocking"]],
        })
    return {
        "listing": listing,
        "rows": rows,
        "total": total,
        "more": total - len(rows),
        "is_requirement": is_requirement,
        "show_status": rules.sees_unreviewed_suggestions(user) if rows else False,
    }


@register.filter
def duration(value) -> str:
    """A timedelta or a number of seconds as "1 h 05 min", "3 min 07 s" or "4.2 s"."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    seconds = max(0.0, seconds)
    if seconds < 60:
        return _("%(s).1f s") % {"s": seconds}
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return _("%(m)d min %(s)02d s") % {"m": minutes, "s": secs}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
