"""Walk some of the demo's routed suggestions along their life, through the same services the
portal uses, so that the review queue, the inboxes, the negotiation pages and the reports of
``make demo`` have something at every stage. Deterministic; run after ``run_predocking``."""

import json
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Membership
from catalog.enums import CooperationMode
from common.errors import ApplicationError
from matchmaking import lifecycle, routing
from matchmaking.models import Meeting, MeetingStatus, Side, Suggestion, SuggestionStatus

# Of every ten routed pairs (best first): how far each one goes.
PATTERN = ["signed", "met", "meeting", "mutual", "sent", "declined", "rejected", "sent", "suggested", "suggested"]


def _party(org_id: int, role: str):
    membership = (Membership.objects.select_related("user").filter(organisation_id=org_id, role=role)
                  .order_by("pk").first())
    return membership.user if membership else None


class Command(BaseCommand):
    help = "Advance a sample of routed demo suggestions to each stage (approve, interest, meeting, agreement)."

    def add_arguments(self, parser):
        parser.add_argument("--pairs", type=int, default=60, help="How many routed pairs to walk (default 60).")

    def handle(self, *args, pairs: int, **options):
        routing.suggestions_route()
        chosen = list(Suggestion.objects.filter(status=SuggestionStatus.SUGGESTED, broker__isnull=False)
                      .select_related("requirement", "achievement", "broker").order_by("-score", "pk")[:pairs])
        reached: dict[str, int] = {}
        for i, suggestion in enumerate(chosen):
            target = PATTERN[i % len(PATTERN)]
            try:
                with transaction.atomic():
                    walked = self._walk(suggestion, target, i)
                # A pair whose organisation has nobody to answer for it stays where it is.
                key = target if walked else "no_member"
                reached[key] = reached.get(key, 0) + 1
            except ApplicationError as exc:  # e.g. a requirement already contracted by an earlier pair
                reached["skipped"] = reached.get("skipped", 0) + 1
                self.stderr.write(f"pair {suggestion.pk}: {exc.message}")
        self.stdout.write(json.dumps({"pairs": len(chosen), "reached": reached}, ensure_ascii=False))

    def _walk(self, suggestion: Suggestion, target: str, i: int) -> bool:
        broker = suggestion.broker
        enterprise = _party(suggestion.requirement.organisation_id, Role.ENTERPRISE_MEMBER)
        university = _party(suggestion.achievement.organisation_id, Role.UNIVERSITY_MEMBER)
        if enterprise is None or university is None:
            return False
        if target == "suggested":
            return True
        if target == "rejected":
            lifecycle.suggestion_reject(actor=broker, suggestion=suggestion, reason="应用场景不一致（演示数据）")
            return True
        lifecycle.suggestion_approve(actor=broker, suggestion=suggestion,
                                     note="双方技术路线契合，建议尽快线上沟通。")
        lifecycle.suggestion_send(suggestion_id=suggestion.pk)
        if target == "sent":
            return True
        lifecycle.suggestion_answer(actor=enterprise, suggestion=suggestion, side=Side.REQUIREMENT, interested=True)
        if target == "declined":
            lifecycle.suggestion_answer(actor=university, suggestion=suggestion, side=Side.ACHIEVEMENT,
                                        interested=False, reason="该成果已独家许可给其他企业（演示数据）")
            return True
        lifecycle.suggestion_answer(actor=university, suggestion=suggestion, side=Side.ACHIEVEMENT, interested=True)
        lifecycle.message_post(actor=enterprise, suggestion=suggestion, body="您好，我们想了解中试条件和报价。")
        if target == "mutual":
            return True
        meeting = lifecycle.meeting_request(actor=enterprise, suggestion=suggestion,
                                            starts_at=timezone.now() + timedelta(days=2 + i % 5, hours=i % 8),
                                            location="腾讯会议", note="第一次技术交流")
        lifecycle.meeting_accept(actor=university, meeting=meeting)
        if target == "meeting":
            return True
        meeting = Meeting.objects.get(pk=meeting.pk, status=MeetingStatus.CONFIRMED)
        lifecycle.meeting_record_outcome(actor=broker, meeting=meeting, held=True, outcome="双方达成合作意向")
        if target == "met":
            return True
        modes = suggestion.achievement.cooperation_modes or [CooperationMode.TRANSFER]
        lifecycle.agreement_record(actor=broker, suggestion=suggestion, contract_type=modes[0],
                                   amount=50 + 10 * (i % 7), signed_on=timezone.localdate())
        return True
