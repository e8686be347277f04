"""Rows of the accounts pages and API (``accounts.rules``): approved organisations are public,
pending ones only their members' and the bureau's; an organisation's admins and bureau staff
manage it; only bureau staff decide sign-ups; an invitation's token is the credential, for the
invited email only; each user reads only their own notifications.

None of the nine roles is an admin of enterprise A (``ent_a`` is a plain member; its admin is
another user), so managing enterprise A is the bureau's alone; the university member is the
university's admin, so a university row shows an organisation admin allowed."""

from tests.permission_matrix import (
    ALLOWED,
    BUREAU_ONLY,
    BUREAU_PAGE,
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    OK,
    PUBLIC,
    SIGNED_IN_ALLOWED,
    SIGNED_IN_OK,
    Row,
    only,
    policy,
)


def org(name: str):
    return lambda d: {"pk": getattr(d.w, name).pk}


# Pending organisations: the bureau sees them (and their own members, none of the nine roles).
PENDING_HIDDEN = policy(HIDDEN, bureau=OK)
REASON = {"reason": "matrix"}

ROWS = [
    # --- sign-in, sign-up -------------------------------------------------------------------
    # A signed-in user is sent on to the dashboard (redirect_authenticated_user).
    Row("accounts:login", "GET", PUBLIC),
    Row("accounts:login", "POST", policy(ALLOWED)),
    Row("accounts:logout", "POST", PUBLIC),
    Row("accounts:logout", "GET", policy(NOT_ALLOWED)),
    # Signed-in users are sent to their profile instead of registering another organisation.
    Row("accounts:signup", "GET", PUBLIC),
    Row("accounts:signup", "POST", policy(ALLOWED)),
    Row("accounts:signup-done", "GET", SIGNED_IN_OK),
    # --- profile ---------------------------------------------------------------------------
    Row("accounts:profile", "GET", SIGNED_IN_OK),
    # Only brokers have a profile form to save; anyone else's POST is not a method of the page.
    Row("accounts:profile", "POST", policy(NOT_ALLOWED, anonymous=LOGIN, broker=ALLOWED, other_broker=ALLOWED)),
    # --- organisations ---------------------------------------------------------------------
    Row("accounts:organisation-pending", "GET", BUREAU_PAGE),
    Row("accounts:organisation-detail", "GET", PUBLIC, kwargs=org("ent_a"), obj="approved"),
    Row("accounts:organisation-detail", "GET", PENDING_HIDDEN, kwargs=org("pending_org"), obj="pending"),
    Row("accounts:organisation-edit", "GET", only("bureau", outcome=OK), kwargs=org("ent_a"), obj="ent_a"),
    Row("accounts:organisation-edit", "GET", only("bureau", "university", outcome=OK), kwargs=org("uni"),
        obj="uni (its admin)"),
    Row("accounts:organisation-edit", "GET", policy(HIDDEN, anonymous=LOGIN, bureau=OK), kwargs=org("pending_org"),
        obj="pending"),
    Row("accounts:organisation-edit", "POST", BUREAU_ONLY, kwargs=org("ent_a"), obj="ent_a"),
    Row("accounts:organisation-decide", "POST", BUREAU_ONLY, kwargs=org("pending_org"), obj="pending",
        data=lambda d: {"decision": "approve"}),
    Row("accounts:invitation-create", "POST", BUREAU_ONLY, kwargs=org("ent_a"), obj="ent_a"),
    Row("accounts:invitation-create", "POST", only("bureau", "university"), kwargs=org("uni"),
        obj="uni (its admin)"),
    Row("accounts:membership-remove", "POST", BUREAU_ONLY, obj="ent_a member",
        kwargs=lambda d: {"pk": d.w.ent_a.pk, "membership_pk": d.membership.pk}),
    # --- invitations: the token is the credential, for the invited email's owner ----------------
    # Anonymous visitors see "sign in first" (the investor's email has an account), also on POST.
    Row("accounts:invitation-accept", "GET", policy(FORBIDDEN, anonymous=OK, investor=OK),
        kwargs=lambda d: {"token": d.invitation.token}, obj="investor's"),
    Row("accounts:invitation-accept", "POST", policy(FORBIDDEN, anonymous=OK, investor=ALLOWED),
        kwargs=lambda d: {"token": d.invitation.token}, obj="investor's"),
    Row("accounts:invitation-accept", "GET", policy(HIDDEN), kwargs=lambda d: {"token": "no-such-token"},
        obj="unknown token"),
    # --- notifications ---------------------------------------------------------------------
    Row("accounts:notifications", "GET", SIGNED_IN_OK),
    Row("accounts:notifications-read", "POST", SIGNED_IN_ALLOWED),
    Row("accounts:notification-open", "POST", policy(HIDDEN, anonymous=LOGIN, ent_a=OK),
        kwargs=lambda d: {"pk": d.notification.pk}, obj="ent_a's"),
    # --- API -------------------------------------------------------------------------------
    # No session authentication on the token endpoint: everyone gets 400 for an empty body.
    Row("accounts-api:token", "POST", policy(ALLOWED)),
    Row("accounts-api:organisation-list", "GET", PUBLIC),
    Row("accounts-api:organisation-detail", "GET", PUBLIC, kwargs=org("ent_a"), obj="approved"),
    Row("accounts-api:organisation-detail", "GET", PENDING_HIDDEN, kwargs=org("pending_org"), obj="pending"),
    Row("accounts-api:organisation-detail", "PATCH", BUREAU_ONLY, kwargs=org("ent_a"), obj="ent_a"),
    Row("accounts-api:organisation-detail", "PATCH", only("bureau", "university"), kwargs=org("uni"),
        obj="uni (its admin)"),
    # The API looks the organisation up first: a pending one is a 404 to whoever may not see it.
    Row("accounts-api:organisation-approve", "POST", policy(HIDDEN, anonymous=LOGIN, bureau=ALLOWED),
        kwargs=org("pending_org"), obj="pending"),
    Row("accounts-api:organisation-reject", "POST", policy(HIDDEN, anonymous=LOGIN, bureau=ALLOWED),
        kwargs=org("pending_org"), obj="pending", data=lambda d: REASON),
    Row("accounts-api:organisation-approve", "POST", BUREAU_ONLY, kwargs=org("ent_b"), obj="approved"),
    Row("accounts-api:organisation-reject", "POST", BUREAU_ONLY, kwargs=org("ent_b"), obj="approved",
        data=lambda d: REASON),
]
