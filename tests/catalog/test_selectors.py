"""Visibility of listings per role, and keyword search, asserted as exact title sets."""

import pytest
from django.contrib.auth.models import AnonymousUser

from catalog.selectors import ListingFilters, listing_get_for_user, listing_list_for_user

LIVE_REQUIREMENTS = {"公开需求：锂电池回收", "会员需求：机器人焊接", "保密需求：军工涂层"}

EXPECTED_REQUIREMENTS = {
    "anonymous": {"公开需求：锂电池回收"},
    "pending": {"公开需求：锂电池回收"},
    "ent_a": LIVE_REQUIREMENTS,
    "ent_b": {"公开需求：锂电池回收", "会员需求：机器人焊接"},
    "university": {"公开需求：锂电池回收", "会员需求：机器人焊接"},
    "bureau": LIVE_REQUIREMENTS,
    "broker": LIVE_REQUIREMENTS,
    "other_broker": {"公开需求：锂电池回收", "会员需求：机器人焊接"},
    "investor": {"公开需求：锂电池回收", "会员需求：机器人焊接"},
    "expert": {"公开需求：锂电池回收", "会员需求：机器人焊接"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED_REQUIREMENTS))
def test_requirement_list_for_user_shows_exactly_visible_live_listings(world, role):
    user = world.users()[role] or AnonymousUser()

    titles = {r.title for r in listing_list_for_user(kind="requirement", user=user)}

    assert titles == EXPECTED_REQUIREMENTS[role]


def test_mine_filter_shows_own_drafts_only_to_owner(world):
    mine = {r.title for r in listing_list_for_user(kind="requirement", user=world.ent_a_member,
                                                   filters=ListingFilters(mine=True))}
    assert mine == LIVE_REQUIREMENTS | {"草稿需求：未提交"}
    others = {r.title for r in listing_list_for_user(kind="requirement", user=world.ent_b_member,
                                                     filters=ListingFilters(mine=True))}
    assert others == {"被退回需求"}


def test_draft_detail_is_404_for_everyone_but_owner_and_bureau(world):
    from django.http import Http404

    for role, user in world.users().items():
        if role in {"ent_a", "bureau"}:
            assert listing_get_for_user(kind="requirement", pk=world.req_draft.pk, user=user).pk == world.req_draft.pk
        else:
            with pytest.raises(Http404):
                listing_get_for_user(kind="requirement", pk=world.req_draft.pk, user=user or AnonymousUser())


def test_expert_sees_assigned_screened_achievement(world):
    from catalog.services import evaluation_assign

    def titles(user):
        return {a.title for a in listing_list_for_user(kind="achievement", user=user,
                                                        filters=ListingFilters(status="screened"))}

    assert titles(world.expert) == set()
    evaluation_assign(actor=world.bureau, achievement=world.ach_screened, expert=world.expert)
    assert titles(world.expert) == {"待评价成果：新型催化剂"}
    assert titles(world.investor) == set()


def test_keyword_search_matches_chinese_words(world):
    def search(q, user=None):
        return {r.title for r in listing_list_for_user(kind="requirement", user=user or AnonymousUser(),
                                                       filters=ListingFilters(q=q))}

    assert search("锂电池") == {"公开需求：锂电池回收"}
    assert search("机器人 焊接") == set()  # members-only: not for anonymous
    assert search("机器人焊接", world.investor) == {"会员需求：机器人焊接"}
    assert search("不存在的技术词") == set()
    assert search("   ") == {"公开需求：锂电池回收"}  # a blank query is no filter


def test_filters_by_field_trl_mode_region(world):
    def run(**kw):
        return {r.title for r in listing_list_for_user(kind="achievement", user=world.bureau,
                                                       filters=ListingFilters(**kw))}

    assert run(fields=["energy-storage"]) == {"公开成果：湿法冶金回收", "保密成果：隐身材料"}
    assert run(fields=["ai"]) == set()
    assert run(trl_min=7) == set()
    assert run(trl_min=6, trl_max=6) == {"公开成果：湿法冶金回收", "保密成果：隐身材料"}
    assert run(cooperation_mode="development") == {"公开成果：湿法冶金回收", "保密成果：隐身材料"}
    assert run(cooperation_mode="equity") == set()
    assert run(region="faku") == set()


@pytest.mark.parametrize("kind", ["requirement", "achievement"])
def test_keyword_search_matches_the_full_text_index_expression_on_postgresql(world, kind):
    # The index (migration catalog 0004) is on an expression that must be the one the search
    # filters on (SearchVector("search_text", config="simple")), or PostgreSQL computes the vector
    # of every visible listing on every search. On a test-sized table the planner rightly picks
    # another plan, so compare expressions as PostgreSQL prints them after normalisation.
    import re

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("full-text index: PostgreSQL only (SQLite searches with LIKE)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [f"catalog_{kind}_search_gin"])
        (indexdef,) = cursor.fetchone()
        expression = re.search(r"USING gin \((.*)\)$", indexdef).group(1)
        query = listing_list_for_user(kind=kind, user=world.bureau, filters=ListingFilters(q="石墨烯 散热")) \
            .values_list("pk", flat=True).query
        sql, params = query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert expression.startswith("to_tsvector('simple'::regconfig, COALESCE(search_text, ''::text))")
    assert f"{expression} @@ " in plan, plan
