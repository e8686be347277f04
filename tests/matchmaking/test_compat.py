"""Every structured compatibility rule at its boundaries, and the flags' messages."""

import json
from dataclasses import replace

import pytest
from django.utils.translation import override

from matchmaking.compat import COMPONENT_WEIGHTS, Flag, ListingAttrs, compatibility

REQ = ListingAttrs(
    field_ids=frozenset({1, 2}), cluster_ids=frozenset({10}), trl=6, modes=frozenset({"transfer", "licence"}),
    ip_status="none", budget_min=50, budget_max=100, region="heping", language="zh-hans",
)
ACH = ListingAttrs(
    field_ids=frozenset({2, 3}), cluster_ids=frozenset({10}), trl=7, modes=frozenset({"licence"}),
    ip_status="granted", budget_min=80, budget_max=120, region="heping", language="zh-hans",
)


def flags_of(req: ListingAttrs, ach: ListingAttrs) -> dict[str, Flag]:
    return {flag.code: flag for flag in compatibility(req, ach).flags}


def test_a_fully_compatible_pair_scores_one_without_flags():
    result = compatibility(REQ, ACH)

    assert result.score == pytest.approx(1.0)
    assert result.components == dict.fromkeys(COMPONENT_WEIGHTS, 1.0)
    assert result.flags == () and not result.blocking


def test_the_score_is_the_weighted_mean_of_the_components():
    result = compatibility(replace(REQ, trl=8, region="shenhe"), replace(ACH, field_ids=frozenset({9})))

    expected = {"fields": 0.5, "trl": 0.75, "modes": 1.0, "ip": 1.0, "budget": 1.0, "region": 0.5}
    assert result.components == expected
    assert sum(COMPONENT_WEIGHTS.values()) == pytest.approx(1.0)
    assert result.score == pytest.approx(sum(COMPONENT_WEIGHTS[k] * v for k, v in expected.items()))


@pytest.mark.parametrize(
    ("req_fields", "ach_fields", "ach_clusters", "component", "flagged"),
    [
        ({1}, {1, 5}, {99}, 1.0, False),  # a shared field
        ({1}, {5}, {10}, 0.5, False),  # a shared cluster only
        ({1}, {5}, {99}, 0.0, True),  # nothing shared
        (set(), {5}, {99}, 0.5, False),  # unknown
    ],
)
def test_fields(req_fields, ach_fields, ach_clusters, component, flagged):
    req = replace(REQ, field_ids=frozenset(req_fields))
    ach = replace(ACH, field_ids=frozenset(ach_fields), cluster_ids=frozenset(ach_clusters))

    assert compatibility(req, ach).components["fields"] == component
    flag = flags_of(req, ach).get("no_shared_field")
    assert (flag is not None) == flagged
    assert flag is None or not flag.blocking


@pytest.mark.parametrize(
    ("required", "offered", "component", "blocking"),
    [
        (6, 9, 1.0, None),
        (6, 6, 1.0, None),
        (7, 6, 0.75, False),
        (7, 5, 0.5, False),  # gap 2: not blocking
        (7, 4, 0.25, True),  # gap 3: blocking
        (9, 1, 0.0, True),
        (None, 3, 0.5, None),  # unknown on either side: neutral, no flag
        (7, None, 0.5, None),
    ],
)
def test_trl(required, offered, component, blocking):
    req, ach = replace(REQ, trl=required), replace(ACH, trl=offered)

    assert compatibility(req, ach).components["trl"] == component
    flag = flags_of(req, ach).get("trl_gap")
    if blocking is None:
        assert flag is None
    else:
        assert flag.blocking is blocking
        assert flag.params == {"gap": required - offered, "required": required, "offered": offered}


def test_no_common_mode_blocks():
    req = replace(REQ, modes=frozenset({"equity", "development"}))
    ach = replace(ACH, modes=frozenset({"service", "consulting"}))

    result = compatibility(req, ach)

    assert result.components["modes"] == 0.0 and result.blocking
    assert flags_of(req, ach)["no_common_mode"].params == {
        "required": ["development", "equity"], "offered": ["consulting", "service"],
    }


def test_unknown_modes_are_neutral():
    result = compatibility(replace(REQ, modes=frozenset()), ACH)

    assert result.components["modes"] == 0.5 and result.components["ip"] == 1.0 and result.flags == ()


@pytest.mark.parametrize(
    ("mode", "ip_status", "feasible"),
    [
        ("licence", "none", False),
        ("licence", "know_how", False),
        ("licence", "applied", True),
        ("licence", "granted", True),
        ("transfer", "none", False),
        ("transfer", "know_how", True),
        ("transfer", "applied", True),
        ("equity", "none", False),
        ("equity", "know_how", True),
        ("development", "none", True),
        ("consulting", "none", True),
        ("service", "none", True),
    ],
)
def test_ip_must_allow_the_common_mode(mode, ip_status, feasible):
    req, ach = replace(REQ, modes=frozenset({mode})), replace(ACH, modes=frozenset({mode}), ip_status=ip_status)

    assert compatibility(req, ach).components["ip"] == (1.0 if feasible else 0.0)
    flag = flags_of(req, ach).get("ip_mode")
    assert (flag is None) == feasible
    assert flag is None or (flag.blocking and flag.params == {"ip_status": ip_status, "modes": [mode]})


def test_one_feasible_common_mode_is_enough():
    both = frozenset({"licence", "development"})

    result = compatibility(replace(REQ, modes=both), replace(ACH, modes=both, ip_status="none"))

    assert result.components["ip"] == 1.0 and result.flags == ()


def test_without_a_common_mode_the_requirements_modes_are_checked_against_the_ip():
    req = replace(REQ, modes=frozenset({"licence"}))
    ach = replace(ACH, modes=frozenset({"development"}), ip_status="none")

    flags = flags_of(req, ach)

    assert set(flags) == {"no_common_mode", "ip_mode"}
    assert flags["ip_mode"].params == {"ip_status": "none", "modes": ["licence"]}


@pytest.mark.parametrize(
    ("ceiling", "floor", "component", "blocking"),
    [
        (100, 80, 1.0, None),
        (100, 100, 1.0, None),
        (60, 100, 0.6, False),
        (50, 100, 0.5, False),  # exactly half the asking price: not blocking
        (49, 100, 0.49, True),
        (0, 10, 0.0, True),
        (None, 100, 0.5, None),  # unknown on either side: neutral, no flag
        (100, None, 0.5, None),
    ],
)
def test_budget(ceiling, floor, component, blocking):
    req, ach = replace(REQ, budget_max=ceiling), replace(ACH, budget_min=floor)

    assert compatibility(req, ach).components["budget"] == pytest.approx(component)
    flag = flags_of(req, ach).get("budget")
    if blocking is None:
        assert flag is None
    else:
        assert flag.blocking is blocking
        assert flag.params == {"offered": ceiling, "asking": floor, "ratio": pytest.approx(component)}


@pytest.mark.parametrize(
    ("req_region", "ach_region", "component"),
    [("heping", "heping", 1.0), ("heping", "shenhe", 0.5), ("other", "other", 0.5), ("", "", 0.5)],
)
def test_region_never_flags(req_region, ach_region, component):
    result = compatibility(replace(REQ, region=req_region), replace(ACH, region=ach_region))

    assert result.components["region"] == component and result.flags == ()


def test_different_languages_raise_a_non_blocking_flag_and_no_component():
    result = compatibility(REQ, replace(ACH, language="en"))

    assert [(f.code, f.blocking, f.params) for f in result.flags] == [
        ("language", False, {"requirement": "zh-hans", "achievement": "en"}),
    ]
    assert "language" not in result.components and result.score == pytest.approx(1.0)


def every_flag() -> list[Flag]:
    req = replace(REQ, field_ids=frozenset({1}), trl=8, modes=frozenset({"licence"}), budget_max=30)
    ach = replace(ACH, field_ids=frozenset({5}), cluster_ids=frozenset({99}), trl=4,
                  modes=frozenset({"development"}), ip_status="know_how", budget_min=100, language="en")
    flags = list(compatibility(req, ach).flags)
    assert {f.code for f in flags} == {"no_shared_field", "trl_gap", "no_common_mode", "ip_mode", "budget", "language"}
    return flags


def test_flag_params_survive_a_json_round_trip():
    for flag in every_flag():
        stored = json.loads(json.dumps({"code": flag.code, "blocking": flag.blocking, "params": flag.params}))
        assert Flag(**stored) == flag


def test_messages_in_english_name_the_values():
    with override("en"):
        messages = {flag.code: flag.message() for flag in every_flag()}

    assert messages["trl_gap"] == "TRL gap: the requirement needs TRL 8, the achievement is at TRL 4."
    assert messages["no_common_mode"] == (
        "No common cooperation mode: the requirement asks for Licensing, the achievement offers "
        "Joint / commissioned development."
    )
    assert "Secret know-how" in messages["ip_mode"] and "Licensing" in messages["ip_mode"]
    assert "30" in messages["budget"] and "100" in messages["budget"]
    assert "Chinese" in messages["language"] and "English" in messages["language"]
    assert messages["no_shared_field"]


def test_messages_render_in_simplified_chinese_with_their_parameters():
    with override("zh-hans"):
        messages = {flag.code: flag.message() for flag in every_flag()}

    assert all(messages.values()) and not any("%(" in message for message in messages.values())
    assert "8" in messages["trl_gap"] and "4" in messages["trl_gap"]
    assert "30" in messages["budget"] and "100" in messages["budget"]


def test_a_redacted_budget_message_hides_the_amounts():
    budget = next(flag for flag in every_flag() if flag.code == "budget")

    with override("en"):
        message = budget.message(redact=True)

    assert message and "30" not in message and "100" not in message
