"""factory_boy factories shared by the whole suite."""

import itertools

import factory
from django.contrib.auth import get_user_model

from accounts.enums import OrganisationKind, OrganisationStatus, Region, Role
from accounts.models import BrokerProfile, Membership, Organisation, credit_code_check_digit
from catalog.enums import Confidentiality, CooperationMode, ListingStatus
from catalog.models import Achievement, Field, Requirement

_codes = itertools.count(1)


def make_credit_code() -> str:
    body = f"91210100{next(_codes):09d}"
    return body + credit_code_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-Techdock-2026")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = OrganisationKind.ENTERPRISE
    name_zh = factory.Sequence(lambda n: f"沈阳测试企业{n}有限公司")
    name_en = factory.Sequence(lambda n: f"Shenyang Test Enterprise {n} Co., Ltd.")
    credit_code = factory.LazyFunction(make_credit_code)
    region = Region.HUNNAN
    status = OrganisationStatus.APPROVED


def member(org: Organisation, role: str, *, is_admin: bool = False, **user_kwargs):
    user = UserFactory(**user_kwargs)
    Membership.objects.create(user=user, organisation=org, role=role, is_admin=is_admin)
    if role == Role.BROKER:
        BrokerProfile.objects.get_or_create(user=user)
    return user


def ensure_taxonomy() -> None:
    """Transactional tests flush every table, including the taxonomy the data migration
    loaded; load it again from the migration itself."""
    if not Field.objects.exists():
        import importlib

        from django.apps import apps

        importlib.import_module("catalog.migrations.0002_load_field_taxonomy").load(apps, None)


def field(code: str = "ai") -> Field:
    ensure_taxonomy()
    return Field.objects.get(code=code)


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"高性能锂电池回收工艺需求 {n}")
    summary = "寻求废旧动力锂电池中钴、镍、锂的高效回收工艺，回收率达到95%以上。"
    description = "企业现有湿法回收线，希望引进低能耗、环保的浸出与萃取技术。"
    keywords = factory.LazyFunction(lambda: ["锂电池", "回收"])
    organisation = factory.SubFactory(OrganisationFactory)
    cooperation_modes = factory.LazyFunction(lambda: [CooperationMode.DEVELOPMENT])
    confidentiality = Confidentiality.PUBLIC
    status = ListingStatus.PUBLISHED
    trl_min = 5
    budget_min = 50
    budget_max = 200

    @factory.post_generation
    def fields(obj, create, extracted, **kwargs):
        if create:
            obj.fields.set(extracted or [field("energy-storage")])
            from catalog.services import listing_search_text

            obj.search_text = listing_search_text(obj)
            obj.save(update_fields=["search_text"])


class AchievementFactory(RequirementFactory):
    class Meta:
        model = Achievement
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"废旧锂电池绿色回收技术 {n}")
    summary = "采用低温焙烧与选择性浸出，钴镍锂综合回收率超过96%，能耗降低30%。"
    description = "东北大学冶金学院研发，已完成中试。"
    keywords = factory.LazyFunction(lambda: ["锂电池", "湿法冶金"])
    organisation = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.UNIVERSITY, credit_code="",
                                      name_zh=factory.Sequence(lambda n: f"测试大学{n}"),
                                      name_en=factory.Sequence(lambda n: f"Test University {n}"))
    trl = 6
    trl_min = None
    evaluation_result = "passed"

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        kwargs.pop("trl_min", None)
        return kwargs
