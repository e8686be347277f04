"""The brokers' daily digest: what waits for them, what is overdue, what the parties wrote."""

from datetime import timedelta

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notify
from matchmaking.models import Message, Suggestion, SuggestionStatus


def broker_digests_send(*, now=None) -> int:
    """One digest per broker with anything open; returns how many were sent."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    open_counts = (Suggestion.objects.filter(status=SuggestionStatus.SUGGESTED, broker__isnull=False)
                   .values("broker_id").annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now))))
    figures = {row["broker_id"]: {"open": row["open"], "overdue": row["overdue"], "messages": 0} for row in open_counts}
    for broker_id, n in (Message.objects.filter(created_at__gte=since, suggestion__broker__isnull=False)
                         .exclude(author_id=F("suggestion__broker_id"))
                         .values("suggestion__broker_id").annotate(n=Count("pk"))
                         .values_list("suggestion__broker_id", "n")):
        figures.setdefault(broker_id, {"open": 0, "overdue": 0, "messages": 0})["messages"] = n
    sent = 0
    url = reverse("matchmaking:review-queue")
    for user in User.objects.filter(pk__in=[pk for pk, f in figures.items() if any(f.values())], is_active=True):
        f = figures[user.pk]
        notify(users=[user], kind="broker_digest", url=url, message=lambda f=f: (
            _("Your TechDock day: %(open)d suggestions to review, %(overdue)d overdue") % f,
            _("New messages in your negotiations since yesterday: %(messages)d.") % f))
        sent += 1
    return sent

