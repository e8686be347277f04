"""``python manage.py demo_conference [--stage setup|run|all] [--pairs N]``: the demo's docking
conference, built through the same services the portal uses.

``setup`` (also called by ``seed_demo``) creates the event — a three-day conference that opened
yesterday, with ten themed exhibition areas tied to fields plus the city–college hall for the
roadshows and the opening forum, negotiation sessions cut into 30-minute slots, tables — enters
every live listing (bulk entry by bureau staff, which registers their organisations) and
registers the investors with their profiles. It needs no matching.

``run`` (``make demo``, after ``run_predocking``) runs the event's own pre-docking, walks the
best pairs to an answer (most to mutual interest), plans and publishes the negotiations, and
plays yesterday's and this morning's negotiations out: check-in, outcome, some agreements; puts
achievements on the roadshows with investors' interest, and publishes the public summary.

Deterministic and idempotent: the event is keyed on its slug, and ``run`` stops when the event
already has negotiations. Mail goes to memory (the demo prints logins, not hundreds of notices)."""

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.enums import OrganisationKind, Role
from accounts.models import Membership, Organisation, User
from catalog.enums import LIVE_STATUSES, Confidentiality, CooperationMode
from catalog.models import Achievement, Field
from common.errors import ApplicationError
from events import planning, predocking, roadshows, services
from events.dayof import meeting_check_in, registration_check_in, scheduled_record_outcome
from events.enums import EventKind, EventStatus, InterestLevel, PlanStatus, RegistrationStatus, SessionKind
from events.models import Event, Registration, RoadshowEntry, ScheduledMeeting, Session
from events.selectors import event_suggestions
from events.summary import event_summary_publish
from matchmaking import lifecycle
from matchmaking.models import Side, SuggestionStatus

SLUG = "shenyang-2026"
BUREAU_EMAIL = "bureau@demo.techdock.cn"
LOCAL = ZoneInfo("Asia/Shanghai")
# code, Chinese name, English name, hall, fields (taxonomy codes)
AREAS = [
    ("manufacturing", "智能制造与机器人展区", "Smart manufacturing and robotics", "A馆",
     ["robotics", "smart-manufacturing", "machine-tools"]),
    ("transport", "航空航天与轨道交通展区", "Aerospace, rail and shipbuilding", "A馆",
     ["aerospace", "rail-transit", "shipbuilding", "marine-engineering"]),
    ("new-energy", "新能源与新能源汽车展区", "New energy and new-energy vehicles", "B馆",
     ["new-energy-vehicles", "photovoltaics", "hydrogen", "energy-storage"]),
    ("green", "节能环保展区", "Energy saving and environment", "B馆",
     ["energy-saving", "environmental-protection", "recycling"]),
    ("materials", "新材料展区", "New materials", "C馆",
     ["metal-materials", "polymers", "ceramics", "composites", "nanomaterials", "fine-chemicals"]),
    ("electronics", "电子信息展区", "Electronics and communications", "C馆",
     ["integrated-circuits", "communications", "iot"]),
    ("digital", "人工智能与软件展区", "AI, software and digital services", "D馆",
     ["ai", "software", "big-data-cloud", "digital-culture", "modern-services"]),
    ("health", "生物医药展区", "Biomedicine", "D馆",
     ["innovative-drugs", "medical-devices", "biotechnology", "tcm", "diagnostics", "marine-biology"]),
    ("agriculture", "现代农业与食品展区", "Modern agriculture and food", "E馆",
     ["seed-breeding", "agri-machinery", "food-processing", "smart-agriculture", "animal-husbandry"]),
    ("urban", "城市建设与安全应急展区", "Construction, metallurgy and safety", "E馆",
     ["construction", "mining-metallurgy", "safety-emergency"]),
]
CITY_COLLEGE = ("city-college", "市校合作展区", "City–college cooperation", "主会场")
TABLES_PER_AREA = 8
# Negotiation half-days in Shenyang time: 09:00–12:00 and 13:30–16:30, six 30-minute slots each.
HALF_DAYS = [(time(9, 0), time(12, 0)), (time(13, 30), time(16, 30))]
# Of every ten pairs walked (best first): how far each goes before the conference.
PATTERN = ["mutual", "mutual", "mutual", "declined", "mutual", "mutual", "sent", "mutual", "rejected", "suggested"]


def _local(day, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LOCAL)


def _party(org_id: int, role: str) -> User | None:
    membership = (Membership.objects.select_related("user").filter(organisation_id=org_id, role=role)
                  .order_by("pk").first())
    return membership.user if membership else None


class Command(BaseCommand):
    help = "Create the demo's docking conference (setup) and play it out (run): pre-docking to agreements."

    def add_arguments(self, parser):
        parser.add_argument("--stage", choices=["setup", "run", "all"], default="all")
        parser.add_argument("--pairs", type=int, default=200,
                            help="How many of the event's best pairs to walk to an answer (default 200).")

    def handle(self, *args, stage: str, pairs: int, **options):
        bureau = User.objects.filter(email=BUREAU_EMAIL).first()
        if bureau is None:
            raise CommandError("Run seed_demo first: the demo's bureau login is missing.")
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            report: dict = {}
            if stage in ("setup", "all"):
                report["setup"] = self._setup(bureau)
            if stage in ("run", "all"):
                report["run"] = self._run(bureau, pairs)
        self.stdout.write(json.dumps(report, ensure_ascii=False, default=str))

    # --- setup ---------------------------------------------------------------------------------

    def _setup(self, bureau: User) -> dict:
        event = Event.objects.filter(slug=SLUG).first()
        if event is None:
            event = self._create_event(bureau)
        entered = predocking.listings_bulk_enter(actor=bureau, event=event,
                                                 field_ids=list(Field.objects.values_list("pk", flat=True)))
        # Universities and institutes send several negotiators; enterprises one each.
        for registration in Registration.objects.filter(
                event=event, status=RegistrationStatus.REGISTERED,
                organisation__kind__in=[OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE], delegates=1):
            services.registration_update(actor=bureau, registration=registration, data={"delegates": 6})
        investors = self._investors(bureau, event)
        return {"event": event.slug, "entered": entered["entered"], "already": entered["already"],
                "refused": len(entered["refused"]), "investors": investors}

    def _create_event(self, bureau: User) -> Event:
        today = timezone.localdate(timezone.now(), LOCAL)
        first, last = today - timedelta(days=1), today + timedelta(days=1)
        now = timezone.now()
        with transaction.atomic():
            event = services.event_create(actor=bureau, data={
                "slug": SLUG, "kind": EventKind.DOCKING_CONFERENCE,
                "name_zh": "2026沈阳科技成果转化对接会",
                "name_en": "Shenyang Technology Transfer Docking Conference 2026",
                "description_zh": "汇集全市企业技术需求与高校院所科技成果，线上预对接十天，"
                                  "现场按领域分展区洽谈、路演与签约；会后平台365天在线对接。",
                "description_en": "Enterprises' technical requirements meet the achievements of universities and "
                                  "institutes: ten days of online pre-docking, then negotiations by field in themed "
                                  "areas, roadshows and signing on site; the platform stays open all year.",
                "starts_on": first, "ends_on": last, "venue": "沈阳新世界博览馆", "online": True,
                "registration_opens_at": now - timedelta(days=30), "registration_closes_at": now - timedelta(days=2),
                "predocking_opens_at": now - timedelta(days=12), "predocking_closes_at": now - timedelta(days=1),
                "meeting_minutes": 30, "max_meetings_per_party": 16, "max_meetings_per_broker": 36,
            })
            event = services.event_publish(actor=bureau, event=event)
            fields = {f.code: f for f in Field.objects.all()}
            for order, (code, zh, en, hall, field_codes) in enumerate(AREAS):
                area = services.area_create(actor=bureau, event=event, fields=[fields[c] for c in field_codes],
                                            data={"code": code, "name_zh": zh, "name_en": en, "hall": hall,
                                                  "order": order})
                planning.tables_set(actor=bureau, area=area, count=TABLES_PER_AREA)
                for day in (first, today, last):
                    for half, (start, end) in enumerate(HALF_DAYS):
                        services.session_create(actor=bureau, event=event, data={
                            "kind": SessionKind.NEGOTIATION, "area": area, "room": f"{hall}{zh[:4]}洽谈区",
                            "title_zh": f"{zh}洽谈（{'上午' if half == 0 else '下午'}）",
                            "title_en": f"{en}: negotiations ({'morning' if half == 0 else 'afternoon'})",
                            "starts_at": _local(day, start), "ends_at": _local(day, end)})
            code, zh, en, hall = CITY_COLLEGE
            city = services.area_create(actor=bureau, event=event, fields=[],
                                        data={"code": code, "name_zh": zh, "name_en": en, "hall": hall,
                                              "order": len(AREAS)})
            services.session_create(actor=bureau, event=event, data={
                "kind": SessionKind.FORUM, "area": city, "room": "主会场", "seats": 600,
                "title_zh": "开幕式暨科技成果转化主旨论坛",
                "title_en": "Opening and keynote forum on technology transfer",
                "starts_at": _local(first, time(9, 0)), "ends_at": _local(first, time(10, 30))})
            for i, day in enumerate((first, today)):
                services.session_create(actor=bureau, event=event, data={
                    "kind": SessionKind.ROADSHOW, "area": city, "room": "路演厅", "seats": 300,
                    "title_zh": f"科技成果路演（第{'一二'[i]}场）", "title_en": f"Achievement roadshow {i + 1}",
                    "starts_at": _local(day, time(14, 0)), "ends_at": _local(day, time(16, 0))})
        return event

    def _investors(self, bureau: User, event: Event) -> int:
        stages = [["angel", "seed"], ["seed", "series_a"], ["series_a", "series_b"], ["series_b", "growth"]]
        tickets = [(50, 300), (200, 1000), (500, 3000), (1000, 8000)]
        areas = list(event.areas.prefetch_related("fields").order_by("order"))
        count = 0
        for i, org in enumerate(Organisation.objects.filter(kind=OrganisationKind.INVESTOR, status="approved")
                                .order_by("pk")):
            registration = Registration.objects.filter(event=event, organisation=org).first()
            if registration is None:
                registration = services.registration_create(actor=bureau, event=event, organisation=org,
                                                            contact_name="投资经理")
            if not hasattr(registration, "investor_profile"):
                low, high = tickets[i % len(tickets)]
                focus_areas = [areas[(i + k) % len(areas)] for k in range(2)] if areas else []
                roadshows.investor_profile_set(
                    actor=bureau, registration=registration, stages=stages[i % len(stages)], ticket_min=low,
                    ticket_max=high, field_ids=[f.pk for a in focus_areas for f in a.fields.all()],
                    focus="关注硬科技成果的产业化，偏好有中试数据和明确应用场景的项目。")
            count += 1
        return count

    # --- run -----------------------------------------------------------------------------------

    def _run(self, bureau: User, pairs: int) -> dict:
        event = Event.objects.filter(slug=SLUG).first()
        if event is None:
            raise CommandError("Run demo_conference --stage setup (or seed_demo) first.")
        if ScheduledMeeting.objects.filter(event=event).exists():
            return {"skipped": "the conference has already been played out"}
        run = predocking.event_predocking_start(actor=bureau, event=event)  # in-process: done after commit
        run.refresh_from_db()
        walked = self._walk(bureau, event, pairs)
        plan = planning.plan_run(actor=bureau, event=event, time_limit_s=30)
        published = planning.plan_publish(actor=bureau, event=event)
        played = self._play(bureau, event)
        shows = self._roadshows(bureau, event)
        event_summary_publish(
            actor=bureau, event=event, published=True,
            note_zh="本届对接会由沈阳市科学技术局主办，线上预对接与现场洽谈相结合，会后平台持续365天在线对接。",
            note_en="Organised by the Shenyang Science and Technology Bureau: online pre-docking and on-site "
                    "negotiations; the platform keeps docking online all year.")
        return {"run": run.pk, "run_status": run.status, "walked": walked, "planned": plan.planned,
                "confirmed": published.published, "unscheduled": len(plan.unscheduled), "solve_s": plan.solve_s,
                "played": played, "roadshows": shows}

    def _walk(self, bureau: User, event: Event, pairs: int) -> dict:
        """The best pair of each requirement, best first, taken to an answer as brokers and
        parties would during the pre-docking window."""
        seen: set[int] = set()
        chosen = []
        for suggestion in event_suggestions(event=event, statuses=[SuggestionStatus.SUGGESTED]).order_by("-score"):
            if suggestion.requirement_id not in seen:
                seen.add(suggestion.requirement_id)
                chosen.append(suggestion)
            if len(chosen) >= pairs:
                break
        reached: dict[str, int] = {}
        for i, suggestion in enumerate(chosen):
            target = PATTERN[i % len(PATTERN)]
            try:
                with transaction.atomic():
                    key = target if self._walk_one(bureau, suggestion, target) else "no_member"
                reached[key] = reached.get(key, 0) + 1
            except ApplicationError as exc:
                reached["skipped"] = reached.get("skipped", 0) + 1
                self.stderr.write(f"pair {suggestion.pk}: {exc.message}")
        return reached

    def _walk_one(self, bureau: User, suggestion, target: str) -> bool:
        """False when an organisation has nobody to answer for it (the pair stays suggested)."""
        enterprise = _party(suggestion.requirement.organisation_id, Role.ENTERPRISE_MEMBER)
        university = _party(suggestion.achievement.organisation_id, Role.UNIVERSITY_MEMBER)
        reviewer = suggestion.broker or bureau
        if enterprise is None or university is None:
            return False
        if target == "suggested":
            return True
        if target == "rejected":
            lifecycle.suggestion_reject(actor=reviewer, suggestion=suggestion, reason="应用场景不一致（演示数据）")
            return True
        lifecycle.suggestion_approve(actor=reviewer, suggestion=suggestion, note="建议在对接会现场洽谈。")
        lifecycle.suggestion_send(suggestion_id=suggestion.pk)
        suggestion.refresh_from_db()
        lifecycle.suggestion_mark_viewed(actor=enterprise, suggestion=suggestion)
        if target == "sent":
            return True
        lifecycle.suggestion_answer(actor=enterprise, suggestion=suggestion, side=Side.REQUIREMENT, interested=True)
        lifecycle.suggestion_answer(actor=university, suggestion=suggestion, side=Side.ACHIEVEMENT,
                                    interested=target != "declined",
                                    reason="" if target != "declined" else "该成果已许可给其他企业（演示数据）")
        return True

    def _play(self, bureau: User, event: Event) -> dict:
        """Negotiations that ended before now took place (most were held), with check-in; a third
        of the held ones signed an agreement."""
        now = timezone.now()
        done = (ScheduledMeeting.objects.filter(event=event, status=PlanStatus.CONFIRMED, slot__ends_at__lte=now)
                .select_related("suggestion__requirement", "suggestion__achievement", "meeting", "slot")
                .order_by("slot__starts_at", "pk"))
        counts = {"held": 0, "missed": 0, "agreements": 0, "checked_in": 0}
        for i, row in enumerate(done):
            pair = row.suggestion
            actor = pair.broker or bureau
            for org_id in (pair.requirement.organisation_id, pair.achievement.organisation_id):
                registration = Registration.objects.get(event=event, organisation_id=org_id)
                if registration.checked_in_at is None:
                    registration_check_in(actor=bureau, registration=registration)
                    counts["checked_in"] += 1
            held = i % 8 != 7
            if held:
                for side in (Side.REQUIREMENT, Side.ACHIEVEMENT):
                    meeting_check_in(actor=actor, scheduled=row, side=side)
            scheduled_record_outcome(actor=actor, scheduled=row, held=held,
                                     outcome="双方确认合作方向，约定两周内提交合作方案。" if held else "企业代表未到场")
            counts["held" if held else "missed"] += 1
            if held and i % 3 == 0:
                modes = pair.achievement.cooperation_modes or [CooperationMode.TRANSFER]
                lifecycle.agreement_record(actor=actor, suggestion=pair, contract_type=modes[0],
                                           amount=30 + 15 * (i % 9), signed_on=timezone.localdate(now, LOCAL),
                                           meeting=row.meeting, note="对接会现场签约（演示数据）")
                counts["agreements"] += 1
        return counts

    def _roadshows(self, bureau: User, event: Event) -> dict:
        sessions = list(Session.objects.filter(event=event, kind=SessionKind.ROADSHOW).order_by("starts_at"))
        entered = (Achievement.objects.filter(pk__in=event.listings.filter(achievement__isnull=False)
                                              .values("achievement_id"), status__in=LIVE_STATUSES)
                   .exclude(confidentiality=Confidentiality.RESTRICTED)
                   .order_by("-evaluation_score", "-trl", "pk"))
        added = 0
        for achievement in entered[:8 * len(sessions)]:
            session = sessions[added % len(sessions)]
            if RoadshowEntry.objects.filter(session__event=event, achievement=achievement).exists():
                continue
            roadshows.roadshow_entry_add(actor=bureau, session=session, achievement=achievement, minutes=12,
                                         presenter="项目负责人")
            added += 1
        interests = 0
        levels = [InterestLevel.FOLLOW, InterestLevel.MEETING, InterestLevel.FOLLOW, InterestLevel.DUE_DILIGENCE]
        entries = list(RoadshowEntry.objects.filter(session__event=event).order_by("session__starts_at", "order"))
        for i, registration in enumerate(Registration.objects.filter(
                event=event, organisation__kind=OrganisationKind.INVESTOR, status=RegistrationStatus.REGISTERED)
                .order_by("pk")):
            investor = _party(registration.organisation_id, Role.INVESTOR)
            if investor is None:
                continue
            for k, entry in enumerate(entries[i::3][:4]):
                roadshows.investor_interest_record(actor=investor, entry=entry, level=levels[(i + k) % len(levels)],
                                                   registration=registration, note="希望获取中试数据")
                interests += 1
        if event.status == EventStatus.PUBLISHED and not entries:
            self.stderr.write("no achievement could be put on the roadshows")
        return {"presentations": added, "interests": interests}
