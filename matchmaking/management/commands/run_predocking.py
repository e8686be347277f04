import json
import time

from django.core.management.base import BaseCommand, CommandError

from common.errors import ApplicationError
from matchmaking import services
from matchmaking.models import RunStatus


class Command(BaseCommand):
    help = ("Start a pre-docking run over all published listings and wait for it to finish "
            "(in-process on the embedded default; with a broker, the workers do the work).")

    def add_arguments(self, parser):
        parser.add_argument("--params", default="{}", help='JSON run parameters, e.g. \'{"k_requirement": 5}\'')
        parser.add_argument("--timeout", type=float, default=3600)
        parser.add_argument("--no-wait", action="store_true")

    def handle(self, *args, params, timeout, no_wait, **options):
        try:
            run = services.run_start(actor=None, params=json.loads(params), label="manage.py run_predocking")
        except (ApplicationError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        started = time.monotonic()
        while not no_wait:
            run.refresh_from_db()
            if not run.is_active or time.monotonic() - started > timeout:
                break
            time.sleep(1)
        run.refresh_from_db()
        summary = {"run": run.pk, "status": run.status, "seconds": round(time.monotonic() - started, 1),
                   "counts": run.counts, "coverage_pct": run.report.get("coverage_pct")}
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if run.status == RunStatus.FAILED:
            raise CommandError(run.error)
