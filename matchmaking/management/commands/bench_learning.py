"""Does learning from brokers' decisions make the top suggestions better? Measured on the demo
catalogue with a simulated broker; the last stdout line is one JSON object (BENCHMARKS.md §3).

1. A throwaway database, never the live one: Django's test-database machinery (a SQLite file in
   a temporary folder, or ``test_<name>`` on PostgreSQL), with VAR_DIR (index files, the ground
   truth file) in the same temporary folder and tasks run in-process. ``--keep DIR`` keeps both
   in DIR and reuses the run found there on the next call (same scale and seed).
2. ``seed_demo --scale S`` and one pre-docking run with the configured encoder.
3. A simulated broker decides every candidate pair of the run (``approval_probability``).
4. For each split seed, the requirements are split 75/25. The learner is trained on the
   decisions about the *suggestions* of the training requirements (what brokers actually see),
   then, on the held-out requirements:
   (A) their decided suggestions are re-ranked by the engine's score, the learned probability and
       blends of the two, and judged by the held-back decisions (approval precision@1/@3, nDCG@5);
   (B) a new selection is made as the coverage stage makes it (all candidates re-scored, then
       ``engine.select``) and the held-out requirements' suggestion lists are judged by the same
       broker, with the ground-truth pairs' recall@3 and @5 — the generator's answer pairs — as a
       check that the ranking does not drift from real matches toward the broker's habits.
"""

import hashlib
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from matchmaking import learning

BLENDS = (0.25, 0.5, 0.75)
GLOBAL_ONLY = 10**9  # min_field_decisions that no field reaches
# The simulated broker (see approval_probability). Clusters whose brokers have a taste of their own.
TRUTH_APPROVAL = 0.9
BLOCKING_APPROVAL = 0.03
FIELD_FIT, FIELD_NO_FIT, NEAR_FIELD, OTHER_FIELD = 0.6, 0.15, 0.06, 0.02
TASTES = {"biomedicine": ("trl", 0.2), "advanced-manufacturing": ("region", 0.4)}
TRL_GAP_ELSEWHERE = 0.6


def technical_fit(req_topic: dict, ach_topic: dict) -> bool:
    """Does the achievement report at least one indicator the requirement asks for, and meet the
    requirement's target on every such indicator? (What a broker reads in the two texts; the
    engine sees it only through text similarity.)"""
    from catalog.demo import meets

    shared = [(ind, ach_topic["values"][j], req_topic["targets"][i])
              for i, ind in enumerate(req_topic["inds"]) for j, other in enumerate(ach_topic["inds"]) if ind == other]
    return bool(shared) and all(meets(ind, value, target) for ind, value, target in shared)


def approval_probability(req_topic: dict, ach_topic: dict, components: dict, flags: list, *, truth: bool) -> float:
    """The simulated broker. Not a weighted sum of the engine's components: it approves the
    generator's answer pairs (hidden from the engine) and pairs of the same primary field whose
    achievement meets the requirement's indicator targets (hidden too: the engine sees only text
    similarity), rejects what cannot be contracted as listed (a blocking flag), and has per-cluster
    tastes (biomedicine brokers refuse TRL gaps, advanced-manufacturing brokers prefer the same
    district), applied multiplicatively."""
    from catalog.demo import VOCAB

    if truth:
        return TRUTH_APPROVAL
    if any(flag.get("blocking") for flag in flags):
        return BLOCKING_APPROVAL
    if req_topic["field"] == ach_topic["field"]:
        p = FIELD_FIT if technical_fit(req_topic, ach_topic) else FIELD_NO_FIT
    elif (components.get("fields") or 0) >= 0.5:  # another shared field, or the same cluster
        p = NEAR_FIELD
    else:
        p = OTHER_FIELD
    taste = TASTES.get(VOCAB[req_topic["field"]].cluster)
    trl_gap = (components.get("trl") if components.get("trl") is not None else 1.0) < 1.0
    if taste and (components.get(taste[0]) if components.get(taste[0]) is not None else 1.0) < 1.0:
        p *= taste[1]
    elif trl_gap:
        p *= TRL_GAP_ELSEWHERE
    return p


def uniform(seed: int, req_ref: str, ach_ref: str) -> float:
    digest = hashlib.blake2b(f"{seed}|{req_ref}|{ach_ref}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def mean_sd(values: list) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return round(float(np.mean(values)), 4), round(float(np.std(values, ddof=1)) if len(values) > 1 else 0.0, 4)


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform()}


class Command(BaseCommand):
    help = ("Measure learning from brokers' decisions on the demo catalogue with a simulated broker, in a "
            "throwaway database. Prints a markdown table; the last line is one JSON object.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--seed", type=int, default=2026, help="demo data seed")
        parser.add_argument("--splits", type=int, default=5, help="train/held-out splits (and broker noise seeds)")
        parser.add_argument("--holdout", type=float, default=0.25)
        parser.add_argument("--keep", default=None, help="keep the database and VAR_DIR in this folder and reuse them")
        parser.add_argument("--l2", type=float, default=learning.L2, help="penalty of the global weights")
        parser.add_argument("--field-l2", type=float, default=learning.FIELD_L2, help="penalty of the per-field deltas")

    def handle(self, *args, scale, seed, splits, holdout, keep, l2, field_l2, **options):
        from django.db import connection

        from config.celery import app

        workdir = Path(keep).resolve() if keep else Path(tempfile.mkdtemp(prefix="techdock-bench-learning-"))
        workdir.mkdir(parents=True, exist_ok=True)
        old_var, old_env = settings.VAR_DIR, os.environ.get("TECHDOCK_VAR_DIR")
        settings.VAR_DIR = workdir
        os.environ["TECHDOCK_VAR_DIR"] = str(workdir)
        settings.TECHDOCK_INCREMENTAL_MATCHING = False
        settings.TECHDOCK_LEARNED_RANKING = False  # the run ranks by the engine's score alone
        app.conf.task_always_eager = True  # a broker's workers would write to the live database
        old_name = connection.settings_dict["NAME"]
        if connection.vendor == "sqlite":
            connection.settings_dict.setdefault("TEST", {})["NAME"] = str(workdir / "bench_learning.sqlite3")
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=bool(keep))
        try:
            result = self._bench(scale=scale, seed=seed, splits=splits, holdout=holdout, l2=l2, field_l2=field_l2)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=bool(keep))
            settings.VAR_DIR = old_var
            if old_env is None:
                os.environ.pop("TECHDOCK_VAR_DIR", None)
            else:
                os.environ["TECHDOCK_VAR_DIR"] = old_env
            if not keep:
                shutil.rmtree(workdir, ignore_errors=True)
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    # --- setup ----------------------------------------------------------------------------------

    def _run(self, scale: float, seed: int):
        import io

        from matchmaking import services
        from matchmaking.models import PreDockingRun, RunStatus

        label = f"bench_learning scale={scale:g} seed={seed}"
        run = PreDockingRun.objects.filter(label=label, status=RunStatus.SUCCEEDED).order_by("-pk").first()
        timings = {}
        if run is None:
            started = time.monotonic()
            call_command("seed_demo", scale=scale, seed=seed, stdout=io.StringIO())
            timings["seed_s"] = round(time.monotonic() - started, 1)
            started = time.monotonic()
            try:
                services.run_start(actor=None, label=label)
            except Exception as exc:  # noqa: BLE001 - the run's own status below decides
                # Work queued after the run commits (routing, notices) runs inline here; its
                # failure does not undo the run.
                self.stderr.write(f"warning: after the run: {exc!r}")
            run = PreDockingRun.objects.filter(label=label).order_by("-pk").first()
            timings["predocking_s"] = round(time.monotonic() - started, 1)
            if run.status != RunStatus.SUCCEEDED:
                raise CommandError(f"the pre-docking run did not succeed: {run.status} {run.error}")
        return run, timings

    def _bench(self, *, scale: float, seed: int, splits: int, holdout: float, l2: float, field_l2: float) -> dict:
        from catalog import demo
        from catalog.models import Achievement, Requirement
        from matchmaking import learning_services
        from matchmaking.engine import MatchParams
        from matchmaking.models import RunCandidate, Suggestion

        started = time.monotonic()
        run, timings = self._run(scale, seed)
        data = demo.generate(scale, seed)
        specs = {s.ref: s for s in [*data.requirements, *data.achievements]}
        req_ref = dict(Requirement.objects.values_list("pk", "external_ref"))
        ach_ref = dict(Achievement.objects.values_list("pk", "external_ref"))
        truth = {(r, a) for r, a, _cross in data.pairs}
        cands = list(RunCandidate.objects.filter(run=run).order_by("pk"))
        suggested = {(s.requirement_id, s.achievement_id)
                     for s in Suggestion.objects.filter(run=run).only("requirement_id", "achievement_id")}
        calibration = learning.calibration_from_report(run.report.get("calibration"))
        features, field_ids = learning_services.pair_feature_rows(cands, calibration)
        fused = np.array([c.score for c in cands])
        blocking = np.array([c.blocking for c in cands])
        groups = np.array([c.requirement_id for c in cands])
        is_truth = np.array([(req_ref[c.requirement_id], ach_ref[c.achievement_id]) in truth for c in cands])
        prob = np.array([approval_probability(specs[req_ref[c.requirement_id]].topic,
                                              specs[ach_ref[c.achievement_id]].topic, c.components, c.flags,
                                              truth=bool(t)) for c, t in zip(cands, is_truth, strict=True)])
        is_suggested = np.array([(c.requirement_id, c.achievement_id) in suggested for c in cands])
        req_row = {pk: i for i, pk in enumerate(sorted(run.requirement_ids))}
        ach_row = {pk: i for i, pk in enumerate(sorted(run.achievement_ids))}
        rows = (np.array([req_row[c.requirement_id] for c in cands]),
                np.array([ach_row[c.achievement_id] for c in cands]))
        params = MatchParams.from_dict(run.params)
        context = {"groups": groups, "fused": fused, "blocking": blocking, "truth": is_truth, "rows": rows,
                   "params": params, "n": (len(req_row), len(ach_row))}
        # The selection by the engine's score must be the run's own suggestions.
        default_choice = self._select(context, fused)
        reproduced = set(default_choice.tolist()) == set(np.flatnonzero(is_suggested).tolist())

        variants = ["default", "learned_global", "learned", *[f"blend_{b:g}" for b in BLENDS], "oracle"]
        per_seed: dict[str, dict[str, list]] = {v: {} for v in variants}
        counts = []
        for split in range(splits):
            labels = np.array([uniform(split, req_ref[c.requirement_id], ach_ref[c.achievement_id]) < p
                               for c, p in zip(cands, prob, strict=True)], dtype=float)
            test_groups = learning.holdout_groups(groups, fraction=holdout, seed=split)
            train = is_suggested & ~test_groups
            train_fields = [field_ids[i] for i in np.flatnonzero(train)]
            models = {
                "learned_global": learning.fit(features[train], labels[train], train_fields, l2=l2,
                                               min_field_decisions=GLOBAL_ONLY),
                "learned": learning.fit(features[train], labels[train], train_fields, l2=l2, field_l2=field_l2),
            }
            probability = {name: m.predict(features, field_ids) for name, m in models.items()}
            scores = {"default": fused, **probability,
                      **{f"blend_{b:g}": learning.blend(fused, probability["learned"], b) for b in BLENDS},
                      "oracle": prob}
            held = is_suggested & test_groups
            counts.append({"train_decisions": int(train.sum()), "train_approvals": int(labels[train].sum()),
                           "heldout_decisions": int(held.sum()), "heldout_approvals": int(labels[held].sum()),
                           "heldout_requirements": len(set(groups[held].tolist())),
                           "fields_with_own_weights": len(models["learned"].field_weights)})
            for name, score in scores.items():
                out = per_seed[name]
                rerank = learning.ranking_metrics(groups[held], score[held], labels[held])
                chosen = default_choice if name == "default" else self._select(context, score)
                selection = self._judge(context, chosen, score, labels, test_groups)
                for key, value in [*(("A " + k, v) for k, v in rerank.items() if k != "groups"),
                                   ("A auc", learning.auc(score[held], labels[held])),
                                   *(("B " + k, v) for k, v in selection.items())]:
                    out.setdefault(key, []).append(value)
        summary = {name: {key: mean_sd(values) for key, values in metrics.items()}
                   for name, metrics in per_seed.items()}
        count_summary = {key: mean_sd([c[key] for c in counts])[0] for key in counts[0]}
        # Splits are paired (same held-out requirements, same decisions): the gain per split.
        gain = {name: {key: mean_sd([v - d for v, d in zip(per_seed[name][key], per_seed["default"][key],
                                                              strict=True) if v is not None and d is not None])
                       for key in ("A p@1", "A p@3", "B p@1", "B p@3", "B gt_r@3")}
                for name in variants if name != "default"}
        result = {
            "bench": "learning", "scale": scale, "demo_seed": seed, "splits": splits, "holdout": holdout,
            "encoder": run.model_name, "database": self._vendor(), "requirements": len(req_row),
            "achievements": len(ach_row), "candidates": len(cands), "suggestions": int(is_suggested.sum()),
            "approval_rate_suggestions": round(float(prob[is_suggested].mean()), 4),
            "approval_rate_candidates": round(float(prob.mean()), 4),
            "truth_pairs_in_candidates": int(is_truth.sum()), "selection_reproduced": reproduced,
            "l2": l2, "field_l2": field_l2, "counts_mean": count_summary, "metrics": summary,
            "gain_vs_default": gain, "machine": machine(),
            **timings, "bench_s": round(time.monotonic() - started, 1),
        }
        seed0 = [uniform(0, req_ref[c.requirement_id], ach_ref[c.achievement_id]) < p
                 for c, p in zip(cands, prob, strict=True)]
        result["service_check"] = self._service_check(cands, labels_seed0=seed0, suggested=suggested)
        self._print_table(result)
        return result

    @staticmethod
    def _select(context: dict, score: np.ndarray) -> np.ndarray:
        from matchmaking.engine import select

        req_rows, ach_rows = context["rows"]
        return select(req_rows, ach_rows, score, context["blocking"], *context["n"], context["params"]).chosen

    @staticmethod
    def _judge(context: dict, chosen: np.ndarray, score: np.ndarray, labels: np.ndarray,
               test_groups: np.ndarray) -> dict:
        """The held-out requirements' new suggestion lists, ranked by ``score``, judged by the
        simulated broker; recall of the ground-truth pairs (among the run's candidates) at 3 and 5."""
        groups, truth = context["groups"], context["truth"]
        keep = chosen[test_groups[chosen]]
        metrics = learning.ranking_metrics(groups[keep], score[keep], labels[keep])
        order = keep[np.lexsort((np.arange(len(keep)), -score[keep], groups[keep]))]
        rank, previous, position = {}, None, 0
        for i in order.tolist():
            position = position + 1 if groups[i] == previous else 1
            previous = groups[i]
            rank[i] = position
        held_truth = np.flatnonzero(truth & test_groups)
        recall = {k: (sum(1 for i in held_truth.tolist() if rank.get(i, 99) <= k) / len(held_truth)
                      if len(held_truth) else None) for k in (3, 5)}
        return {k: v for k, v in metrics.items() if k != "groups"} | {"gt_r@3": recall[3], "gt_r@5": recall[5]}

    @staticmethod
    def _service_check(cands, *, labels_seed0: list, suggested: set) -> dict:
        """The service path on the same data: the simulated decisions (seed 0) written as
        suggestion statuses, then ``ranking_model_train`` with its own held-out split."""
        from matchmaking import learning_services
        from matchmaking.models import Suggestion, SuggestionStatus

        approve, reject = [], []
        for c, label in zip(cands, labels_seed0, strict=True):
            if (c.requirement_id, c.achievement_id) in suggested:
                (approve if label else reject).append((c.requirement_id, c.achievement_id))
        for pairs, status in ((approve, SuggestionStatus.APPROVED), (reject, SuggestionStatus.REJECTED)):
            for r, a in pairs:
                Suggestion.objects.filter(requirement_id=r, achievement_id=a).update(status=status)
        started = time.monotonic()
        model = learning_services.ranking_model_train(min_decisions=50)
        if model is None:
            return {"trained": False}
        heldout = model.metrics["heldout"] or {}
        return {"model": model.pk, "active": model.is_active, "decisions": model.n_decisions,
                "fields_with_own_weights": model.n_fields, "train_s": round(time.monotonic() - started, 2),
                **{f"{name} {key}": heldout.get(name, {}).get(key) for name in ("default", "blend")
                   for key in ("p@1", "p@3", "auc")}}

    @staticmethod
    def _vendor() -> str:
        from django.db import connection

        return connection.vendor

    def _print_table(self, result: dict) -> None:
        def cell(pair) -> str:
            mean, sd = pair if pair else (None, None)
            return "—" if mean is None else f"{mean:.3f} ± {sd:.3f}"

        names = {"default": "engine score (default)", "learned_global": "learned, global weights only",
                 "learned": "learned, per-field weights", **{f"blend_{b:g}": f"blend {b:g}" for b in BLENDS},
                 "oracle": "(bound) the broker's own probability"}
        columns = ["A p@1", "A p@3", "A ndcg@5", "A auc", "B p@1", "B p@3", "B ndcg@5", "B gt_r@3", "B gt_r@5"]
        out = self.stdout.write
        out(f"Learning from decisions — demo scale {result['scale']:g}, {result['requirements']} × "
            f"{result['achievements']} published listings, {result['suggestions']} suggestions, "
            f"{result['candidates']} candidates, encoder {result['encoder']}, {result['database']}, "
            f"{result['splits']} splits (mean ± sd)")
        out("(A) re-ranking the held-out requirements' decided suggestions; (B) a new selection for them, judged "
            "by the simulated broker; gt_r = recall of the generator's answer pairs")
        out("| ranking | " + " | ".join(columns) + " |")
        out("|---|" + "---:|" * len(columns))
        for name, label in names.items():
            out(f"| {label} | " + " | ".join(cell(result["metrics"][name].get(c)) for c in columns) + " |")
        out("")
        out("Gain over the engine's score, paired by split (mean ± sd):")
        gain_columns = ["A p@1", "A p@3", "B p@1", "B p@3", "B gt_r@3"]
        out("| ranking | " + " | ".join(gain_columns) + " |")
        out("|---|" + "---:|" * len(gain_columns))
        for name, label in names.items():
            if name != "default":
                out(f"| {label} | " + " | ".join(cell(result["gain_vs_default"][name][c]) for c in gain_columns) + " |")
        out("")
        out(f"counts per split (mean): {json.dumps(result['counts_mean'])}")
        out(f"service check (ranking_model_train on seed-0 decisions): {json.dumps(result['service_check'])}")
        out(f"machine: {json.dumps(result['machine'], ensure_ascii=False)}")
