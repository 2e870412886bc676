"""The stretch and exercise library, and the pure choice of what to suggest for a day.

Release first, then strengthen at the right length, then the rest of the team: the library follows
that order, and the suggestions lean on it. Long sitting streaks favour releasing the front of the
hip and waking it with marching; much slumping favours the seated reset and glute work; few breaks
favour short walks. Nothing here reads a clock: the caller passes the day's signals and the weekday,
so the same day always gets the same suggestion.

The texts are written for this project. They describe gentle self-care, not treatment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.model import Activity, Bout, Event, EventType, Posture

__all__ = [
    "PROFESSIONAL_NOTE",
    "STRETCHES",
    "THOMAS_TEST_NOTE",
    "DaySignals",
    "Dose",
    "Routine",
    "Stretch",
    "by_id",
    "day_signals",
    "suggest_for_prompt",
    "suggest_routine",
]

LONG_STREAK_SECONDS = 30 * 60.0
# Above this share of seated time spent slumped, the day's routine turns to posture and glutes.
SLUMP_SHARE = 0.3
# Fewer breaks than this per hour of sitting counts as "few breaks" (the habit is one per 30 minutes).
BREAKS_PER_SITTING_HOUR = 1.0


@dataclass(frozen=True, slots=True)
class Dose:
    """How much: a hold (seconds) or sets of repetitions, optionally per side."""

    sets: int = 1
    reps: int | None = None
    hold_seconds: int | None = None
    hold_seconds_max: int | None = None
    per_side: bool = False
    minutes: float | None = None

    def __str__(self) -> str:
        side = " per side" if self.per_side else ""
        if self.minutes is not None:
            return f"{self.minutes:g} minutes"
        if self.hold_seconds is not None:
            hold = f"{self.hold_seconds}" if self.hold_seconds_max is None else \
                f"{self.hold_seconds}\u2013{self.hold_seconds_max}"
            rounds = f", {self.sets} rounds" if self.sets > 1 else ""
            reps = f"{self.reps} \u00d7 " if self.reps is not None else ""
            return f"{reps}hold {hold} s{side}{rounds}"
        return f"{self.sets} sets of {self.reps}{side}"


@dataclass(frozen=True, slots=True)
class Stretch:
    id: str
    name: str
    purpose: str
    steps: tuple[str, ...]
    dose: Dose
    mistakes: tuple[str, ...]
    cautions: tuple[str, ...]
    tags: frozenset[str]
    # Can be done in work clothes next to the desk, so a move prompt may suggest it.
    at_desk: bool = False


PROFESSIONAL_NOTE = (
    "See a physiotherapist or doctor if the pain is severe or came on suddenly, if you feel numbness or "
    "tingling running down the leg, or if nothing improves after a few weeks of steady, gentle self-care. "
    "They can rule out other causes, such as a torn hip labrum or arthritis, and treat what they find. Pain "
    "from the hip joint itself is often felt deep in the groin or buttock, can be sharp, and limits movement "
    "in every direction; a tight or irritated hip flexor tends to hurt with particular movements or postures."
)

THOMAS_TEST_NOTE = (
    "The modified Thomas test is a self-check for tightness, not a diagnosis. Lie on your back on a firm table "
    "with your legs hanging off the end, hug one knee to your chest so your lower back lies flat, and let the "
    "other leg hang. If that thigh rises clearly off the table, the hip flexor on that side is probably tight; "
    "if the thigh stays down but the knee will not bend so the shin hangs straight down, the front of the "
    "thigh (rectus femoris) may be tight. Stop at any sharp pain and have it looked at."
)

STRETCHES: tuple[Stretch, ...] = (
    Stretch(
        id="half-kneeling-hip-flexor",
        name="Half-kneeling hip flexor stretch",
        purpose="Lengthens the front of the hip (iliopsoas) that hours of sitting hold short.",
        steps=(
            "Kneel on your right knee on a cushion, left foot flat on the floor in front, both knees at "
            "about a right angle.",
            "Stand tall and tuck your pelvis under, as if bringing your belt buckle up towards your ribs.",
            "Squeeze the right buttock gently; the stretch appears at the front of the right hip.",
            "Breathe slowly and let the hip soften with each breath out, then switch sides.",
        ),
        dose=Dose(hold_seconds=30, hold_seconds_max=45, per_side=True, sets=2),
        mistakes=(
            "Leaning the whole body forward instead of tucking the pelvis: the stretch moves into the "
            "lower back.",
            "Arching the lower back to feel more stretch.",
            "Holding the breath.",
        ),
        cautions=(
            "Use a thick cushion or folded towel under the knee if kneeling hurts.",
            "A stretch should feel like gentle pulling, never sharp pain; ease off if it does.",
        ),
        tags=frozenset({"hip-flexor", "release", "stretch"}),
    ),
    Stretch(
        id="standing-hip-flexor",
        name="Standing split-stance hip stretch",
        purpose="The half-kneeling stretch for the office: opens the front of the hip without kneeling.",
        steps=(
            "Stand beside your desk and rest one hand on it. Step your right foot a long pace back.",
            "Bend the front knee a little and keep the back heel lifted.",
            "Tuck your pelvis under and squeeze the right buttock until the front of the right hip stretches.",
            "Stay tall, breathe, then switch sides.",
        ),
        dose=Dose(hold_seconds=30, per_side=True),
        mistakes=(
            "Letting the lower back sag into an arch.",
            "Taking too short a step, so nothing stretches.",
        ),
        cautions=("Hold on to something steady; stop if the hip or back hurts sharply.",),
        tags=frozenset({"hip-flexor", "release", "stretch"}),
        at_desk=True,
    ),
    Stretch(
        id="supported-release",
        name="Supported release over a cushion",
        purpose="Lets the hip flexors and lower back let go while the floor and a cushion carry the weight.",
        steps=(
            "Lie on your back with knees bent and feet flat on the floor.",
            "Lift your hips and slide a firm pillow, folded blanket or foam roller under the flat bone at the "
            "base of your spine (the sacrum), not under the lower back.",
            "Let your arms rest at your sides and your legs relax; breathe into your belly.",
            "To come out, lift the hips, remove the support and roll onto your side before sitting up.",
        ),
        dose=Dose(minutes=3),
        mistakes=(
            "Placing the support under the waist, which arches the lower back.",
            "Holding the legs tense instead of letting them be heavy.",
        ),
        cautions=("Choose a lower support if the lower back pinches.",),
        tags=frozenset({"hip-flexor", "release", "lower-back"}),
    ),
    Stretch(
        id="dead-bug",
        name="Dead bug",
        purpose="Trains the deep core to hold the lower back steady while the hips and shoulders move, "
                "one of the hip flexors' jobs.",
        steps=(
            "Lie on your back, hips and knees bent to right angles, arms reaching to the ceiling.",
            "Press your lower back gently into the floor and keep it there.",
            "Breathing out, slowly lower your right arm behind your head and your left leg towards the floor.",
            "Go only as far as the back stays flat, return, and repeat on the other side.",
        ),
        dose=Dose(sets=2, reps=10, per_side=True),
        mistakes=(
            "Letting the lower back lift off the floor as the leg goes down.",
            "Rushing: the slower, the harder and the better.",
            "Holding the breath.",
        ),
        cautions=("Keep the range small at first; bend the moving knee more to make it easier.",),
        tags=frozenset({"core", "strength", "hip-flexor"}),
    ),
    Stretch(
        id="standing-marching",
        name="Standing marching",
        purpose="Strengthens the hip flexors at their full range, so they work well instead of just feeling tight.",
        steps=(
            "Stand tall, feet hip-width apart, one hand on the desk if you like.",
            "Tighten your middle a little, as if about to be nudged.",
            "Lift one knee to hip height using the front of the hip, pause for two seconds, and lower slowly.",
            "Alternate legs without swinging or leaning back.",
        ),
        dose=Dose(sets=2, reps=10, per_side=True),
        mistakes=(
            "Swinging the leg up with momentum.",
            "Leaning the trunk back to get the knee higher.",
            "Dropping the leg instead of lowering it with control.",
        ),
        cautions=("Lift only as high as stays comfortable at the front of the hip.",),
        tags=frozenset({"hip-flexor", "strength", "march"}),
        at_desk=True,
    ),
    Stretch(
        id="glute-bridge",
        name="Glute bridge",
        purpose="Wakes up the buttock muscles, which take over pelvic support the hip flexors otherwise carry.",
        steps=(
            "Lie on your back, knees bent, feet flat and hip-width apart, arms by your sides.",
            "Press through your heels and squeeze your buttocks to lift the hips until knees, hips and "
            "shoulders form a line.",
            "Hold for two seconds at the top, then lower one vertebra at a time.",
        ),
        dose=Dose(sets=2, reps=12),
        mistakes=(
            "Pushing the hips so high that the lower back arches.",
            "Feeling it mostly in the hamstrings: bring the feet a little closer.",
        ),
        cautions=("Keep the movement slow; stop if the lower back hurts.",),
        tags=frozenset({"glute", "strength"}),
    ),
    Stretch(
        id="clamshell",
        name="Clamshell",
        purpose="Strengthens the side of the buttock (gluteus medius), which keeps the pelvis level.",
        steps=(
            "Lie on your side, hips and knees bent, feet together, head resting on your arm.",
            "Keep the feet touching and lift the top knee like a shell opening.",
            "Open only as far as the pelvis stays still, then close slowly.",
        ),
        dose=Dose(sets=2, reps=15, per_side=True),
        mistakes=(
            "Rolling the top hip backwards to lift the knee higher.",
            "Moving fast and letting the knee drop.",
        ),
        cautions=("Add a light band above the knees only once 15 slow repetitions feel easy.",),
        tags=frozenset({"glute", "strength"}),
    ),
    Stretch(
        id="banded-side-walk",
        name="Banded side walk",
        purpose="Works the glutes standing up, as they work when you walk.",
        steps=(
            "Put a light resistance band around your legs just above the knees.",
            "Stand with feet hip-width apart, knees soft, hips slightly back.",
            "Step sideways with one foot, follow with the other without letting the feet meet, and keep "
            "tension in the band.",
            "Take the steps to one side, then walk back the other way.",
        ),
        dose=Dose(sets=2, reps=10, per_side=True),
        mistakes=(
            "Letting the knees fall inwards.",
            "Rocking the trunk from side to side.",
            "Letting the band go slack between steps.",
        ),
        cautions=("Start with the lightest band; no band at all is a fine start.",),
        tags=frozenset({"glute", "strength"}),
    ),
    Stretch(
        id="seated-posture-reset",
        name="Seated posture reset",
        purpose="Moves you from slumping on the tailbone back onto the sit bones, where the spine stacks "
                "without effort.",
        steps=(
            "Sit near the front of your chair, feet flat, knees a little below your hips.",
            "Rock the pelvis back and forth a few times and stop where you feel the two bony points under "
            "your buttocks, the sit bones, carrying your weight.",
            "Let the spine grow tall from there, ribs over pelvis, chin level.",
            "Breathe out, drop the shoulders, and move back only as far as the backrest meets you.",
        ),
        dose=Dose(sets=1, reps=5, hold_seconds=10),
        mistakes=(
            "Forcing the chest up and arching the lower back: tall, not stiff.",
            "Sliding back onto the tailbone as soon as attention drifts; set a screen or cup as a reminder.",
        ),
        cautions=("No position is right for hours; the best next posture is the next one.",),
        tags=frozenset({"posture", "seated"}),
        at_desk=True,
    ),
    Stretch(
        id="short-walk",
        name="Short walk",
        purpose="The simplest break: walking uses the hip flexors through their whole range and ends the "
                "sitting streak.",
        steps=(
            "Stand up and walk: to the window, to fetch water, up and down a flight of stairs.",
            "Let your arms swing and take full strides.",
            "Come back when the time is up; a phone call taken standing counts too.",
        ),
        dose=Dose(minutes=3),
        mistakes=("Standing still at the coffee machine: keep moving for the whole break.",),
        cautions=("Take stairs at your own pace.",),
        tags=frozenset({"walk", "break"}),
        at_desk=True,
    ),
)

_BY_ID = {s.id: s for s in STRETCHES}


def by_id(stretch_id: str) -> Stretch:
    """The library entry with this id; KeyError names the unknown id."""
    try:
        return _BY_ID[stretch_id]
    except KeyError:
        raise KeyError(f"no stretch with id {stretch_id!r}") from None


@dataclass(frozen=True, slots=True)
class DaySignals:
    """What the day's data says, reduced to the few numbers the suggestions depend on."""

    sitting_seconds: float = 0.0
    longest_streak_seconds: float = 0.0
    streaks_over_30: int = 0
    slumped_seconds: float = 0.0
    seated_seconds: float = 0.0
    breaks: int = 0
    hours_tracked: float = 0.0

    @property
    def slumped_share(self) -> float:
        return self.slumped_seconds / self.seated_seconds if self.seated_seconds > 0 else 0.0

    @property
    def breaks_per_sitting_hour(self) -> float:
        hours = self.sitting_seconds / 3600
        return self.breaks / hours if hours > 0 else 0.0


def day_signals(bouts: Iterable[Bout], events: Iterable[Event], start: float, end: float,
                current_streak_seconds: float = 0.0) -> DaySignals:
    """Given a day's bouts and events within [start, end), the signals the suggestions use."""
    sitting = slumped = seated = tracked = 0.0
    for bout in bouts:
        seconds = max(0.0, min(bout.end, end) - max(bout.start, start))
        if bout.activity is not Activity.UNKNOWN:
            tracked += seconds
        if bout.activity is Activity.SIT:
            sitting += seconds
            if bout.posture is not Posture.UNKNOWN:
                seated += seconds
            if bout.posture is Posture.SLUMPED:
                slumped += seconds
    streaks = [float(e.data.get("streak_seconds", 0.0)) for e in events
               if e.type is EventType.BREAK_TAKEN and start <= e.t < end]
    streaks.append(current_streak_seconds)
    return DaySignals(
        sitting_seconds=sitting, longest_streak_seconds=max(streaks),
        streaks_over_30=sum(1 for s in streaks if s >= LONG_STREAK_SECONDS),
        slumped_seconds=slumped, seated_seconds=seated,
        breaks=sum(1 for e in events if e.type is EventType.BREAK_TAKEN and start <= e.t < end),
        hours_tracked=tracked / 3600,
    )


@dataclass(frozen=True, slots=True)
class Routine:
    """A day's suggestion: what to do, in order, and why these."""

    focus: str
    reason: str
    stretches: tuple[Stretch, ...]


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{minutes} min"


def _needs(day: DaySignals) -> list[str]:
    """The day's needs, most pressing first."""
    needs: list[tuple[float, str]] = []
    if day.longest_streak_seconds >= 45 * 60 or day.streaks_over_30 >= 2:
        needs.append((day.longest_streak_seconds / LONG_STREAK_SECONDS, "hips"))
    if day.seated_seconds >= 10 * 60 and day.slumped_share >= SLUMP_SHARE:
        needs.append((day.slumped_share / SLUMP_SHARE, "posture"))
    if day.sitting_seconds >= 3600 and day.breaks_per_sitting_hour < BREAKS_PER_SITTING_HOUR:
        needs.append(((BREAKS_PER_SITTING_HOUR - day.breaks_per_sitting_hour) * 2, "breaks"))
    needs.sort(key=lambda n: -n[0])
    return [name for _, name in needs]


_GLUTES = ("glute-bridge", "clamshell", "banded-side-walk")
_RELEASES = ("half-kneeling-hip-flexor", "supported-release")
_CORE = ("dead-bug", "standing-marching")


def _pick(ids: tuple[str, ...], weekday: int) -> Stretch:
    return by_id(ids[weekday % len(ids)])


def _reason(need: str, day: DaySignals) -> str:
    if need == "hips":
        over = day.streaks_over_30
        streaks = f"{over} sitting streaks went past 30 minutes" if over != 1 else "one sitting streak went " \
            "past 30 minutes"
        return (f"Your longest sitting streak today was {_minutes(day.longest_streak_seconds)} and {streaks}. "
                "Long streaks keep the front of the hips short, so today starts by releasing them and then "
                "wakes them up with marching.")
    if need == "posture":
        return (f"You spent {round(day.slumped_share * 100)} % of your seated time slumped. A posture reset "
                "brings you back onto the sit bones, and glute work gives the pelvis the support that "
                "slumping hands to the lower back.")
    return (f"You took {day.breaks} break{'s' if day.breaks != 1 else ''} in {_minutes(day.sitting_seconds)} "
            "of sitting, fewer than one every half hour. Short walks are the easiest breaks to fit in, and "
            "the surest cure for sitting is getting up.")


def _routine_for(need: str, weekday: int) -> tuple[Stretch, ...]:
    if need == "hips":
        return (_pick(_RELEASES, weekday), by_id("standing-marching"), _pick(_GLUTES, weekday))
    if need == "posture":
        return (by_id("seated-posture-reset"), _pick(_GLUTES, weekday), _pick(_GLUTES, weekday + 1))
    return (by_id("short-walk"), by_id("standing-hip-flexor"), by_id("standing-marching"))


_FOCUS = {"hips": "Release and wake the hips", "posture": "Sit tall, strong glutes",
          "breaks": "More, shorter breaks"}


def suggest_routine(day: DaySignals, weekday: int) -> Routine:
    """Given the day's signals and the weekday (0 = Monday), the routine to suggest and why.

    The most pressing need picks the routine; the weekday rotates the exercises within it so the
    week brings variety. A day with no pressing need gets a balanced routine.
    """
    needs = _needs(day)
    if not needs:
        reason = ("Nothing stands out today" if day.hours_tracked > 0 else "There is not enough data yet today") \
            + ", so here is a balanced routine: release the hips, then strengthen the core and the glutes."
        balanced = (_pick(_RELEASES, weekday), _pick(_CORE, weekday), _pick(_GLUTES, weekday))
        return Routine("A balanced routine", reason, balanced)
    main = needs[0]
    stretches = list(_routine_for(main, weekday))
    reasons = [_reason(main, day)]
    if len(needs) > 1:
        extra = _routine_for(needs[1], weekday)[0]
        if extra not in stretches:
            stretches.append(extra)
            reasons.append(f"Added: {extra.name.lower()}. {_reason(needs[1], day)}")
    return Routine(_FOCUS[main], " ".join(reasons), tuple(stretches))


def suggest_for_prompt(day: DaySignals, seed: int) -> Stretch:
    """Given the day so far and a seed (e.g. the prompt's number), one stretch to do at the desk now.

    Prompt suggestions must be doable in work clothes next to the desk. The day's most pressing need
    orders the candidates and the seed walks through them, so consecutive prompts vary.
    """
    needs = _needs(day)
    order = {"hips": ("standing-hip-flexor", "standing-marching"),
             "posture": ("seated-posture-reset",),
             "breaks": ("short-walk",)}
    preferred = [by_id(i) for need in needs for i in order[need]]
    rest = [s for s in STRETCHES if s.at_desk and s not in preferred]
    # The most pressing need comes up twice as often as the rest.
    candidates = preferred[:1] + preferred + rest if preferred else rest
    return candidates[seed % len(candidates)]
