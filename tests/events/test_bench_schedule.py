"""bench_schedule at a small scale: the plan it reports is valid and provably the largest."""

import json
from io import StringIO

from django.core.management import call_command


def test_bench_schedule_reports_a_valid_optimal_plan_and_replan():
    out = StringIO()

    call_command("bench_schedule", pairs=60, days=1, slots=4, tables=10, seed=3, time_limit=20, workers=1, stdout=out)

    report = json.loads(out.getvalue().strip().splitlines()[-1])
    assert report["conflicts"] == 0
    assert report["scheduled"] == report["upper_bound"] <= report["pairs"] == 60
    assert report["scheduled"] <= report["independent_bound"]
    assert report["status"] == "optimal"
    assert report["replan_conflicts"] == 0
    assert report["replan_fixed_kept"] == report["replan_fixed"] > 0
    assert report["replan_scheduled"] == report["replan_upper_bound"]
