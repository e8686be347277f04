"""Cross-app fixtures. ``world`` builds one user per role and listings each role must or must
not see, so permission tests always run against data that has to stay hidden."""

import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts.enums import OrganisationKind, OrganisationStatus, Role
from catalog.enums import Confidentiality, ListingStatus
from tests.factories import AchievementFactory, OrganisationFactory, RequirementFactory, UserFactory, member

PASSWORD = "pw-Techdock-2026"


def pytest_configure(config):
    from django.conf import settings

    # PBKDF2 at 1M rounds costs ~0.5 s a login on 2 cores; tests do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production (PostgreSQL) settings use WhiteNoise's manifest, which needs collectstatic.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # Publishing a listing would load the encoder in every test that publishes; the matching
    # tests turn incremental matching back on where they exercise it.
    settings.TECHDOCK_INCREMENTAL_MATCHING = False
    # Index files of the test databases stay out of the project's var/ (workers inherit the env).
    import tempfile

    var_dir = tempfile.mkdtemp(prefix="techdock-test-var-")
    settings.VAR_DIR = Path(var_dir)
    os.environ["TECHDOCK_VAR_DIR"] = var_dir
    os.environ["TECHDOCK_INCREMENTAL_MATCHING"] = "0"
    # Tasks run in-process unless a test starts a real worker (tests/integration).
    from config.celery import app

    app.conf.task_always_eager = True


def services_required() -> bool:
    """In CI a test that needs PostgreSQL, Redis or a worker fails instead of skipping."""
    return os.environ.get("TECHDOCK_REQUIRE_SERVICES", "") == "1" or os.environ.get("CI") == "true"


@dataclass
class World:
    bureau_org: object
    ent_a: object
    ent_b: object
    uni: object
    agency: object
    investor_org: object
    pending_org: object
    # users
    bureau: object
    ent_a_admin: object
    ent_a_member: object
    ent_b_member: object
    uni_member: object
    broker: object  # assigned to the restricted requirement
    other_broker: object  # not assigned
    investor: object
    expert: object
    pending_user: object
    # listings
    req_public: object
    req_members: object
    req_restricted: object
    req_draft: object
    req_rejected_b: object
    ach_public: object
    ach_screened: object
    ach_restricted: object

    def users(self) -> dict:
        return {
            "anonymous": None, "ent_a": self.ent_a_member, "ent_b": self.ent_b_member, "university": self.uni_member,
            "bureau": self.bureau, "broker": self.broker, "other_broker": self.other_broker,
            "investor": self.investor, "expert": self.expert, "pending": self.pending_user,
        }


@pytest.fixture
def world(db) -> World:
    bureau_org = OrganisationFactory(kind=OrganisationKind.BUREAU, name_zh="沈阳市科学技术局",
                                     name_en="Shenyang Science and Technology Bureau", credit_code="")
    ent_a = OrganisationFactory(name_zh="甲企业", name_en="Enterprise A")
    ent_b = OrganisationFactory(name_zh="乙企业", name_en="Enterprise B")
    uni = OrganisationFactory(kind=OrganisationKind.UNIVERSITY, name_zh="东北测试大学", name_en="NE Test University",
                              credit_code="")
    agency = OrganisationFactory(kind=OrganisationKind.AGENCY, name_zh="技术转移中心", name_en="Transfer Centre",
                                 credit_code="")
    investor_org = OrganisationFactory(kind=OrganisationKind.INVESTOR, name_zh="创投基金", name_en="VC Fund",
                                       credit_code="")
    pending_org = OrganisationFactory(name_zh="待审企业", name_en="Pending Co", status=OrganisationStatus.PENDING)

    bureau = member(bureau_org, Role.BUREAU_STAFF, is_admin=True, email="bureau@example.cn")
    ent_a_admin = member(ent_a, Role.ENTERPRISE_MEMBER, is_admin=True, email="admin@ent-a.cn")
    ent_a_member = member(ent_a, Role.ENTERPRISE_MEMBER, email="staff@ent-a.cn")
    ent_b_member = member(ent_b, Role.ENTERPRISE_MEMBER, is_admin=True, email="staff@ent-b.cn")
    uni_member = member(uni, Role.UNIVERSITY_MEMBER, is_admin=True, email="prof@uni.edu.cn")
    broker = member(agency, Role.BROKER, email="broker@agency.cn")
    other_broker = member(agency, Role.BROKER, email="broker2@agency.cn")
    investor = member(investor_org, Role.INVESTOR, email="vc@fund.cn")
    expert = member(agency, Role.EXPERT, email="expert@agency.cn")
    pending_user = member(pending_org, Role.ENTERPRISE_MEMBER, is_admin=True, email="new@pending.cn")

    req_public = RequirementFactory(organisation=ent_a, title="公开需求：锂电池回收", budget_max=300,
                                    contact_phone="024-12345678")
    req_members = RequirementFactory(organisation=ent_a, title="会员需求：机器人焊接",
                                     confidentiality=Confidentiality.MEMBERS)
    req_restricted = RequirementFactory(organisation=ent_a, title="保密需求：军工涂层",
                                        confidentiality=Confidentiality.RESTRICTED,
                                        internal_note="局内备注：重点企业")
    req_restricted.assigned_brokers.add(broker)
    req_draft = RequirementFactory(organisation=ent_a, title="草稿需求：未提交", status=ListingStatus.DRAFT)
    req_rejected_b = RequirementFactory(organisation=ent_b, title="被退回需求", status=ListingStatus.REJECTED,
                                        status_reason="信息不完整")
    ach_public = AchievementFactory(organisation=uni, title="公开成果：湿法冶金回收")
    ach_screened = AchievementFactory(organisation=uni, title="待评价成果：新型催化剂",
                                      status=ListingStatus.SCREENED, evaluation_result="pending")
    ach_restricted = AchievementFactory(organisation=uni, title="保密成果：隐身材料",
                                        confidentiality=Confidentiality.RESTRICTED)
    return World(
        bureau_org=bureau_org, ent_a=ent_a, ent_b=ent_b, uni=uni, agency=agency, investor_org=investor_org,
        pending_org=pending_org, bureau=bureau, ent_a_admin=ent_a_admin, ent_a_member=ent_a_member,
        ent_b_member=ent_b_member, uni_member=uni_member, broker=broker, other_broker=other_broker,
        investor=investor, expert=expert, pending_user=pending_user, req_public=req_public,
        req_members=req_members, req_restricted=req_restricted, req_draft=req_draft,
        req_rejected_b=req_rejected_b, ach_public=ach_public, ach_screened=ach_screened,
        ach_restricted=ach_restricted,
    )


@pytest.fixture
def user_factory(db):
    return UserFactory


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test counts login failures and API rate limits afresh, under a key prefix of its own
    (in CI the cache is the Redis that also holds Celery's queues, so it is never flushed)."""
    settings.CACHES = {alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"}
                       for alias, config in settings.CACHES.items()}


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language: a test (or a view it called) that
    activated English must not change what the next test reads."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def audit_lines(caplog, monkeypatch):
    """The security audit log's lines written during the test, parsed: ``audit_lines()`` all of
    them, ``audit_lines("auth.login")`` one event's. The audit logger does not propagate to the
    root logger, where caplog listens, so it does for the test."""
    monkeypatch.setattr(logging.getLogger("techdock.audit"), "propagate", True)
    caplog.set_level(logging.INFO, logger="techdock.audit")

    def lines(event: str | None = None) -> list[dict]:
        parsed = [json.loads(record.getMessage()) for record in caplog.records if record.name == "techdock.audit"]
        return [line for line in parsed if event is None or line["event"] == event]

    return lines
