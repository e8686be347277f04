import json

from django.core.management.base import BaseCommand, CommandError

from catalog.enums import ListingKind
from matchmaking import services


class Command(BaseCommand):
    help = ("Compare the FAISS index files with the vectors in the database and report drift "
            "(exit status 1 when they differ; `rebuild_index` repairs it).")

    def handle(self, *args, **options):
        reports = [services.index_drift(kind) for kind in (ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT)]
        for report in reports:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        if not all(r["ok"] for r in reports):
            raise CommandError("index drift found; run `python manage.py rebuild_index`")
