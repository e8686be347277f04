import json

from django.core.management.base import BaseCommand

from catalog.enums import LIVE_STATUSES, ListingKind
from matchmaking import services
from matchmaking.text import MODELS


class Command(BaseCommand):
    help = "Embed every live listing that lacks a current vector, then rebuild the FAISS index files from the database."

    def add_arguments(self, parser):
        parser.add_argument("--no-embed", action="store_true", help="Only rebuild the files from the stored vectors.")

    def handle(self, *args, no_embed=False, **options):
        model = services.encoder_name()
        result = {"model": model, "embedded": {}, "indexes": {}}
        for kind in (ListingKind.REQUIREMENT, ListingKind.ACHIEVEMENT):
            if not no_embed:
                ids = list(MODELS[kind].objects.filter(status__in=LIVE_STATUSES).values_list("pk", flat=True))
                result["embedded"][kind] = sum(
                    services.embed_listings(kind, ids[i:i + services.EMBED_CHUNK], model=model)
                    for i in range(0, len(ids), services.EMBED_CHUNK))
            info = services.sync_index(kind, model=model, force=True)
            result["indexes"][kind] = {"count": info.count, "method": info.method, "checksum": info.checksum}
        self.stdout.write(json.dumps(result))
