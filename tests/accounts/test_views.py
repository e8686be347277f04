"""Account pages: sign-in, sign-up, approvals, invitations, organisation page, profile."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.enums import OrganisationKind, OrganisationStatus, Role
from accounts.models import BrokerProfile, Invitation, Membership, Organisation, User
from tests.conftest import PASSWORD
from tests.factories import make_credit_code

NEW_PASSWORD = "Kx9-dock-Shenyang-77"


@pytest.fixture
def client(client):
    # Assertions on messages read the English source strings, whatever the locale files say.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def signup_data(**overrides) -> dict:
    data = {
        "kind": OrganisationKind.ENTERPRISE, "name_zh": "新申请企业", "name_en": "Applicant Co",
        "credit_code": make_credit_code(), "region": "hunnan", "address": "浑南区创新路1号",
        "website": "https://applicant.example.cn", "description": "储能材料",
        "admin_email": "boss@applicant.cn", "admin_full_name": "王经理", "admin_phone": "13800000000",
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


# --- sign-in ----------------------------------------------------------------------------

def test_login_with_email_and_password_redirects_to_dashboard(client, world):
    response = client.post(reverse("accounts:login"),
                           {"username": world.ent_a_member.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("portal:dashboard")
    assert signed_in_user_id(client) == world.ent_a_member.pk


def test_login_wrong_password_fails_with_message(client, world):
    response = client.post(reverse("accounts:login"),
                           {"username": world.ent_a_member.email, "password": "not-the-password"})

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert response.context["form"].non_field_errors()
    assert "Please enter a correct email and password" in response.content.decode()


def test_logout_signs_out_on_post_only(client, world):
    client.force_login(world.ent_a_member)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert signed_in_user_id(client) == world.ent_a_member.pk

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert signed_in_user_id(client) is None


# --- sign-up ----------------------------------------------------------------------------

def test_signup_creates_pending_organisation_with_admin_membership(client, world,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:signup"), signup_data())

    assert response.status_code == 302
    assert response.url == reverse("accounts:signup-done")
    org = Organisation.objects.get(name_zh="新申请企业")
    assert org.status == OrganisationStatus.PENDING
    user = User.objects.get(email="boss@applicant.cn")
    assert user.full_name == "王经理"
    assert user.check_password(NEW_PASSWORD)
    assert list(Membership.objects.filter(organisation=org).values_list("user_id", "role", "is_admin")) == [
        (user.pk, Role.ENTERPRISE_MEMBER, True)
    ]
    assert signed_in_user_id(client) == user.pk
    # the bureau is told about the application
    assert [m.to for m in mail.outbox] == [[world.bureau.email]]
    assert "新申请企业" in mail.outbox[0].subject
    assert reverse("accounts:organisation-pending") in mail.outbox[0].body

    page = client.get(response.url)
    assert "awaiting approval by the bureau" in page.content.decode()


def test_signup_enterprise_without_credit_code_gets_field_error_and_creates_nothing(client, world):
    orgs_before = Organisation.objects.count()

    response = client.post(reverse("accounts:signup"), signup_data(credit_code=""))

    assert response.status_code == 400
    assert "credit_code" in response.context["form"].errors
    assert Organisation.objects.count() == orgs_before
    assert not User.objects.filter(email="boss@applicant.cn").exists()
    assert signed_in_user_id(client) is None


def test_signup_university_needs_no_credit_code(client, db):
    response = client.post(reverse("accounts:signup"),
                           signup_data(kind=OrganisationKind.UNIVERSITY, credit_code=""))

    assert response.status_code == 302
    org = Organisation.objects.get(name_zh="新申请企业")
    assert (org.kind, org.status) == (OrganisationKind.UNIVERSITY, OrganisationStatus.PENDING)
    assert org.memberships.get().role == Role.UNIVERSITY_MEMBER


def test_signup_taken_email_is_a_field_error_and_rolls_back(client, world):
    orgs_before = Organisation.objects.count()

    response = client.post(reverse("accounts:signup"), signup_data(admin_email=world.ent_a_member.email))

    assert response.status_code == 400
    assert "admin_email" in response.context["form"].errors
    assert Organisation.objects.count() == orgs_before


def test_signup_signed_in_user_is_sent_to_profile(client, world):
    client.force_login(world.ent_a_member)

    response = client.post(reverse("accounts:signup"), signup_data())

    assert response.status_code == 302
    assert response.url == reverse("accounts:profile")
    assert not User.objects.filter(email="boss@applicant.cn").exists()


def test_signup_refuses_bureau_kind_and_mismatched_passwords(client, db):
    response = client.post(reverse("accounts:signup"),
                           signup_data(kind=OrganisationKind.BUREAU, password2="something-else-42"))

    errors = response.context["form"].errors
    assert response.status_code == 400
    assert "kind" in errors
    assert "password2" in errors
    assert not Organisation.objects.exists()


# --- bureau approvals -------------------------------------------------------------------

@pytest.mark.parametrize("who", ["ent_a", "university", "broker", "investor", "expert", "pending"])
def test_organisation_pending_is_forbidden_for_non_bureau_roles(client, world, who):
    client.force_login(world.users()[who])

    assert client.get(reverse("accounts:organisation-pending")).status_code == 403
    response = client.post(reverse("accounts:organisation-decide", args=[world.pending_org.pk]),
                           {"decision": "approve"})
    assert response.status_code == 403
    world.pending_org.refresh_from_db()
    assert world.pending_org.status == OrganisationStatus.PENDING


def test_organisation_pending_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(reverse("accounts:organisation-pending"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_organisation_pending_lists_only_pending_organisations(client, world):
    client.force_login(world.bureau)

    response = client.get(reverse("accounts:organisation-pending"))

    assert response.status_code == 200
    assert [org.pk for org in response.context["organisations"]] == [world.pending_org.pk]
    content = response.content.decode()
    assert world.pending_org.name_zh in content
    assert world.pending_user.email in content  # the applicant, so the bureau can call them


def test_organisation_decide_approve_updates_organisation_and_emails_admins(
        client, world, django_capture_on_commit_callbacks):
    client.force_login(world.bureau)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:organisation-decide", args=[world.pending_org.pk]),
                               {"decision": "approve"})

    assert response.status_code == 302
    assert response.url == reverse("accounts:organisation-pending")
    world.pending_org.refresh_from_db()
    assert world.pending_org.status == OrganisationStatus.APPROVED
    assert world.pending_org.decided_by == world.bureau
    assert [m.to for m in mail.outbox] == [[world.pending_user.email]]
    assert reverse("accounts:login") in mail.outbox[0].body


def test_organisation_decide_reject_needs_a_reason(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.bureau)
    url = reverse("accounts:organisation-decide", args=[world.pending_org.pk])

    client.post(url, {"decision": "reject", "reason": ""})
    world.pending_org.refresh_from_db()
    assert world.pending_org.status == OrganisationStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"decision": "reject", "reason": "营业执照与名称不符"})
    world.pending_org.refresh_from_db()
    assert world.pending_org.status == OrganisationStatus.REJECTED
    assert world.pending_org.status_reason == "营业执照与名称不符"
    assert [m.to for m in mail.outbox] == [[world.pending_user.email]]
    assert "营业执照与名称不符" in mail.outbox[0].body


def test_organisation_decide_htmx_returns_the_decided_card(client, world):
    client.force_login(world.bureau)

    response = client.post(reverse("accounts:organisation-decide", args=[world.pending_org.pk]),
                           {"decision": "approve"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith(f'<article class="card" id="pending-org-{world.pending_org.pk}"')
    assert "<form" not in content
    assert "<html" not in content
    world.pending_org.refresh_from_db()
    assert world.pending_org.status == OrganisationStatus.APPROVED


def test_organisation_decide_htmx_refusal_stays_in_the_card(client, world):
    client.force_login(world.bureau)

    response = client.post(reverse("accounts:organisation-decide", args=[world.pending_org.pk]),
                           {"decision": "reject"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Give a reason for the rejection." in response.content.decode()
    world.pending_org.refresh_from_db()
    assert world.pending_org.status == OrganisationStatus.PENDING


# --- invitations ------------------------------------------------------------------------

def invite(client, org, **data) -> object:
    return client.post(reverse("accounts:invitation-create", args=[org.pk]), data)


def test_invitation_flow_creates_user_and_membership(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.ent_a_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, world.ent_a, email="Newcomer@Ent-A.cn", role=Role.ENTERPRISE_MEMBER)

    assert response.status_code == 302
    invitation = Invitation.objects.get(organisation=world.ent_a)
    assert (invitation.email, invitation.role, invitation.is_admin) == ("newcomer@ent-a.cn", Role.ENTERPRISE_MEMBER,
                                                                        False)
    assert [m.to for m in mail.outbox] == [["newcomer@ent-a.cn"]]
    link = reverse("accounts:invitation-accept", args=[invitation.token])
    assert link in mail.outbox[0].body
    assert world.ent_a.name_zh in mail.outbox[0].subject

    client.logout()
    form_page = client.get(link)
    assert form_page.status_code == 200
    assert "form" in form_page.context
    response = client.post(link, {"full_name": "新同事", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("accounts:organisation-detail", args=[world.ent_a.pk])
    user = User.objects.get(email="newcomer@ent-a.cn")
    assert user.full_name == "新同事"
    assert Membership.objects.filter(user=user, organisation=world.ent_a, role=Role.ENTERPRISE_MEMBER).exists()
    assert signed_in_user_id(client) == user.pk
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_invitation_create_offers_only_roles_of_the_organisation_kind(client, world):
    client.force_login(world.ent_a_admin)

    page = client.get(reverse("accounts:organisation-detail", args=[world.ent_a.pk]))
    choices = {value for value, _label in page.context["invite_form"].fields["role"].choices}
    assert choices == {Role.ENTERPRISE_MEMBER, Role.EXPERT}

    response = invite(client, world.ent_a, email="x@ent-a.cn", role=Role.UNIVERSITY_MEMBER)
    assert response.status_code == 400
    assert "role" in response.context["invite_form"].errors
    assert not Invitation.objects.exists()


def test_invitation_create_is_forbidden_for_non_admin_members(client, world):
    client.force_login(world.ent_a_member)

    response = invite(client, world.ent_a, email="x@ent-a.cn", role=Role.ENTERPRISE_MEMBER)

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def make_invitation(world, **kwargs) -> Invitation:
    kwargs = {"organisation": world.ent_a, "email": "invitee@example.cn", "role": Role.EXPERT,
              "invited_by": world.ent_a_admin, **kwargs}
    return Invitation.objects.create(**kwargs)


def test_invitation_accept_refuses_a_different_signed_in_user(client, world):
    invitation = make_invitation(world)
    client.force_login(world.ent_b_member)
    link = reverse("accounts:invitation-accept", args=[invitation.token])

    assert client.get(link).status_code == 403
    response = client.post(link)

    assert response.status_code == 403
    assert not Membership.objects.filter(user=world.ent_b_member, organisation=world.ent_a).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_invitation_accept_signed_in_invitee_joins(client, world):
    invitation = make_invitation(world, email=world.ent_b_member.email)
    client.force_login(world.ent_b_member)

    response = client.post(reverse("accounts:invitation-accept", args=[invitation.token]))

    assert response.status_code == 302
    assert Membership.objects.filter(user=world.ent_b_member, organisation=world.ent_a, role=Role.EXPERT).exists()


def test_invitation_accept_existing_account_must_sign_in_first(client, world):
    invitation = make_invitation(world, email=world.ent_b_member.email)
    link = reverse("accounts:invitation-accept", args=[invitation.token])

    response = client.get(link)

    assert response.context["sign_in_first"] is True
    assert "form" not in response.context
    assert response.context["login_url"] == reverse("accounts:login") + "?next=" + link


def test_invitation_accept_expired_token_is_refused(client, world):
    invitation = make_invitation(world, expires_at=timezone.now() - timedelta(minutes=1))
    link = reverse("accounts:invitation-accept", args=[invitation.token])

    response = client.post(link, {"full_name": "迟到者", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == 410
    assert "This invitation has expired." in response.content.decode()
    assert not User.objects.filter(email="invitee@example.cn").exists()


def test_invitation_accept_used_token_is_refused(client, world):
    invitation = make_invitation(world, email=world.ent_b_member.email, accepted_at=timezone.now())
    client.force_login(world.ent_b_member)

    response = client.post(reverse("accounts:invitation-accept", args=[invitation.token]))

    assert response.status_code == 410
    assert not Membership.objects.filter(user=world.ent_b_member, organisation=world.ent_a).exists()


def test_invitation_accept_unknown_token_is_404(client, db):
    response = client.get(reverse("accounts:invitation-accept", args=["no-such-token"]))

    assert response.status_code == 404
    assert "We do not know this invitation link." in response.content.decode()


# --- organisation page ------------------------------------------------------------------

ENT_A_EMAILS = ("admin@ent-a.cn", "staff@ent-a.cn")


@pytest.mark.parametrize("who", ["anonymous", "ent_b", "university", "broker", "investor"])
def test_organisation_detail_hides_members_from_non_members(client, world, who):
    if world.users()[who]:
        client.force_login(world.users()[who])

    response = client.get(reverse("accounts:organisation-detail", args=[world.ent_a.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert world.ent_a.name_zh in content
    for email in ENT_A_EMAILS:
        assert email not in content
    assert response.context["invite_form"] is None


@pytest.mark.parametrize("who", ["ent_a", "bureau"])
def test_organisation_detail_shows_members_to_members_and_bureau(client, world, who):
    client.force_login(world.users()[who])

    content = client.get(reverse("accounts:organisation-detail", args=[world.ent_a.pk])).content.decode()

    for email in ENT_A_EMAILS:
        assert email in content


def test_organisation_detail_admin_sees_invite_form_and_open_invitations(client, world):
    make_invitation(world)
    client.force_login(world.ent_a_admin)

    response = client.get(reverse("accounts:organisation-detail", args=[world.ent_a.pk]))

    assert response.context["invite_form"] is not None
    assert "invitee@example.cn" in response.content.decode()


def test_organisation_detail_pending_organisation_is_404_for_outsiders(client, world):
    client.force_login(world.ent_b_member)

    assert client.get(reverse("accounts:organisation-detail", args=[world.pending_org.pk])).status_code == 404


def test_membership_remove_by_admin_deletes_membership(client, world):
    membership = Membership.objects.get(user=world.ent_a_member, organisation=world.ent_a)
    client.force_login(world.ent_a_admin)

    response = client.post(reverse("accounts:membership-remove", args=[world.ent_a.pk, membership.pk]))

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_membership_remove_is_forbidden_for_non_admins(client, world):
    membership = Membership.objects.get(user=world.ent_a_admin, organisation=world.ent_a)
    client.force_login(world.ent_a_member)

    response = client.post(reverse("accounts:membership-remove", args=[world.ent_a.pk, membership.pk]))

    assert response.status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_membership_remove_keeps_the_last_admin(client, world):
    membership = Membership.objects.get(user=world.ent_b_member, organisation=world.ent_b)
    client.force_login(world.ent_b_member)

    response = client.post(reverse("accounts:membership-remove", args=[world.ent_b.pk, membership.pk]),
                           follow=True)

    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "An organisation needs at least one admin." in response.content.decode()


def test_organisation_edit_saves_profile_for_admin(client, world):
    client.force_login(world.ent_a_admin)
    data = {"name_zh": "甲企业（新名）", "name_en": "Enterprise A", "credit_code": world.ent_a.credit_code,
            "region": "tiexi", "address": "铁西区", "website": "", "description": "装备制造"}

    response = client.post(reverse("accounts:organisation-edit", args=[world.ent_a.pk]), data)

    assert response.status_code == 302
    world.ent_a.refresh_from_db()
    assert (world.ent_a.name_zh, world.ent_a.region, world.ent_a.description) == ("甲企业（新名）", "tiexi", "装备制造")


def test_organisation_edit_enterprise_credit_code_stays_required(client, world):
    client.force_login(world.ent_a_admin)
    data = {"name_zh": "甲企业", "credit_code": "", "region": "tiexi"}

    response = client.post(reverse("accounts:organisation-edit", args=[world.ent_a.pk]), data)

    assert response.status_code == 400
    assert "credit_code" in response.context["form"].errors
    world.ent_a.refresh_from_db()
    assert world.ent_a.credit_code


def test_organisation_edit_is_forbidden_for_non_admins(client, world):
    client.force_login(world.ent_a_member)

    response = client.post(reverse("accounts:organisation-edit", args=[world.ent_a.pk]),
                           {"name_zh": "被篡改", "credit_code": world.ent_a.credit_code, "region": "other"})

    assert response.status_code == 403
    world.ent_a.refresh_from_db()
    assert world.ent_a.name_zh == "甲企业"


# --- profile ----------------------------------------------------------------------------

def test_profile_lists_organisations_with_roles_and_pending_notice(client, world):
    client.force_login(world.pending_user)

    response = client.get(reverse("accounts:profile"))

    content = response.content.decode()
    assert [m.organisation_id for m in response.context["memberships"]] == [world.pending_org.pk]
    assert world.pending_org.name_en in content  # English display name: the client reads English
    assert "Awaiting approval by the bureau." in content
    assert response.context["broker_form"] is None


def test_profile_broker_edits_capacity_and_availability(client, world):
    client.force_login(world.broker)

    response = client.post(reverse("accounts:profile"), {"capacity": "12", "bio": "储能方向经纪人"})

    assert response.status_code == 302
    profile = BrokerProfile.objects.get(user=world.broker)
    assert (profile.capacity, profile.is_active, profile.bio) == (12, False, "储能方向经纪人")


def test_profile_broker_capacity_out_of_range_is_a_field_error(client, world):
    client.force_login(world.broker)

    response = client.post(reverse("accounts:profile"), {"capacity": "0", "is_active": "on"})

    assert response.status_code == 400
    assert "capacity" in response.context["broker_form"].errors
    assert BrokerProfile.objects.get(user=world.broker).capacity == 30
