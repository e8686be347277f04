"""A docking conference written straight to the database for the events tests (the services
under test are not used to build it). ``conference(world)`` gives a published event whose
registration and pre-docking windows are open now, one themed area (energy storage) with a
negotiation session cut into 30-minute slots and a few tables, a roadshow session, enterprise A
and the university registered with their public listings entered, and one mutually interested
pair of them routed to ``world.broker``."""

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import timedelta

from django.utils import timezone

from events.enums import EventStatus, SessionKind
from events.models import Event, EventListing, ExhibitionArea, Registration, Session, Slot, Table
from matchmaking.models import SuggestionStatus
from tests.factories import field
from tests.matchmaking.builders import make_run, make_suggestion


@dataclass
class Conference:
    event: Event
    area: ExhibitionArea
    session: Session
    slots: list[Slot]
    tables: list[Table]
    roadshow: Session
    reg_ent_a: Registration
    reg_uni: Registration
    pair: object  # world.req_public ↔ world.ach_public, mutual, broker = world.broker
    extra: dict = dc_field(default_factory=dict)


def make_event(world, *, slug: str = "shenyang-2026", status: str = EventStatus.PUBLISHED, starts_in_days: int = 12,
               **fields) -> Event:
    now = timezone.now()
    start = (now + timedelta(days=starts_in_days)).date()
    defaults = {
        "name_zh": "2026沈阳科技成果转化对接会", "name_en": "Shenyang Technology Transfer Docking Conference 2026",
        "organiser": world.bureau_org, "starts_on": start, "ends_on": start + timedelta(days=1),
        "venue": "沈阳新世界博览馆", "registration_opens_at": now - timedelta(days=5),
        "registration_closes_at": now + timedelta(days=5), "predocking_opens_at": now - timedelta(days=1),
        "predocking_closes_at": now + timedelta(days=9), "created_by": world.bureau,
    }
    return Event.objects.create(slug=slug, status=status, **(defaults | fields))


def make_slots(session: Session, minutes: int = 30) -> list[Slot]:
    slots, start = [], session.starts_at
    while start + timedelta(minutes=minutes) <= session.ends_at:
        slots.append(Slot.objects.create(session=session, starts_at=start, ends_at=start + timedelta(minutes=minutes)))
        start += timedelta(minutes=minutes)
    return slots


def conference(world, *, slots: int = 4, tables: int = 2, slug: str = "shenyang-2026") -> Conference:
    event = make_event(world, slug=slug)
    area = ExhibitionArea.objects.create(event=event, code="energy", name_zh="新能源展区", name_en="New energy",
                                         hall="A馆")
    area.fields.add(field("energy-storage"))
    day_start = timezone.make_aware(timezone.datetime.combine(event.starts_on, timezone.datetime.min.time())) \
        + timedelta(hours=1)  # 09:00 in Asia/Shanghai is 01:00 UTC; the exact hour does not matter here
    session = Session.objects.create(event=event, area=area, kind=SessionKind.NEGOTIATION, title_zh="新能源洽谈",
                                     title_en="New energy negotiations", room="A馆洽谈区", starts_at=day_start,
                                     ends_at=day_start + timedelta(minutes=30 * slots))
    roadshow = Session.objects.create(event=event, kind=SessionKind.ROADSHOW, title_zh="成果路演",
                                      title_en="Achievement roadshow", room="主会场", starts_at=day_start,
                                      ends_at=day_start + timedelta(hours=2), seats=200)
    reg_ent_a = Registration.objects.create(event=event, organisation=world.ent_a, registered_by=world.ent_a_admin,
                                            contact_name="张经理", contact_phone="13800000000")
    reg_uni = Registration.objects.create(event=event, organisation=world.uni, registered_by=world.uni_member,
                                          delegates=2)
    EventListing.objects.create(event=event, registration=reg_ent_a, requirement=world.req_public, area=area,
                                entered_by=world.ent_a_admin)
    EventListing.objects.create(event=event, registration=reg_uni, achievement=world.ach_public, area=area,
                                entered_by=world.uni_member)
    run = make_run(world, scope_key=event.scope_key)
    pair = make_suggestion(run, world.req_public, world.ach_public, status=SuggestionStatus.MUTUAL,
                           broker=world.broker, sent_at=timezone.now() - timedelta(days=1))
    event.run = run
    event.save(update_fields=["run"])
    return Conference(
        event=event, area=area, session=session, slots=make_slots(session),
        tables=[Table.objects.create(area=area, label=f"A{i + 1:02d}") for i in range(tables)],
        roadshow=roadshow, reg_ent_a=reg_ent_a, reg_uni=reg_uni, pair=pair,
    )
