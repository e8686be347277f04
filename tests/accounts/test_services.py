import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.enums import OrganisationKind, OrganisationStatus, Role
from accounts.models import Membership, Organisation, User, credit_code_check_digit, validate_credit_code
from accounts.rules import roles_for
from accounts.services import (
    invitation_accept,
    invitation_create,
    membership_remove,
    organisation_decide,
    organisation_signup,
)
from common.errors import ApplicationError, PermissionDenied


def _code(body="91210100MA0XXXXX1"):
    return body + credit_code_check_digit(body)


def test_credit_code_validation_checks_the_check_digit():
    good = _code()
    validate_credit_code(good)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationError):
        validate_credit_code(bad)


def test_signup_creates_pending_org_with_admin_and_mails_bureau(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        org = organisation_signup(kind=OrganisationKind.ENTERPRISE, name_zh="沈阳新材料有限公司", credit_code=_code(),
                                  admin_email="Boss@NewMat.cn", admin_password="Str0ng-pass-2026")
    assert org.status == OrganisationStatus.PENDING
    user = User.objects.get(email="boss@newmat.cn")
    assert Membership.objects.filter(user=user, organisation=org, is_admin=True, role=Role.ENTERPRISE_MEMBER).exists()
    assert roles_for(user).is_member is False
    assert [m.to for m in mail.outbox] == [["bureau@example.cn"]]


def test_signup_enterprise_without_credit_code_creates_nothing(db):
    with pytest.raises(ValidationError) as exc:
        organisation_signup(kind=OrganisationKind.ENTERPRISE, name_zh="无代码企业", admin_email="x@y.cn",
                            admin_password="Str0ng-pass-2026")
    assert "credit_code" in exc.value.message_dict
    assert not Organisation.objects.filter(name_zh="无代码企业").exists()
    assert not User.objects.filter(email="x@y.cn").exists()


def test_signup_weak_password_creates_nothing(db):
    with pytest.raises(ValidationError):
        organisation_signup(kind=OrganisationKind.UNIVERSITY, name_zh="弱密码大学", admin_email="w@uni.cn",
                            admin_password="123")
    assert not Organisation.objects.filter(name_zh="弱密码大学").exists()


def test_organisation_decide_only_by_bureau_and_only_once(world):
    with pytest.raises(PermissionDenied):
        organisation_decide(actor=world.ent_a_admin, organisation=world.pending_org, approve=True)
    with pytest.raises(ApplicationError):
        organisation_decide(actor=world.bureau, organisation=world.pending_org, approve=False, reason="")
    organisation_decide(actor=world.bureau, organisation=world.pending_org, approve=True)
    world.pending_org.refresh_from_db()
    assert world.pending_org.status == OrganisationStatus.APPROVED
    assert world.pending_org.decided_by == world.bureau
    with pytest.raises(ApplicationError):
        organisation_decide(actor=world.bureau, organisation=world.pending_org, approve=False, reason="x")


def test_invitation_flow_creates_member(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inv = invitation_create(actor=world.ent_a_admin, organisation=world.ent_a, email="New@Ent-A.cn",
                                role=Role.ENTERPRISE_MEMBER)
    assert len(mail.outbox) == 1 and inv.token in mail.outbox[0].body
    user = invitation_accept(invitation=inv, password="Str0ng-pass-2026", full_name="新同事")
    assert roles_for(user).requirement_org_ids == [world.ent_a.pk]
    with pytest.raises(ApplicationError):
        invitation_accept(invitation=inv, password="Str0ng-pass-2026")


def test_invitation_rules(world):
    with pytest.raises(PermissionDenied):  # not an admin
        invitation_create(actor=world.ent_a_member, organisation=world.ent_a, email="a@b.cn",
                          role=Role.ENTERPRISE_MEMBER)
    with pytest.raises(PermissionDenied):  # only the bureau grants bureau staff
        invitation_create(actor=world.ent_a_admin, organisation=world.ent_a, email="a@b.cn", role=Role.BUREAU_STAFF)
    with pytest.raises(ApplicationError):  # no brokers in an enterprise
        invitation_create(actor=world.ent_a_admin, organisation=world.ent_a, email="a@b.cn", role=Role.BROKER)
    with pytest.raises(PermissionDenied):  # a pending organisation's admin is no admin yet
        invitation_create(actor=world.pending_user, organisation=world.pending_org, email="a@b.cn",
                          role=Role.ENTERPRISE_MEMBER)


def test_invitation_for_another_email_is_refused(world):
    inv = invitation_create(actor=world.ent_a_admin, organisation=world.ent_a, email="someone@ent-a.cn",
                            role=Role.ENTERPRISE_MEMBER)
    with pytest.raises(PermissionDenied):
        invitation_accept(invitation=inv, user=world.ent_b_member)
    assert not Membership.objects.filter(user=world.ent_b_member, organisation=world.ent_a).exists()


def test_last_admin_cannot_be_removed(world):
    admin_membership = Membership.objects.get(user=world.ent_a_admin, organisation=world.ent_a)
    with pytest.raises(ApplicationError):
        membership_remove(actor=world.ent_a_admin, membership=admin_membership)
    staff = Membership.objects.get(user=world.ent_a_member, organisation=world.ent_a)
    membership_remove(actor=world.ent_a_admin, membership=staff)
    assert not Membership.objects.filter(pk=staff.pk).exists()
