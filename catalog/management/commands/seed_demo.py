"""``python manage.py seed_demo [--scale N] [--seed S] [--reset]``: a Shenyang-sized demo catalogue.

The content comes from ``catalog.demo.generate`` (pure, deterministic); this command only writes it.
Idempotent: organisations are keyed on their credit code, users on email, listings on
``external_ref`` ("demo-req-00001", "demo-ach-00001"); a second run creates only what is missing.

Listings are written with ``bulk_create`` rather than through ``listing_create`` and the lifecycle
services: going through the services would cost one transaction, several queries and an audit row
per transition for 2,500 listings. The command reproduces what the services leave behind instead:
``search_text`` from ``listing_search_text`` and a ``ListingStatusChange`` trail ending in the final
status. No embedding tasks are queued; a pre-docking run (or the index rebuild) embeds what it needs.
"""

import csv
import os
import time
from collections import Counter
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.enums import DEFAULT_ROLE_BY_KIND, OrganisationKind, OrganisationStatus, Role
from accounts.models import BrokerProfile, Membership, Organisation
from catalog import demo
from catalog.enums import EvaluationStatus, ListingStatus
from catalog.models import Achievement, ExpertEvaluation, Field, ListingStatusChange, Requirement
from catalog.services import listing_search_text

PASSWORD = "techdock-demo"  # noqa: S105 - printed on purpose: the demo's logins
GROUND_TRUTH_FILE = "demo_ground_truth.csv"

# email, full name, which organisation (DemoData attribute), role, organisation admin, label
LOGINS = [
    ("bureau@demo.techdock.cn", "王海明", "bureau", Role.BUREAU_STAFF, True, "bureau staff (+ /admin/)"),
    ("enterprise@demo.techdock.cn", "李志强", "demo_enterprise", Role.ENTERPRISE_MEMBER, True, "enterprise admin"),
    ("university@demo.techdock.cn", "陈静", "demo_university", Role.UNIVERSITY_MEMBER, True, "university admin"),
    ("broker@demo.techdock.cn", "赵鹏", "agency", Role.BROKER, False, "technology broker"),
    ("investor@demo.techdock.cn", "孙晨", "demo_investor", Role.INVESTOR, True, "investor"),
    ("expert@demo.techdock.cn", "周文华", "agency", Role.EXPERT, False, "expert reviewer"),
]
EXTRA_BROKERS = [("broker2@demo.techdock.cn", "刘洋"), ("broker3@demo.techdock.cn", "韩磊"),
                 ("broker4@demo.techdock.cn", "马丽")]

_CHAIN = {
    ListingStatus.DRAFT: [],
    ListingStatus.SUBMITTED: [ListingStatus.SUBMITTED],
    ListingStatus.SCREENED: [ListingStatus.SUBMITTED, ListingStatus.SCREENED],
    ListingStatus.PUBLISHED: [ListingStatus.SUBMITTED, ListingStatus.SCREENED, ListingStatus.PUBLISHED],
    ListingStatus.IN_NEGOTIATION: [ListingStatus.SUBMITTED, ListingStatus.SCREENED, ListingStatus.PUBLISHED,
                                   ListingStatus.IN_NEGOTIATION],
    ListingStatus.REJECTED: [ListingStatus.SUBMITTED, ListingStatus.REJECTED],
}


def ground_truth_path() -> Path:
    return Path(settings.VAR_DIR) / GROUND_TRUTH_FILE


class Command(BaseCommand):
    help = "Seed realistic, idempotent demo data (organisations, logins, requirements, achievements)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0,
                            help="1 = Shenyang 2018 (≈800 enterprises, 1,302 requirements, 1,239 achievements).")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-conference", dest="conference", action="store_false",
                            help="Skip the demo docking conference (events' demo_conference --stage setup).")
        parser.add_argument("--reset", action="store_true",
                            help="Delete the demo listings first (to change scale or seed); keeps organisations.")

    def handle(self, *args, scale: float, seed: int, reset: bool, conference: bool = True, **options):
        if not 0 < scale <= 100:
            raise CommandError("--scale must be above 0 and at most 100.")
        started = time.monotonic()
        data = demo.generate(scale, seed)
        fields = {f.code: f for f in Field.objects.all()}
        missing = set(demo.FIELD_CODES) - set(fields)
        if missing:
            raise CommandError(f"The field taxonomy is incomplete ({len(missing)} codes missing); run migrate first.")
        with transaction.atomic():
            if reset:
                self._reset()
            orgs, created_orgs = self._organisations(data)
            users, created_users = self._users(data, orgs, fields)
            created_users += self._contacts(orgs)
            bureau = orgs[data.bureau.key]
            created_req = self._listings(Requirement, data.requirements, orgs, fields, users, bureau)
            created_ach = self._listings(Achievement, data.achievements, orgs, fields, users, bureau)
            self._assignments(data, users)
        stale = self._stale(data)
        path = self._write_ground_truth(data)
        self._report(data, started=started, created={"organisations": created_orgs, "users": created_users,
                                                     "requirements": created_req, "achievements": created_ach},
                     stale=stale, path=path)
        # The conference lives in the events app, which depends on this one: it is reached by
        # the command's name, never imported, so catalog keeps importing nothing of events.
        if conference and apps.is_installed("events"):
            call_command("demo_conference", stage="setup", stdout=self.stdout, stderr=self.stderr)

    # --- writes ---------------------------------------------------------------------------------

    def _reset(self) -> None:
        for model in (Requirement, Achievement):
            qs = model.objects.filter(external_ref__startswith="demo-")
            ids = list(qs.values_list("pk", flat=True))
            ListingStatusChange.objects.filter(kind=model.KIND, listing_id__in=ids).delete()
            try:
                qs.delete()
            except ProtectedError as exc:
                raise CommandError(f"Cannot reset: other records still point at demo listings ({exc}).") from None

    def _organisations(self, data: demo.DemoData) -> tuple[dict[str, Organisation], int]:
        specs = [data.bureau, *data.orgs]
        orgs = {o.credit_code: o for o in Organisation.objects.filter(credit_code__in=[s.key for s in specs])}
        if data.bureau.key not in orgs:  # a bureau created by hand before the first seeding
            existing = Organisation.objects.filter(kind=OrganisationKind.BUREAU, name_zh=data.bureau.name_zh).first()
            if existing:
                orgs[data.bureau.key] = existing
        now = timezone.now()
        new = [
            Organisation(kind=s.kind, name_zh=s.name_zh, name_en=s.name_en, credit_code=s.key, region=s.region,
                         address=s.address, description=s.description, status=OrganisationStatus.APPROVED,
                         decided_at=now)
            for s in specs if s.key not in orgs
        ]
        Organisation.objects.bulk_create(new, batch_size=500)
        orgs.update({o.credit_code: o for o in new})
        return orgs, len(new)

    def _users(self, data: demo.DemoData, orgs: dict, fields: dict) -> tuple[dict, int]:
        User = get_user_model()
        wanted = [(e, n, getattr(data, attr).key if attr == "bureau" else getattr(data, attr), role, admin)
                  for e, n, attr, role, admin, _ in LOGINS]
        wanted += [(e, n, data.agency, Role.BROKER, False) for e, n in EXTRA_BROKERS]
        users = {u.email: u for u in User.objects.filter(email__in=[w[0] for w in wanted])}
        missing = [w for w in wanted if w[0] not in users]
        if missing:
            hashed = make_password(PASSWORD)  # one PBKDF2 run (~0.5 s) shared by all demo logins
            for email, name, *_ in missing:
                is_admin_site = email.startswith("bureau@")
                users[email] = User.objects.create(email=email, full_name=name, password=hashed,
                                                   is_staff=is_admin_site, is_superuser=is_admin_site)
        Membership.objects.bulk_create(
            [Membership(user=users[e], organisation=orgs[key], role=role, is_admin=admin) for e, _, key, role, admin
             in wanted], ignore_conflicts=True,
        )
        through = Field.brokers.through
        links = []
        for email, codes in data.broker_fields.items():
            profile, _ = BrokerProfile.objects.get_or_create(
                user=users[email], defaults={"capacity": 40, "bio": "沈阳技术转移中心技术经纪人。"})
            links += [through(field_id=fields[c].pk, brokerprofile_id=profile.pk) for c in codes]
        through.objects.bulk_create(links, ignore_conflicts=True)
        return users, len(missing)

    @staticmethod
    def _contacts(orgs: dict) -> int:
        """One member account per organisation that has none (its contact person, who answers
        suggestions and attends negotiations in ``demo_pairs`` and ``demo_conference``). They
        cannot sign in (unusable password): visitors use the printed logins."""
        User = get_user_model()
        parties = [o for o in orgs.values() if o.kind in DEFAULT_ROLE_BY_KIND and o.kind != OrganisationKind.BUREAU
                   and o.kind != OrganisationKind.AGENCY]
        staffed = set(Membership.objects.filter(organisation__in=parties).values_list("organisation_id", flat=True))
        lonely = [o for o in parties if o.pk not in staffed]
        if not lonely:
            return 0
        unusable = make_password(None)
        emails = {o.pk: f"contact-{o.credit_code.lower()}@demo.techdock.cn" for o in lonely}
        existing = set(User.objects.filter(email__in=emails.values()).values_list("email", flat=True))
        User.objects.bulk_create([User(email=emails[o.pk], full_name=f"{o.name_zh}联系人", password=unusable)
                                  for o in lonely if emails[o.pk] not in existing], batch_size=500)
        users = {u.email: u for u in User.objects.filter(email__in=emails.values())}
        Membership.objects.bulk_create(
            [Membership(user=users[emails[o.pk]], organisation=o, role=DEFAULT_ROLE_BY_KIND[o.kind], is_admin=True)
             for o in lonely], ignore_conflicts=True, batch_size=500)
        return len(lonely)

    def _listings(self, model, specs: list[demo.ListingSpec], orgs: dict, fields: dict, users: dict,
                  bureau: Organisation) -> int:
        existing = set(model.objects.filter(external_ref__in=[s.ref for s in specs])
                       .values_list("external_ref", flat=True))
        todo = [s for s in specs if s.ref not in existing]
        if not todo:
            return 0
        bureau_user = users["bureau@demo.techdock.cn"]
        objs = []
        for spec in todo:
            values = dict(spec.values)
            if values.get("evaluation_decided_at"):
                values["evaluation_decided_by"] = bureau_user
            obj = model(organisation=orgs[spec.org_key], created_by=users.get(spec.created_by),
                        collected_by=bureau if spec.collected_by_bureau else None, **values)
            obj.search_text = listing_search_text(obj, [fields[c] for c in spec.field_codes])
            objs.append(obj)
        model.objects.bulk_create(objs, batch_size=500)
        through = model.fields.through
        owner = f"{model._meta.model_name}_id"
        through.objects.bulk_create(
            [through(**{owner: obj.pk, "field_id": fields[c].pk}) for obj, spec in zip(objs, todo, strict=True)
             for c in spec.field_codes],
            batch_size=2000,
        )
        ListingStatusChange.objects.bulk_create(self._trail(model, objs, bureau_user), batch_size=2000)
        return len(objs)

    @staticmethod
    def _trail(model, objs, bureau_user) -> list[ListingStatusChange]:
        rows = []
        for obj in objs:
            steps = list(_CHAIN.get(obj.status, []))
            if obj.status == ListingStatus.REJECTED and getattr(obj, "evaluation_result", "") == "failed":
                steps = [ListingStatus.SUBMITTED, ListingStatus.SCREENED, ListingStatus.REJECTED]
            previous = ""
            for to in [ListingStatus.DRAFT, *steps]:
                actor = obj.created_by if to in (ListingStatus.DRAFT, ListingStatus.SUBMITTED) else bureau_user
                reason = "created" if to == ListingStatus.DRAFT else (obj.status_reason if to == "rejected" else "")
                rows.append(ListingStatusChange(kind=model.KIND, listing_id=obj.pk, from_status=previous,
                                                to_status=to, actor=actor, reason=reason))
                previous = to
        return rows

    def _assignments(self, data: demo.DemoData, users: dict) -> None:
        broker = users["broker@demo.techdock.cn"]
        for model in (Requirement, Achievement):
            through = model.assigned_brokers.through
            owner = f"{model._meta.model_name}_id"
            ids = model.objects.filter(external_ref__in=data.broker_refs).values_list("pk", flat=True)
            through.objects.bulk_create([through(**{owner: pk, "user_id": broker.pk}) for pk in ids],
                                        ignore_conflicts=True)
        expert, bureau_user = users["expert@demo.techdock.cn"], users["bureau@demo.techdock.cn"]
        for achievement in Achievement.objects.filter(external_ref__in=data.expert_refs):
            scored = achievement.external_ref in data.expert_submitted
            defaults = {"assigned_by": bureau_user, "status": EvaluationStatus.ASSIGNED}
            if scored:
                defaults.update(status=EvaluationStatus.SUBMITTED, novelty=8, maturity=7, market=8, team=7,
                                recommend=True, submitted_at=timezone.now(),
                                comment="技术路线清晰，中试数据充分，建议发布并推荐参加对接会。")
            ExpertEvaluation.objects.get_or_create(achievement=achievement, expert=expert, defaults=defaults)

    # --- checks and output --------------------------------------------------------------------------

    @staticmethod
    def _stale(data: demo.DemoData) -> int:
        """Demo listings whose title differs from this scale/seed's (seeded earlier with other options)."""
        stale = 0
        for model, specs in ((Requirement, data.requirements), (Achievement, data.achievements)):
            titles = dict(model.objects.filter(external_ref__startswith="demo-").values_list("external_ref", "title"))
            stale += sum(1 for s in specs if s.ref in titles and titles[s.ref] != s.values["title"])
        return stale

    @staticmethod
    def _write_ground_truth(data: demo.DemoData) -> Path:
        path = ground_truth_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".csv.tmp")
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["requirement_ref", "achievement_ref", "cross_language"])
            writer.writerows((r, a, int(cross)) for r, a, cross in data.pairs)
        os.replace(tmp, path)
        return path

    def _report(self, data: demo.DemoData, *, started: float, created: dict, stale: int, path: Path) -> None:
        out = self.stdout.write
        req_status = Counter(Requirement.objects.filter(external_ref__startswith="demo-req-")
                             .values_list("status", flat=True))
        ach_status = Counter(Achievement.objects.filter(external_ref__startswith="demo-ach-")
                             .values_list("status", flat=True))
        kinds = Counter(s.kind for s in data.orgs)
        out(self.style.SUCCESS(f"TechDock demo data, scale {data.scale:g}, seed {data.seed}: "
                               f"done in {time.monotonic() - started:.1f} s"))
        out(f"  organisations  {len(data.orgs) + 1:>5}  (created {created['organisations']}; "
            + ", ".join(f"{k} {n}" for k, n in kinds.items()) + ", bureau 1)")
        for name, counts in (("requirements", req_status), ("achievements", ach_status)):
            detail = ", ".join(f"{k} {n}" for k, n in counts.most_common())
            out(f"  {name:<14} {sum(counts.values()):>5}  (created {created[name]}; {detail})")
        cross = sum(1 for p in data.pairs if p[2])
        out(f"  ground truth   {len(data.pairs):>5}  pairs ({cross} cross-language) -> {path}")
        if stale:
            out(self.style.WARNING(f"  {stale} demo listings were seeded with another --scale/--seed and were kept; "
                                   "run with --reset to regenerate them."))
        out("")
        out(f"Demo logins (password for all: {PASSWORD} — demo only):")
        rows = [("role", "email", "organisation")]
        names = {o.key: o.name_zh for o in [data.bureau, *data.orgs]}
        for email, _, attr, _, _, label in LOGINS:
            key = data.bureau.key if attr == "bureau" else getattr(data, attr)
            rows.append((label, email, names[key]))
        widths = [max(len(str(r[i])) for r in rows) for i in range(2)]
        for role, email, org in rows:
            out(f"  {str(role):<{widths[0]}}  {email:<{widths[1]}}  {org}")
        out(f"  (also broker2–4@demo.techdock.cn: brokers for the other field clusters; {len(data.broker_refs)} "
            "listings are assigned to broker@, and expert@ has evaluations to do)")
