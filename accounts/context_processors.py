from accounts.rules import roles_for


def roles(request):
    """Expose the signed-in user's roles to templates as ``roles``."""
    return {"roles": roles_for(getattr(request, "user", None))}
