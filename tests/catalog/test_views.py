"""Catalog portal pages: who may open what, which fields each access level renders, and the
lifecycle through the views (create → submit → screen → publish, reject → fix → resubmit,
expert evaluation), bad input and attachments."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.rules import roles_for
from catalog.enums import EvaluationResult, EvaluationStatus, ListingStatus
from catalog.models import Achievement, Attachment, ExpertEvaluation, ListingStatusChange, Requirement
from catalog.rules import fields_for, listing_access
from tests.factories import OrganisationFactory, RequirementFactory, field, member
from tests.pages import html, login

ROLES = ["anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "other_broker", "investor", "expert",
         "pending"]
MEMBERS = set(ROLES) - {"anonymous", "pending"}
LOGIN = 302  # anonymous users are sent to the sign-in page


def codes(default: int, **by_role: int) -> dict[str, int]:
    return {role: by_role.get(role, default) for role in ROLES}


def only(ok: int, roles: set[str], other: int, *, anonymous: int | None = None) -> dict[str, int]:
    table = {role: (ok if role in roles else other) for role in ROLES}
    if anonymous is not None:
        table["anonymous"] = anonymous
    return table


def detail(listing) -> str:
    return reverse(f"catalog:{listing.kind}-detail", kwargs={"pk": listing.pk})


def transition(listing, action: str) -> str:
    return reverse(f"catalog:{listing.kind}-transition", kwargs={"pk": listing.pk, "action": action})


def data_fields(page: str) -> set[str]:
    return set(re.findall(r'data-field="([a-z_]+)"', page))


@pytest.fixture
def evaluation(world):
    return ExpertEvaluation.objects.create(achievement=world.ach_screened, expert=world.expert,
                                          assigned_by=world.bureau)


@pytest.fixture
def members_attachment(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    attachment = Attachment(requirement=world.req_members, original_name="spec.pdf", size=9,
                            uploaded_by=world.ent_a_member)
    attachment.file.save("spec.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return attachment


# --- permission table --------------------------------------------------------------------------

# (page, method, url builder, expected status per role)
PAGES = [
    ("requirement-list", "get", lambda w, e, a: reverse("catalog:requirement-list"), codes(200)),
    ("achievement-list", "get", lambda w, e, a: reverse("catalog:achievement-list"), codes(200)),
    ("detail-req_public", "get", lambda w, e, a: detail(w.req_public), codes(200)),
    ("detail-req_members", "get", lambda w, e, a: detail(w.req_members), codes(200, anonymous=404, pending=404)),
    ("detail-req_restricted", "get", lambda w, e, a: detail(w.req_restricted),
     only(200, {"ent_a", "bureau", "broker"}, 404)),
    ("detail-req_draft", "get", lambda w, e, a: detail(w.req_draft), only(200, {"ent_a", "bureau"}, 404)),
    ("detail-req_rejected_b", "get", lambda w, e, a: detail(w.req_rejected_b), only(200, {"ent_b", "bureau"}, 404)),
    ("detail-ach_public", "get", lambda w, e, a: detail(w.ach_public), codes(200)),
    ("detail-ach_screened", "get", lambda w, e, a: detail(w.ach_screened),
     only(200, {"university", "bureau", "expert"}, 404)),
    ("detail-ach_restricted", "get", lambda w, e, a: detail(w.ach_restricted),
     only(200, {"university", "bureau"}, 404)),
    ("requirement-create", "get", lambda w, e, a: reverse("catalog:requirement-create"),
     only(200, {"ent_a", "ent_b", "bureau"}, 403, anonymous=LOGIN)),
    ("achievement-create", "get", lambda w, e, a: reverse("catalog:achievement-create"),
     only(200, {"university", "bureau"}, 403, anonymous=LOGIN)),
    ("edit-req_draft", "get", lambda w, e, a: reverse("catalog:requirement-edit", kwargs={"pk": w.req_draft.pk}),
     only(200, {"ent_a", "bureau"}, 404, anonymous=LOGIN)),
    ("edit-req_public", "get", lambda w, e, a: reverse("catalog:requirement-edit", kwargs={"pk": w.req_public.pk}),
     only(200, {"bureau"}, 403, anonymous=LOGIN)),
    ("edit-ach_screened", "get",
     lambda w, e, a: reverse("catalog:achievement-edit", kwargs={"pk": w.ach_screened.pk}),
     {**only(404, set(), 404, anonymous=LOGIN), "bureau": 200, "university": 403, "expert": 403}),
    ("withdraw-req_public", "post", lambda w, e, a: transition(w.req_public, "withdraw"),
     only(302, {"ent_a", "bureau"}, 403, anonymous=LOGIN)),
    ("submit-req_draft", "post", lambda w, e, a: transition(w.req_draft, "submit"),
     only(302, {"ent_a", "bureau"}, 404, anonymous=LOGIN)),
    ("publish-ach_screened", "post", lambda w, e, a: transition(w.ach_screened, "publish"),
     {**only(404, set(), 404, anonymous=LOGIN), "bureau": 302, "university": 403, "expert": 403}),
    ("screening", "get", lambda w, e, a: reverse("catalog:screening"), only(200, {"bureau"}, 403, anonymous=LOGIN)),
    ("achievement-evaluation", "get",
     lambda w, e, a: reverse("catalog:achievement-evaluation", kwargs={"pk": w.ach_screened.pk}),
     only(200, {"bureau"}, 403, anonymous=LOGIN)),
    ("evaluation-list", "get", lambda w, e, a: reverse("catalog:evaluation-list"), codes(200, anonymous=LOGIN)),
    ("evaluation-detail", "get", lambda w, e, a: reverse("catalog:evaluation-detail", kwargs={"pk": e.pk}),
     only(200, {"expert", "bureau"}, 404, anonymous=LOGIN)),
    ("attachment-download", "get", lambda w, e, a: reverse("catalog:attachment-download", kwargs={"pk": a.pk}),
     only(200, MEMBERS, 404)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("page", "method", "url", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_catalog_page_permission_table(client, world, evaluation, members_attachment, page, method, url, expected,
                                       role):
    # given a user of one role and the world's listings, an assigned evaluation and a members-only file
    login(client, world, role)
    target = url(world, evaluation, members_attachment)
    # when the page is requested
    response = getattr(client, method)(target)
    # then the status code is exactly the one the role earns
    assert response.status_code == expected[role], (page, role)
    if expected[role] == LOGIN and role == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", ROLES)
def test_withdraw_transition_changes_status_only_for_owner_and_bureau(client, world, role):
    # given the public requirement of enterprise A
    login(client, world, role)
    # when the role posts "withdraw"
    client.post(transition(world.req_public, "withdraw"))
    # then only the owner and the bureau actually withdrew it
    world.req_public.refresh_from_db()
    expected = ListingStatus.WITHDRAWN if role in {"ent_a", "bureau"} else ListingStatus.PUBLISHED
    assert world.req_public.status == expected


REQUIREMENT_TITLES = {
    "公开需求：锂电池回收": set(ROLES),
    "会员需求：机器人焊接": MEMBERS,
    "保密需求：军工涂层": {"ent_a", "bureau", "broker"},
    "草稿需求：未提交": set(),  # drafts are never in the default (live) list
    "被退回需求": set(),
}
ACHIEVEMENT_TITLES = {
    "公开成果：湿法冶金回收": set(ROLES),
    "待评价成果：新型催化剂": set(),
    "保密成果：隐身材料": {"university", "bureau"},
}


@pytest.mark.parametrize("role", ROLES)
def test_listing_lists_show_exactly_the_visible_titles(client, world, role):
    # given a user of one role
    login(client, world, role)
    # when both lists are opened
    requirements = html(client.get(reverse("catalog:requirement-list")))
    achievements = html(client.get(reverse("catalog:achievement-list")))
    # then each title appears only for the roles allowed to see it, and bureau notes never do
    for title, roles in REQUIREMENT_TITLES.items():
        assert (title in requirements) == (role in roles), (title, role)
    for title, roles in ACHIEVEMENT_TITLES.items():
        assert (title in achievements) == (role in roles), (title, role)
    assert "局内备注" not in requirements


@pytest.mark.parametrize("role", ROLES)
def test_requirement_detail_renders_only_fields_of_the_access_level(client, world, role):
    # given the public requirement with a budget and a phone number
    user = login(client, world, role)
    allowed = fields_for(listing_access(user or AnonymousUser(), world.req_public), roles_for(user))
    # when its detail page is opened
    page = html(client.get(detail(world.req_public)))
    # then no rendered field is outside the allowed set, and the gated values follow the access level
    rendered = data_fields(page)
    assert rendered <= allowed
    assert "title" in allowed and "公开需求：锂电池回收" in page
    assert ("024-12345678" in page) == (role in MEMBERS)
    assert ("budget_max" in rendered) == (role in {"ent_a", "bureau"})
    assert ('id="history"' in page) == (role in {"ent_a", "bureau"})
    assert ("description" in rendered) == (role in MEMBERS)


@pytest.mark.parametrize("role", ["ent_a", "bureau", "broker"])
def test_restricted_requirement_internal_note_only_for_bureau(client, world, role):
    # given the restricted requirement with a bureau note, seen by the three roles with full access
    login(client, world, role)
    # when its detail page is opened
    page = html(client.get(detail(world.req_restricted)))
    # then all see the title and the budget, only the bureau sees its note
    assert "保密需求：军工涂层" in page
    assert "budget_max" in data_fields(page)
    assert ("局内备注：重点企业" in page) == (role == "bureau")
    assert ("internal_note" in data_fields(page)) == (role == "bureau")


def test_public_detail_for_anonymous_shows_summary_and_sign_in_note(client, world):
    # given an anonymous visitor
    # when the public requirement is opened
    page = html(client.get(detail(world.req_public)))
    # then only the summary-level fields are rendered, with a link to sign in
    assert world.req_public.summary in page
    assert world.req_public.description not in page
    assert f'{reverse("accounts:login")}?next={detail(world.req_public)}' in page
    assert "contact_name" not in data_fields(page)


def test_evaluation_list_shows_assignments_to_expert_and_bureau_only(client, world, evaluation):
    for role in ROLES[1:]:
        # given a signed-in user of each role
        client.force_login(world.users()[role])
        # when the evaluation list is opened
        page = html(client.get(reverse("catalog:evaluation-list")))
        # then the assigned achievement is listed only for the expert and the bureau
        assert ("待评价成果：新型催化剂" in page) == (role in {"expert", "bureau"}), role


# --- search and filters --------------------------------------------------------------------

def test_requirement_search_finds_chinese_keyword(client, world):
    # given the world's requirements
    # when an anonymous visitor searches for 锂电池
    response = client.get(reverse("catalog:requirement-list"), {"q": "锂电池"})
    # then the public requirement is found and the members-only one is not shown
    titles = [listing.title for listing in response.context["listings"]]
    assert titles == ["公开需求：锂电池回收"]


@pytest.mark.parametrize(("role", "expected"), [("anonymous", []), ("investor", ["会员需求：机器人焊接"])])
def test_requirement_search_respects_confidentiality(client, world, role, expected):
    # given a visitor of one role
    login(client, world, role)
    # when they search for 机器人
    response = client.get(reverse("catalog:requirement-list"), {"q": "机器人"})
    # then the members-only requirement is found for the member only
    assert [listing.title for listing in response.context["listings"]] == expected


def test_requirement_list_ignores_invalid_filter_with_note(client, world):
    # given a list request with a TRL that is not a number
    # when it is opened
    response = client.get(reverse("catalog:requirement-list"), {"trl_min": "abc", "language": "zh-hans"})
    # then the page renders, the bad filter is reported and ignored, the valid one applied
    assert response.status_code == 200
    assert len(response.context["ignored"]) == 1
    assert response.context["filters"].trl_min is None
    assert response.context["filters"].language == "zh-hans"
    assert "公开需求：锂电池回收" in html(response)


def test_requirement_list_filters_by_field_and_trl(client, world):
    # given a public requirement in robotics needing TRL 8
    RequirementFactory(organisation=world.ent_b, title="机器人需求：视觉引导", trl_min=8, fields=[field("robotics")])
    # when filtering by the robotics field and TRL ≥ 7
    response = client.get(reverse("catalog:requirement-list"), {"field": "robotics", "trl_min": "7"})
    # then only that requirement is listed
    assert [listing.title for listing in response.context["listings"]] == ["机器人需求：视觉引导"]


def test_requirement_list_htmx_request_returns_results_partial(client, world):
    # given an HTMX request from the filter form
    # when the list is requested
    response = client.get(reverse("catalog:requirement-list"), {"q": "锂电池"}, headers={"HX-Request": "true"})
    # then only the results block comes back
    page = html(response)
    assert "公开需求：锂电池回收" in page
    assert "<html" not in page and "layout-sidebar" not in page


def test_requirement_list_paginates_and_keeps_query_string(client, world):
    # given 25 more public requirements from enterprise B
    RequirementFactory.create_batch(25, organisation=world.ent_b)
    # when the second page of a region filter is requested
    response = client.get(reverse("catalog:requirement-list"), {"language": "zh-hans", "page": "2"})
    # then it holds the remainder and its links keep the filter
    assert response.context["page_obj"].number == 2
    assert len(response.context["listings"]) == 26 - 20
    assert "language=zh-hans" in html(response)


@pytest.mark.parametrize("count", [1, 3])
def test_requirement_list_query_count_is_bounded(client, db, django_assert_max_num_queries, count):
    # given `count` public requirements and a signed-in member of another enterprise
    RequirementFactory.create_batch(count)
    client.force_login(member(OrganisationFactory(), "enterprise_member"))
    # when the list is rendered (session, user, roles, unread notifications in the nav, taxonomy for the
    # filter form, count, page, fields)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("catalog:requirement-list"))
    # then every requirement is listed, with the same number of queries for 1 and 3
    assert len(response.context["listings"]) == count


# --- lifecycle through the views -----------------------------------------------------------

def requirement_form(**overrides) -> dict:
    data = {
        "title": "新需求：氢燃料电池膜电极",
        "summary": "寻求高性能膜电极制备工艺，功率密度达到1.5W/cm2以上。",
        "description": "现有电堆产线，需要国产化膜电极。",
        "keywords": "氢能、燃料电池，膜电极",
        "fields": [str(field("hydrogen").pk)],
        "cooperation_modes": ["development", "transfer"],
        "trl_min": "4",
        "language": "zh-hans",
        "region": "hunnan",
        "ip_status": "none",
        "confidentiality": "public",
        "budget_min": "100",
        "budget_max": "500",
    }
    data.update(overrides)
    return data


def test_requirement_create_submit_screen_publish_through_views(client, world):
    # given enterprise A's member
    client.force_login(world.ent_a_member)
    # when they save a draft
    response = client.post(reverse("catalog:requirement-create"), requirement_form(save="1"))
    listing = Requirement.objects.get(title="新需求：氢燃料电池膜电极")
    # then it is a draft of enterprise A with the parsed keywords and fields
    assert response.status_code == 302 and response["Location"] == detail(listing)
    assert listing.status == ListingStatus.DRAFT
    assert listing.organisation == world.ent_a and listing.created_by == world.ent_a_member
    assert listing.keywords == ["氢能", "燃料电池", "膜电极"]
    assert listing.cooperation_modes == ["development", "transfer"]
    assert [f.code for f in listing.fields.all()] == ["hydrogen"]

    # when the owner submits it
    client.post(transition(listing, "submit"))
    listing.refresh_from_db()
    assert listing.status == ListingStatus.SUBMITTED

    # when the bureau screens and publishes it
    client.force_login(world.bureau)
    client.post(transition(listing, "screen"))
    listing.refresh_from_db()
    assert listing.status == ListingStatus.SCREENED
    client.post(transition(listing, "publish"))
    listing.refresh_from_db()
    # then it is published and every step is in the audit trail
    assert listing.status == ListingStatus.PUBLISHED
    assert list(ListingStatusChange.objects.filter(kind="requirement", listing_id=listing.pk)
                .values_list("to_status", flat=True)) == ["draft", "submitted", "screened", "published"]
    client.logout()
    assert "新需求：氢燃料电池膜电极" in html(client.get(reverse("catalog:requirement-list")))


def test_requirement_rejected_owner_sees_reason_edits_and_resubmits(client, world):
    # given a requirement saved and submitted at once by enterprise A
    client.force_login(world.ent_a_member)
    client.post(reverse("catalog:requirement-create"), requirement_form(submit="1"))
    listing = Requirement.objects.get(title="新需求：氢燃料电池膜电极")
    assert listing.status == ListingStatus.SUBMITTED
    # when the bureau rejects it with a reason
    client.force_login(world.bureau)
    client.post(transition(listing, "reject"), {"reason": "请补充技术指标"})
    listing.refresh_from_db()
    assert listing.status == ListingStatus.REJECTED and listing.status_reason == "请补充技术指标"
    # then the owner sees the reason and an edit path
    client.force_login(world.ent_a_member)
    page = html(client.get(detail(listing)))
    edit_url = reverse("catalog:requirement-edit", kwargs={"pk": listing.pk})
    assert "请补充技术指标" in page and edit_url in page
    # when the owner edits and resubmits
    response = client.post(edit_url, requirement_form(technical_indicators="功率密度≥1.5W/cm2", submit="1"))
    # then it is submitted again with the new text and the reason cleared
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.status == ListingStatus.SUBMITTED
    assert listing.technical_indicators == "功率密度≥1.5W/cm2" and listing.status_reason == ""


def test_achievement_create_by_university_member(client, world):
    # given the university's member
    client.force_login(world.uni_member)
    data = requirement_form(title="新成果：固态电解质", trl="6", advantages="离子电导率高", save="1")
    del data["trl_min"]
    # when they save a draft achievement
    response = client.post(reverse("catalog:achievement-create"), data)
    # then it belongs to the university, with its TRL and text
    achievement = Achievement.objects.get(title="新成果：固态电解质")
    assert response["Location"] == detail(achievement)
    assert achievement.organisation == world.uni and achievement.trl == 6
    assert achievement.status == ListingStatus.DRAFT and achievement.advantages == "离子电导率高"


def test_reject_without_reason_shows_message_and_keeps_status(client, world):
    # given a submitted requirement
    world.req_draft.status = ListingStatus.SUBMITTED
    world.req_draft.save(update_fields=["status"])
    client.force_login(world.bureau)
    # when the bureau rejects without a reason
    response = client.post(transition(world.req_draft, "reject"), {"reason": "  "}, follow=True)
    # then nothing changes and the error is shown
    world.req_draft.refresh_from_db()
    assert world.req_draft.status == ListingStatus.SUBMITTED
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_achievement_evaluation_assign_score_decide_publishes(client, world):
    achievement = world.ach_screened
    # given the bureau assigns the expert
    client.force_login(world.bureau)
    url = reverse("catalog:achievement-evaluation", kwargs={"pk": achievement.pk})
    client.post(url, {"action": "assign", "expert": world.expert.pk})
    evaluation = ExpertEvaluation.objects.get(achievement=achievement)
    assert evaluation.expert == world.expert and evaluation.status == EvaluationStatus.ASSIGNED
    # when the expert opens and scores it
    client.force_login(world.expert)
    eval_url = reverse("catalog:evaluation-detail", kwargs={"pk": evaluation.pk})
    assert "待评价成果：新型催化剂" in html(client.get(eval_url))
    response = client.post(eval_url, {"novelty": "8", "maturity": "7", "market": "9", "team": "6",
                                      "comment": "创新性强", "recommend": "1"})
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.SUBMITTED and evaluation.total == 7.5
    assert evaluation.recommend is True
    # and the bureau decides "passed"
    client.force_login(world.bureau)
    assert html(client.get(url)).count("7.5") >= 1
    client.post(url, {"action": "decide", "passed": "1", "reason": ""})
    # then the achievement is published with the score
    achievement.refresh_from_db()
    assert achievement.status == ListingStatus.PUBLISHED
    assert achievement.evaluation_result == EvaluationResult.PASSED
    assert achievement.evaluation_score == Decimal("7.50")


def test_evaluation_detail_bureau_is_read_only(client, world, evaluation):
    # given an assigned evaluation
    client.force_login(world.bureau)
    # when the bureau posts scores
    response = client.post(reverse("catalog:evaluation-detail", kwargs={"pk": evaluation.pk}),
                           {"novelty": "1", "maturity": "1", "market": "1", "team": "1"})
    # then it is refused and nothing is scored
    assert response.status_code == 403
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.ASSIGNED and evaluation.novelty is None


def test_broker_assignment_by_bureau(client, world):
    # given the bureau on the public requirement
    client.force_login(world.bureau)
    url = reverse("catalog:requirement-assign-brokers", kwargs={"pk": world.req_public.pk})
    # when it assigns the second broker
    client.post(url, {"brokers": [world.other_broker.pk]})
    # then that broker is assigned; a non-bureau user cannot do the same
    assert list(world.req_public.assigned_brokers.all()) == [world.other_broker]
    client.force_login(world.ent_a_member)
    assert client.post(url, {"brokers": [world.broker.pk]}).status_code == 403
    assert list(world.req_public.assigned_brokers.all()) == [world.other_broker]


# --- bad input -----------------------------------------------------------------------------

def test_requirement_create_with_six_keywords_and_no_field_shows_field_errors(client, world):
    # given enterprise A's member
    client.force_login(world.ent_a_member)
    before = Requirement.objects.count()
    # when the form has six keywords and no field
    response = client.post(reverse("catalog:requirement-create"),
                           requirement_form(keywords="一,二,三,四,五,六", fields=[]))
    # then the form is shown again with errors on those fields and nothing is created
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"keywords", "fields"}
    assert Requirement.objects.count() == before


def test_requirement_create_ignores_mass_assigned_status_and_organisation(client, world):
    # given enterprise A's member posting extra fields
    client.force_login(world.ent_a_member)
    # when status, organisation, created_by and search_text are posted
    client.post(reverse("catalog:requirement-create"), requirement_form(
        status="published", organisation=str(world.ent_b.pk), created_by=str(world.bureau.pk),
        search_text="hack", internal_note="hack"))
    # then they are ignored
    listing = Requirement.objects.get(title="新需求：氢燃料电池膜电极")
    assert listing.status == ListingStatus.DRAFT
    assert listing.organisation == world.ent_a
    assert listing.created_by == world.ent_a_member
    assert listing.internal_note == "" and "hack" not in listing.search_text


def test_bureau_creates_requirement_on_behalf_of_chosen_enterprise(client, world):
    # given bureau staff
    client.force_login(world.bureau)
    # when they post for enterprise B
    client.post(reverse("catalog:requirement-create"), requirement_form(owner_org=str(world.ent_b.pk),
                                                                        provenance="survey"))
    # then the listing belongs to enterprise B and records its provenance
    listing = Requirement.objects.get(title="新需求：氢燃料电池膜电极")
    assert listing.organisation == world.ent_b and listing.provenance == "survey"


def test_model_validation_error_maps_to_field(client, world):
    # given enterprise A's member
    client.force_login(world.ent_a_member)
    # when the budget maximum is below the minimum
    response = client.post(reverse("catalog:requirement-create"), requirement_form(budget_min="500",
                                                                                   budget_max="100"))
    # then the error sits on budget_max and nothing is created
    assert "budget_max" in response.context["form"].errors
    assert not Requirement.objects.filter(title="新需求：氢燃料电池膜电极").exists()


# --- attachments ---------------------------------------------------------------------------

def test_attachment_upload_refuses_exe(client, world, settings, tmp_path):
    # given the owner of the members-only requirement
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(world.ent_a_member)
    url = reverse("catalog:attachment-upload", kwargs={"kind": "requirement", "pk": world.req_members.pk})
    # when they upload an .exe
    response = client.post(url, {"file": SimpleUploadedFile("tool.exe", b"MZ\x90\x00")}, follow=True)
    # then it is refused with a message
    assert not Attachment.objects.exists()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_attachment_pdf_downloads_for_member_not_anonymous(client, world, settings, tmp_path):
    # given the owner uploads a pdf to the members-only requirement
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(world.ent_a_member)
    url = reverse("catalog:attachment-upload", kwargs={"kind": "requirement", "pk": world.req_members.pk})
    client.post(url, {"file": SimpleUploadedFile("spec.pdf", b"%PDF-1.4 spec", content_type="application/pdf")})
    attachment = Attachment.objects.get()
    assert attachment.requirement == world.req_members and attachment.original_name == "spec.pdf"
    download = reverse("catalog:attachment-download", kwargs={"pk": attachment.pk})
    # when a member of another organisation downloads it
    client.force_login(world.investor)
    response = client.get(download)
    # then the file streams; an anonymous visitor gets 404
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 spec"
    assert 'filename="spec.pdf"' in response["Content-Disposition"]
    client.logout()
    assert client.get(download).status_code == 404


def test_requirement_list_mine_shows_own_listings_in_every_status(client, world):
    # given enterprise A's member
    client.force_login(world.ent_a_member)
    url = reverse("catalog:requirement-list")
    # when they ask for their organisation's listings, then for its drafts only
    mine = {listing.title for listing in client.get(url, {"mine": "1"}).context["listings"]}
    drafts = [listing.title for listing in client.get(url, {"mine": "1", "status": "draft"}).context["listings"]]
    # then all of enterprise A's listings are there, none of enterprise B's, and the status filter applies
    assert mine == {"公开需求：锂电池回收", "会员需求：机器人焊接", "保密需求：军工涂层", "草稿需求：未提交"}
    assert drafts == ["草稿需求：未提交"]


def test_requirement_list_status_filter_ignored_outside_mine_for_non_bureau(client, world):
    # given enterprise A's member asking for drafts without "mine"
    client.force_login(world.ent_a_member)
    response = client.get(reverse("catalog:requirement-list"), {"status": "draft"})
    # then the status filter is not applied: only live listings are listed
    assert "草稿需求：未提交" not in {listing.title for listing in response.context["listings"]}
    # while the bureau can list every submitted-or-not listing by status
    client.force_login(world.bureau)
    response = client.get(reverse("catalog:requirement-list"), {"status": "rejected"})
    assert [listing.title for listing in response.context["listings"]] == ["被退回需求"]
