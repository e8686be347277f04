"""Signals other apps listen to, sent after the transaction that changed a listing commits.

``listing_changed(kind, listing_id, status, content_changed)``: a listing's content or status
changed. Matchmaking re-embeds it and, once published, matches it at once; catalog never
imports matchmaking."""

from django.dispatch import Signal

listing_changed = Signal()
