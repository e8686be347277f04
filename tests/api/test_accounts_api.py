"""Token sign-in and organisations through the API."""

from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.enums import OrganisationStatus
from accounts.models import Organisation
from tests.conftest import PASSWORD


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def names(response) -> list[str]:
    return sorted(item["name_en"] for item in response.json()["results"])


APPROVED = ["Enterprise A", "Enterprise B", "NE Test University", "Shenyang Science and Technology Bureau",
            "Transfer Centre", "VC Fund"]


# --- Token ------------------------------------------------------------------------------------

def test_token_obtain_returns_a_token_that_authenticates(world):
    response = client_for(None).post(reverse("accounts-api:token"),
                                     {"email": "Staff@Ent-A.cn", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = Token.objects.get(user=world.ent_a_member)
    assert response.json() == {"token": token.key}
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    listed = client.get(reverse("catalog-api:requirement-list"))
    assert world.req_restricted.title in [item["title"] for item in listed.json()["results"]]


def test_token_obtain_twice_returns_the_same_token(world):
    client = client_for(None)
    payload = {"email": "staff@ent-a.cn", "password": PASSWORD}

    first = client.post(reverse("accounts-api:token"), payload, format="json").json()["token"]
    second = client.post(reverse("accounts-api:token"), payload, format="json").json()["token"]

    assert first == second
    assert Token.objects.filter(user=world.ent_a_member).count() == 1


def test_token_obtain_with_wrong_password_is_400_with_message(world):
    response = client_for(None).post(reverse("accounts-api:token"),
                                     {"email": "staff@ent-a.cn", "password": "wrong"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to sign in with this email and password."]}
    assert not Token.objects.exists()


def test_token_obtain_for_inactive_user_is_400(world):
    world.ent_a_member.is_active = False
    world.ent_a_member.save(update_fields=["is_active"])

    response = client_for(None).post(reverse("accounts-api:token"),
                                     {"email": "staff@ent-a.cn", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert not Token.objects.exists()


def test_token_obtain_without_fields_is_400_with_field_keys(world):
    response = client_for(None).post(reverse("accounts-api:token"), {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"email", "password"}


# --- Organisations ------------------------------------------------------------------------------

def test_organisation_list_hides_pending_from_others(world):
    url = reverse("accounts-api:organisation-list")

    assert names(client_for(None).get(url)) == APPROVED
    assert names(client_for(world.ent_a_member).get(url)) == APPROVED
    assert names(client_for(world.pending_user).get(url)) == sorted([*APPROVED, "Pending Co"])
    assert names(client_for(world.bureau).get(url)) == sorted([*APPROVED, "Pending Co"])


def test_organisation_list_filters_and_search(world):
    client = client_for(world.bureau)
    url = reverse("accounts-api:organisation-list")

    assert names(client.get(url, {"kind": "university"})) == ["NE Test University"]
    assert names(client.get(url, {"status": "pending"})) == ["Pending Co"]
    assert names(client.get(url, {"search": "企业"})) == ["Enterprise A", "Enterprise B", "Pending Co"]
    assert client.get(url, {"kind": "castle"}).status_code == 400


def test_organisation_retrieve_is_404_for_a_pending_one_and_reason_only_for_insiders(world):
    pending = reverse("accounts-api:organisation-detail", args=[world.pending_org.pk])
    approved = reverse("accounts-api:organisation-detail", args=[world.ent_a.pk])

    assert client_for(None).get(pending).status_code == 404
    assert client_for(world.ent_a_member).get(pending).status_code == 404
    assert "status_reason" in client_for(world.pending_user).get(pending).json()
    assert "status_reason" not in client_for(None).get(approved).json()
    assert "status_reason" in client_for(world.ent_a_member).get(approved).json()


def test_organisation_approve_by_bureau(world):
    url = reverse("accounts-api:organisation-approve", args=[world.pending_org.pk])

    by_outsider = client_for(world.ent_a_member).post(url)
    by_own_admin = client_for(world.pending_user).post(url)
    assert (by_outsider.status_code, by_own_admin.status_code) == (404, 403)
    assert Organisation.objects.get(pk=world.pending_org.pk).status == OrganisationStatus.PENDING

    response = client_for(world.bureau).post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    world.pending_org.refresh_from_db()
    assert (world.pending_org.status, world.pending_org.decided_by_id) == (OrganisationStatus.APPROVED,
                                                                          world.bureau.pk)


def test_organisation_reject_needs_a_reason(world):
    url = reverse("accounts-api:organisation-reject", args=[world.pending_org.pk])
    bureau = client_for(world.bureau)

    no_reason = bureau.post(url, {}, format="json")
    assert (no_reason.status_code, set(no_reason.json())) == (400, {"reason"})
    assert Organisation.objects.get(pk=world.pending_org.pk).status == OrganisationStatus.PENDING

    response = bureau.post(url, {"reason": "信用代码与名称不符"}, format="json")
    assert response.status_code == 200
    world.pending_org.refresh_from_db()
    assert (world.pending_org.status, world.pending_org.status_reason) == (OrganisationStatus.REJECTED,
                                                                          "信用代码与名称不符")


def test_organisation_decide_twice_is_400(world):
    response = client_for(world.bureau).post(reverse("accounts-api:organisation-approve", args=[world.ent_a.pk]))

    assert (response.status_code, response.json()["code"]) == (400, "already_decided")


def test_organisation_patch_by_admin_only(world):
    url = reverse("accounts-api:organisation-detail", args=[world.ent_a.pk])

    by_member = client_for(world.ent_a_member).patch(url, {"address": "浑南区"}, format="json")
    by_other = client_for(world.ent_b_member).patch(url, {"address": "浑南区"}, format="json")
    assert (by_member.status_code, by_other.status_code) == (403, 403)
    assert Organisation.objects.get(pk=world.ent_a.pk).address == ""

    by_admin = client_for(world.ent_a_admin).patch(url, {"address": "浑南区创新路1号"}, format="json")
    assert by_admin.status_code == 200
    assert Organisation.objects.get(pk=world.ent_a.pk).address == "浑南区创新路1号"


def test_organisation_patch_refuses_status_and_bad_credit_code(world):
    url = reverse("accounts-api:organisation-detail", args=[world.ent_a.pk])
    client = client_for(world.ent_a_admin)

    status = client.patch(url, {"status": "approved", "kind": "bureau"}, format="json")
    credit = client.patch(url, {"credit_code": "123"}, format="json")

    assert (status.status_code, set(status.json())) == (400, {"status", "kind"})
    assert (credit.status_code, set(credit.json())) == (400, {"credit_code"})
    organisation = Organisation.objects.get(pk=world.ent_a.pk)
    assert (organisation.kind, organisation.credit_code) == ("enterprise", world.ent_a.credit_code)


def test_organisation_create_is_not_offered(world):
    response = client_for(world.bureau).post(reverse("accounts-api:organisation-list"),
                                             {"kind": "enterprise", "name_zh": "新企业"}, format="json")

    assert response.status_code == 405
