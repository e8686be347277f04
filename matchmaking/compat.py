"""Structured compatibility of a requirement and an achievement: whether a deal is possible at
all, whatever their texts say. Each rule gives a component in 0..1 and may raise a flag; a
blocking flag marks a pair that cannot be contracted as listed (brokers may still pursue it, but
must see why it will not go through as is).

Rules (requirement = what the enterprise needs, achievement = what the university offers):
- fields: 1 if they share a technical field, 0.5 if they share only a field cluster, else 0 with
  the non-blocking flag ``no_shared_field`` (text similarity can bridge neighbouring fields).
- trl: the achievement's TRL reaching the requirement's minimum gives 1; a gap of g levels gives
  max(0, 1 - g/4). A gap of 1–2 is a non-blocking ``trl_gap`` (a development contract can close
  it), of 3 or more a blocking one (that is a research project, not a transfer).
- modes: 1 if the cooperation modes intersect, else 0 with the blocking flag ``no_common_mode``.
- ip: the modes that matter (the common ones, else the requirement's) must be feasible with the
  achievement's IP: licensing needs a patent applied for or granted (a patent application can be
  licensed), a transfer a patent or know-how (技术秘密转让 is a legal contract type), an equity
  contribution (作价入股) some IP; development, consulting and service need none. If none of them
  is feasible: 0 and the blocking flag ``ip_mode``; else 1.
- budget (10k CNY): the enterprise's ceiling (requirement budget_max) against the achievement's
  floor (its budget_min). Ceiling ≥ floor gives 1; otherwise the component is ceiling / floor,
  with a ``budget`` flag, blocking below half the asking price (a gap negotiation rarely closes).
- region: the same Shenyang district 1, otherwise 0.5 ("other" is not a shared region); never a
  flag: conferences are regional, but cross-region deals are welcome.
- language: different listing languages raise the non-blocking flag ``language`` (the parties
  may need a translator); no component.

Unknown values (no fields, TRL, modes or budget on either side) give a neutral 0.5 and no flag:
a missing answer is not evidence of a mismatch. The score is the mean of the components weighted
by ``COMPONENT_WEIGHTS``.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.enums import Region
from catalog.enums import CooperationMode, IPStatus, Language

# Modes and TRL decide whether a deal is possible; fields check that the text match is not a
# coincidence of words across domains; budget is negotiable within limits; IP feasibility is
# mostly already a blocking flag; region is a preference only.
COMPONENT_WEIGHTS: dict[str, float] = {
    "fields": 0.25,
    "trl": 0.20,
    "modes": 0.20,
    "ip": 0.10,
    "budget": 0.15,
    "region": 0.10,
}
NEUTRAL = 0.5
TRL_GAP_BLOCKING = 3
BUDGET_RATIO_BLOCKING = 0.5

# How much IP each mode needs: 0 none, 1 know-how or better, 2 a patent (applied or granted).
_IP_LEVEL = {IPStatus.NONE: 0, IPStatus.KNOW_HOW: 1, IPStatus.APPLIED: 2, IPStatus.GRANTED: 2}
_IP_NEEDED = {CooperationMode.LICENCE: 2, CooperationMode.TRANSFER: 1, CooperationMode.EQUITY: 1}

_MESSAGES = {
    "no_shared_field": _(
        "No shared field: the requirement and the achievement are classified under different technical fields."
    ),
    "trl_gap": _("TRL gap: the requirement needs TRL %(required)s, the achievement is at TRL %(offered)s."),
    "no_common_mode": _(
        "No common cooperation mode: the requirement asks for %(required)s, the achievement offers %(offered)s."
    ),
    "ip_mode": _(
        "The achievement's IP status (%(ip_status)s) does not allow %(modes)s: licensing needs a patent or a "
        "patent application, a transfer needs a patent or know-how, an equity contribution needs some IP."
    ),
    "budget": _(
        "Budget: the enterprise offers at most %(offered)s and the achievement asks at least %(asking)s "
        "(in 10,000 CNY)."
    ),
    "language": _(
        "Different languages: the requirement is in %(requirement)s, the achievement in %(achievement)s; "
        "the parties may need a translator."
    ),
}
_BUDGET_REDACTED = _("Budget: the enterprise's budget is below the achievement's asking price.")


@dataclass(frozen=True)
class ListingAttrs:
    field_ids: frozenset[int]
    cluster_ids: frozenset[int]
    trl: int | None  # requirement: trl_min; achievement: trl
    modes: frozenset[str]
    ip_status: str
    budget_min: int | None
    budget_max: int | None
    region: str
    language: str


@dataclass(frozen=True)
class Flag:
    code: str  # a key of _MESSAGES
    blocking: bool
    params: dict  # JSON-serialisable: stored on suggestions, rendered at display time

    def message(self, *, redact: bool = False) -> str:
        """The flag in the current language. ``redact`` hides the budget figures from viewers
        who may not see budgets."""
        if redact and self.code == "budget":
            return str(_BUDGET_REDACTED)
        return str(_MESSAGES[self.code]) % self._display_params()

    def _display_params(self) -> dict:
        params = dict(self.params)
        if self.code == "no_common_mode":
            params["required"], params["offered"] = _modes_text(params["required"]), _modes_text(params["offered"])
        elif self.code == "ip_mode":
            params["modes"], params["ip_status"] = _modes_text(params["modes"]), _label(IPStatus, params["ip_status"])
        elif self.code == "language":
            params = {side: _label(Language, value) for side, value in params.items()}
        return params


@dataclass(frozen=True)
class Compatibility:
    score: float  # 0..1, COMPONENT_WEIGHTS-weighted mean of the components
    components: dict[str, float]  # the keys of COMPONENT_WEIGHTS, each 0..1
    flags: tuple[Flag, ...]

    @property
    def blocking(self) -> bool:
        return any(flag.blocking for flag in self.flags)


def compatibility(req: ListingAttrs, ach: ListingAttrs) -> Compatibility:
    flags: list[Flag] = []
    components = {
        "fields": _fields(req, ach, flags),
        "trl": _trl(req, ach, flags),
        "modes": _modes(req, ach, flags),
        "ip": _ip(req, ach, flags),
        "budget": _budget(req, ach, flags),
        "region": 1.0 if req.region and req.region == ach.region and req.region != Region.OTHER else NEUTRAL,
    }
    if req.language and ach.language and req.language != ach.language:
        flags.append(Flag("language", False, {"requirement": req.language, "achievement": ach.language}))
    score = sum(COMPONENT_WEIGHTS[name] * value for name, value in components.items()) / sum(COMPONENT_WEIGHTS.values())
    return Compatibility(score=score, components=components, flags=tuple(flags))


def _fields(req: ListingAttrs, ach: ListingAttrs, flags: list[Flag]) -> float:
    if not req.field_ids or not ach.field_ids:
        return NEUTRAL
    if req.field_ids & ach.field_ids:
        return 1.0
    if req.cluster_ids & ach.cluster_ids:
        return 0.5
    flags.append(Flag("no_shared_field", False, {}))
    return 0.0


def _trl(req: ListingAttrs, ach: ListingAttrs, flags: list[Flag]) -> float:
    if req.trl is None or ach.trl is None:
        return NEUTRAL
    gap = req.trl - ach.trl
    if gap <= 0:
        return 1.0
    flags.append(Flag("trl_gap", gap >= TRL_GAP_BLOCKING, {"gap": gap, "required": req.trl, "offered": ach.trl}))
    return max(0.0, 1 - gap / 4)


def _modes(req: ListingAttrs, ach: ListingAttrs, flags: list[Flag]) -> float:
    if not req.modes or not ach.modes:
        return NEUTRAL
    if req.modes & ach.modes:
        return 1.0
    flags.append(Flag("no_common_mode", True, {"required": _ordered(req.modes), "offered": _ordered(ach.modes)}))
    return 0.0


def _ip(req: ListingAttrs, ach: ListingAttrs, flags: list[Flag]) -> float:
    modes = (req.modes & ach.modes) or req.modes
    level = _IP_LEVEL.get(ach.ip_status, 0)
    if not modes or any(_IP_NEEDED.get(mode, 0) <= level for mode in modes):
        return 1.0
    flags.append(Flag("ip_mode", True, {"ip_status": ach.ip_status, "modes": _ordered(modes)}))
    return 0.0


def _budget(req: ListingAttrs, ach: ListingAttrs, flags: list[Flag]) -> float:
    ceiling, floor = req.budget_max, ach.budget_min
    if ceiling is None or floor is None:
        return NEUTRAL
    if ceiling >= floor:
        return 1.0
    ratio = ceiling / floor
    flags.append(Flag("budget", ratio < BUDGET_RATIO_BLOCKING,
                      {"offered": ceiling, "asking": floor, "ratio": round(ratio, 3)}))
    return ratio


def _ordered(modes: frozenset[str]) -> list[str]:
    """Modes in the order of the enum (the order forms show them), unknown values last."""
    order = {mode: i for i, mode in enumerate(CooperationMode.values)}
    return sorted(modes, key=lambda mode: (order.get(mode, len(order)), mode))


def _modes_text(modes: list[str]) -> str:
    return pgettext("list separator", ", ").join(_label(CooperationMode, mode) for mode in modes)


def _label(choices: type[models.TextChoices], value: str) -> str:
    """The translated label of a stored choice value; a value the enum no longer knows, as is."""
    return str(choices(value).label) if value in choices.values else value
