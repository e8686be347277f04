"""``python manage.py train_ranking``: learn ranking from brokers' decisions now (the nightly
task does the same). The last line of stdout is the model's metrics as one JSON object."""

import json

from django.core.management.base import BaseCommand

from matchmaking import learning_services


class Command(BaseCommand):
    help = ("Train a ranking model on brokers' approvals and rejections, evaluate it on held-out "
            "requirements and activate it if it does not make held-out precision worse.")

    def add_arguments(self, parser):
        parser.add_argument("--min-decisions", type=int, default=50)
        parser.add_argument("--holdout", type=float, default=learning_services.HOLDOUT,
                            help="share of requirements whose decisions are held out for the evaluation")
        parser.add_argument("--seed", type=int, default=0, help="which requirements are held out")

    def handle(self, *args, min_decisions: int, holdout: float, seed: int, **options):
        model = learning_services.ranking_model_train(min_decisions=min_decisions, holdout=holdout, seed=seed)
        if model is None:
            data = learning_services.decision_dataset()
            self.stdout.write(f"Not trained: {len(data)} usable decisions ({int(data.labels.sum())} approvals); "
                              f"at least {min_decisions} with both approvals and rejections are needed.")
            self.stdout.write(json.dumps({"model": None, "decisions": len(data)}))
            return
        state = "active" if model.is_active else "stored, not activated (held-out precision would drop)"
        self.stdout.write(f"Ranking model {model.pk}: {model.n_decisions} decisions, {model.n_fields} fields "
                          f"with their own weights — {state}.")
        self.stdout.write(json.dumps({"model": model.pk, "active": model.is_active, **model.metrics},
                                     ensure_ascii=False))
