import json
from datetime import timedelta

from django.core.management.base import BaseCommand

from matchmaking import services


class Command(BaseCommand):
    help = "Re-send the unfinished work of pre-docking runs that made no progress for --stalled-for seconds."

    def add_arguments(self, parser):
        parser.add_argument("--stalled-for", type=float, default=None)

    def handle(self, *args, stalled_for, **options):
        delta = timedelta(seconds=stalled_for) if stalled_for is not None else None
        self.stdout.write(json.dumps({"resumed": services.resume_stalled_runs(stalled_for=delta)}))
