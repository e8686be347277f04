"""Helpers for tests that read portal pages."""


def login(client, world, role: str):
    """Sign ``client`` in as ``world``'s user for ``role`` (none for "anonymous"); the user."""
    user = world.users()[role]
    if user is not None:
        client.force_login(user)
    return user


def html(response) -> str:
    return response.content.decode()
