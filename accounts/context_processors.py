from django.utils.functional import SimpleLazyObject

from accounts.rules import roles_for
from accounts.selectors import notification_unread_count


def roles(request):
    """Expose the signed-in user's roles to templates as ``roles``, and the number of unread
    notifications as ``unread_notifications`` (one query, only when a template reads it)."""
    user = getattr(request, "user", None)
    context = {"roles": roles_for(user)}
    if user is not None and user.is_authenticated:
        context["unread_notifications"] = SimpleLazyObject(lambda: notification_unread_count(user=user))
    return context
