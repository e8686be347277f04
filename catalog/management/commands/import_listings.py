"""``python manage.py import_listings FILE [--kind requirement|achievement|organisation]
[--dry-run] [--as EMAIL]``: import a spreadsheet through the same services as the portal, the
API and the background task (``catalog.imports``), in this process.

The last line of stdout is one JSON object: ``rows``, ``created``, ``updated``, ``duplicates``
and ``errors`` (every row error as ``{row, column, message}``), plus ``unchanged``,
``organisations_created``, ``job``, ``status`` and ``dry_run``; with ``--dry-run`` the counts
are what the import would do. Exit status 0 even when rows have errors (they are in the
report); 1 for a file-level error (the JSON then has that error in ``errors`` with
``row`` and ``column`` null). Messages are in the acting user's preferred language.
"""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from catalog import imports
from catalog.models import ImportKind, ImportStatus
from common.errors import ApplicationError, PermissionDenied


class Command(BaseCommand):
    help = "Import requirements, achievements or organisations from an XLSX or CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="An .xlsx workbook or a .csv file (UTF-8, UTF-8 with BOM or GB18030/GBK).")
        parser.add_argument("--kind", choices=ImportKind.values, default=ImportKind.REQUIREMENT,
                            help="What the file holds (default: requirement).")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument("--as", dest="email", default="",
                            help="The bureau staff member the import is made as (default: the first superuser).")

    def handle(self, *args, file: str, kind: str, dry_run: bool, email: str, **options):
        report = {"rows": 0, "created": 0, "updated": 0, "duplicates": 0, "errors": [], "unchanged": 0,
                  "organisations_created": 0, "job": None, "status": "failed", "dry_run": dry_run}
        actor = self._actor(email)
        if actor is None:
            return self._fail(report, _("No active user has the email %(email)s.") % {"email": email} if email else
                              _("There is no superuser; name a bureau staff member with --as EMAIL."))
        path = Path(file)
        if not path.is_file():
            return self._fail(report, _("There is no file %(path)s.") % {"path": file})
        try:
            with open(path, "rb") as handle:
                job = imports.import_job_create(actor=actor, kind=kind, upload=File(handle, name=path.name),
                                                language=actor.preferred_language)
            report["job"] = job.pk
            job = imports.import_preview(actor=actor, job=job)
            if job.status == ImportStatus.PREVIEWED and not dry_run:
                job = imports.import_commit(actor=actor, job=job)
        except (ApplicationError, PermissionDenied) as error:
            errors = getattr(error, "extra", {}).get("errors") or [{"row": None, "column": None,
                                                                     "message": str(error.message)}]
            return self._fail(report, str(error.message), errors=errors)
        if job.status == ImportStatus.FAILED:
            return self._fail(report, job.error_message, errors=job.errors or None)
        counts = imports.report_of(job)
        # The full list (the job keeps at most TECHDOCK_IMPORT_MAX_STORED_ERRORS of them).
        errors = list(job.report.errors) if hasattr(job, "report") else list(job.errors)
        report.update({key: counts[key] for key in ("rows", "created", "updated", "unchanged", "duplicates",
                                                   "organisations_created")})
        report.update({"errors": errors, "status": job.status})
        self.stdout.write(json.dumps(report, ensure_ascii=False))

    def _actor(self, email: str):
        users = get_user_model().objects.filter(is_active=True)
        if email:
            return users.filter(email__iexact=email.strip()).first()
        return users.filter(is_superuser=True).order_by("pk").first()

    def _fail(self, report: dict, message: str, *, errors: list | None = None) -> None:
        report["errors"] = errors or [{"row": None, "column": None, "message": message}]
        self.stdout.write(json.dumps(report, ensure_ascii=False))
        raise CommandError(message, returncode=1)
