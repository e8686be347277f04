"""Concurrent decisions on one pair, on PostgreSQL with real row locks: two brokers' clicks
arriving together record one transition; the loser is told the pair was already decided."""

import threading

import pytest
from django.db import close_old_connections, connection

from common.errors import ApplicationError
from matchmaking import lifecycle
from matchmaking.models import PairEvent, PartyAnswer, Side, Suggestion, SuggestionStatus
from tests.conftest import services_required
from tests.factories import ensure_taxonomy
from tests.matchmaking.builders import make_run, make_suggestion

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("the concurrency tests need PostgreSQL (DATABASE_URL)")
        pytest.skip("row locks are only meaningful on PostgreSQL")


def race(n: int, action) -> list:
    """Run ``action`` in ``n`` threads released together; return what each returned or raised."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action(i)
        except Exception as exc:  # noqa: BLE001 — the outcome is what the test inspects
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_concurrent_approve_and_reject_record_exactly_one_decision(world, settings):
    ensure_taxonomy()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    pair = make_suggestion(make_run(world), world.req_public, world.ach_public, status=SuggestionStatus.SUGGESTED,
                           broker=world.broker)

    def decide(i: int):
        suggestion = Suggestion.objects.get(pk=pair.pk)
        if i % 2:
            return lifecycle.suggestion_reject(actor=world.bureau, suggestion=suggestion, reason="不合适")
        return lifecycle.suggestion_approve(actor=world.broker, suggestion=suggestion)

    results = race(4, decide)

    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(refused) == 3 and {r.code for r in refused} == {"already_decided"}
    decisions = PairEvent.objects.filter(suggestion=pair, action__in=["approved", "rejected"])
    assert decisions.count() == 1
    assert Suggestion.objects.get(pk=pair.pk).event_seq == PairEvent.objects.filter(suggestion=pair).count()


def test_double_click_on_interested_records_one_answer(world):
    ensure_taxonomy()
    pair = make_suggestion(make_run(world), world.req_public, world.ach_public, status=SuggestionStatus.SENT,
                           broker=world.broker)

    results = race(3, lambda i: lifecycle.suggestion_answer(
        actor=world.ent_a_member, suggestion=Suggestion.objects.get(pk=pair.pk), side=Side.REQUIREMENT,
        interested=True))

    assert sum(isinstance(r, ApplicationError) and r.code == "already_answered" for r in results) == 2
    assert PartyAnswer.objects.filter(suggestion=pair).count() == 1
    assert PairEvent.objects.filter(suggestion=pair).count() == 1
