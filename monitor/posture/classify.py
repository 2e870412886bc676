"""Per-second activity and posture from one accelerometer, streaming, numpy only.

How a second is judged (docs/classification.md has the full story and the numbers):

1. Per-second statistics, vectorised over every complete second of a pushed block: the mean vector
   (gravity plus the slow part of the motion) and the spread (the dynamic part).
2. Units come from `GravityScale`: g and m/s^2 by magnitude, raw counts by a sphere fit over still
   seconds (auto-calibration), so the classifier is unit-agnostic.
3. The upright reference is learned without labels from walking: while walking, thigh and trunk are
   near vertical, so the mean gravity direction of sustained movement is "upright" in the sensor's
   own frame, whatever the mounting. An explicit calibration (stand upright) replaces it.
4. Movement first (gait-like or vigorous motion with the segment near upright); then the angle
   between the gravity direction and the upright reference separates standing from sitting (and
   lying). A phone in a trouser pocket may sit in any rotation, so for the pocket the angle is taken
   to the nearer of the phone's long-axis line and the learned line (sign-agnostic). A trunk sensor
   differs by only a few degrees between sitting and standing, so it groups quiet seconds into
   still-posture clusters and judges each by its lean and its sway: a standing trunk balances and
   sways, a seated one is supported and stays put (with `sway_weight = 0`, two posture centroids
   learned without labels, standing anchored on the gait reference, let the nearer one decide).
   Live, a trunk sensor re-learns every few minutes from the per-second statistics of the last
   day, all at once and without regard to order; a whole recording is reviewed the same way
   (`classify_recording`, `learn_recording`) and then judged again from its first second. Both
   take a small posture that the trunk keeps shifting to and from larger ones within seconds for
   what those are (`_shift_verdicts`): shifting in the chair is not standing up. For the same
   reason a brief change between sitting and standing that no movement led into or out of is
   taken back (`_without_still_changes`): getting up from a chair moves the body.
5. Smoothing: each second's output is the majority of the raw judgements in a window of
   `2 * delay + 1` seconds centred on it, so a second is emitted `delay` seconds after it ends
   (bounded look-ahead; `flush()` emits the rest). A fidget of a few seconds is not a change.
6. Slump (trunk sensors only): while sitting, the flexion angle from the calibrated upright sitting
   direction; slumped once it stays beyond `slump_degrees` for `slump_hold` seconds. A thigh or
   pocket sensor cannot see the trunk, so its posture is always unknown.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from monitor.model import Activity, Placement, Posture, PostureState, SampleBlock
from monitor.posture.calibration import Calibration, CalibrationError, GravityScale, Vector

MIN_SAMPLES_PER_SECOND = 3
STILL_G = 0.03  # spread below which a second can feed the auto-calibration
MOVE_G = 0.10  # spread (g) above which a second may be a step
WALK_MIN_RUN = 3  # consecutive gait seconds before a second may teach the upright reference
REF_MIN_SECONDS = 5  # gait seconds before the learned upright reference is trusted
WALK_MAX_G = 1.5  # above this spread it is not walking (jumps, knocks): do not learn from it
VIGOROUS_G = 0.3  # spread (g) that counts as moving even when it does not look like steps
WALK_MIN_VERTICAL_SHARE = 0.35  # share of the dynamic variance along gravity while walking
WALK_MAX_CROSSINGS = 11  # sign changes of the vertical signal per second (steps are ~2 Hz)
THIGH_SIT_DEGREES = 45.0
TRUNK_SIT_DEGREES = 16.0  # fitted on all ten Casale dev subjects (see bench/evaluate.py)
TRUNK_LIE_DEGREES = 60.0
REVIEW_SIT_DEGREES = 16.0  # fitted like TRUNK_SIT_DEGREES, for recordings judged in review
REVIEW_SWAY_WEIGHT = 4.0
RELEARN_EVERY = 300
RELEARN_MAX_EVERY = 900  # with a long history, re-learn at most this far apart (seconds)
RELEARN_HISTORY = 86_400  # seconds of per-second statistics kept for re-learning
SEED_SAMPLE = 2000  # quiet seconds that vote for cluster seeds (a stride through longer recordings)
MAX_WHOLE_CLUSTERS = 12  # still postures found in a whole recording (or the last day), at most
# A shift in the chair: two still postures follow each other within this many seconds, with
# nothing but quiet seconds near the posture left in between.
SHIFT_MAX_GAP = 5
SHIFT_MAX_DEGREES = 20.0
# A posture whose shifts to and from larger postures number at least this share of its seconds
# (visits of ten seconds or less on average) takes their verdict when this share of them agree.
SHIFT_SHARE = 0.2
SHIFT_AGREE = 0.75
CLUSTER_FIELDS = 9  # see StreamClassifier._clusters
# Judged afterwards (a review, a revision): a change between sitting and standing that no movement
# led into or out of, within this many seconds either side, is a shift if what it changed to
# lasts no longer than this and less than the stretches on both sides of it.
STILL_CHANGE_EDGE = 2
STILL_CHANGE_MAX_SECONDS = 120
MOVE_MAX_TILT_DEGREES = 35.0  # moving with the segment further than this from upright is a fidget
THIGH_LIE_ROLL_DEGREES = 65.0
MIN_REFERENCE_SEPARATION_DEGREES = 6.0
STAND_NEAR_DEGREES = 3.0  # this close to standing is standing, whatever the sitting centroid says
SIT_FAR_EXTRA_DEGREES = 20.0  # this far beyond the sit angle is sitting, whatever the centroids say
CENTROID_RATE = 1.0 / 300.0
SWAY_JOIN_COS = math.cos(math.radians(5.0))  # a quiet second within this of a cluster belongs to it
SWAY_MAX_CLUSTERS = 6
SWAY_MATURE_SECONDS = 30  # a cluster's sway is trusted after this many quiet seconds
SWAY_FLOOR_DEGREES = 0.05  # below the sensor's resolution: no posture is stiller than this
DEFAULT_DELAY = 5
DEFAULT_SLUMP_DEGREES = 15.0
DEFAULT_SLUMP_HOLD = 10
UNCALIBRATED_SLUMP_EXTRA_DEGREES = 10.0  # without a sitting reference, slump is measured from upright

DEFAULT_UPRIGHT_AXIS: dict[Placement, Vector] = {
    # Sensor x along the thigh towards the knee: standing puts the reaction to gravity on -x.
    Placement.THIGH: (-1.0, 0.0, 0.0),
    # A phone's long axis lies along the thigh in a trouser pocket (used sign-agnostic).
    Placement.POCKET: (0.0, 1.0, 0.0),
    Placement.CHEST: (0.0, 1.0, 0.0),
    Placement.BACK: (0.0, 1.0, 0.0),
}

TRUNK = (Placement.CHEST, Placement.BACK)


@dataclass(frozen=True, slots=True)
class Settings:
    """Tunable parameters (defaults fitted or chosen as docs/classification.md explains)."""

    trunk_sit_degrees: float = TRUNK_SIT_DEGREES
    thigh_sit_degrees: float = THIGH_SIT_DEGREES
    move_g: float = MOVE_G
    delay: int = DEFAULT_DELAY
    slump_degrees: float = DEFAULT_SLUMP_DEGREES
    slump_hold: int = DEFAULT_SLUMP_HOLD
    # Weight of one walking second in the learned upright reference, by placement: a trunk sensor
    # stays put, so average long (stairs and slopes lean the trunk; they should not dominate); a
    # phone is put back in the pocket differently, so follow it quickly.
    trunk_reference_rate: float = 1.0 / 600.0
    thigh_reference_rate: float = 0.01
    pocket_reference_rate: float = 0.05
    trunk_clusters: bool = True
    stand_anchor_degrees: float = 12.0  # the standing centroid stays this close to the gait reference
    min_separation_degrees: float = 6.0  # centroids closer than this are taken as one posture
    # Sway: weight of the postural-sway signature against the lean when a still posture cluster is
    # judged sitting or standing (0 turns it off and keeps the two-centroid rule).
    sway_weight: float = 1.0
    # The same two for a whole recording judged in review (two passes, see `classify_recording`):
    # the wearer's still postures are all known then, so sway can weigh more.
    review_sit_degrees: float = REVIEW_SIT_DEGREES
    review_sway_weight: float = REVIEW_SWAY_WEIGHT
    # Live, a trunk sensor re-learns from the last day's per-second statistics this often (seconds
    # of data; 0 never), as a whole recording is reviewed.
    relearn_every: int = RELEARN_EVERY


def _direction_of(k: list[float], o: tuple[float, float, float]) -> None:
    """Set a cluster's unit direction (k[0:3]) from its raw-unit mean (k[5:8]) under offset `o`."""
    g0, g1, g2 = k[5] - o[0], k[6] - o[1], k[7] - o[2]
    n = math.sqrt(g0 * g0 + g1 * g1 + g2 * g2)
    if n > 0:
        k[0], k[1], k[2] = g0 / n, g1 / n, g2 / n


def _cluster_quiet(quiet: np.ndarray, offset: tuple[float, float, float]) -> list[list[float]]:
    """Still-posture clusters of a whole recording's quiet seconds, independent of their order.

    The densest direction (most quiet seconds within the join radius) seeds a cluster; its members
    are the seconds within the join radius of their own mean (settled in a few rounds); they are
    taken out and the next densest seeds the next, until what is left is too small to be a
    posture. Rows of `quiet`: raw-unit mean x, y, z, log-sway, still (1/0).
    """
    if len(quiet) == 0:
        return []
    g = quiet[:, :3] - np.asarray(offset)
    norm = np.linalg.norm(g, axis=1, keepdims=True)
    u = np.divide(g, norm, out=np.zeros_like(g), where=norm > 0)
    left = np.ones(len(u), dtype=bool)
    # Density is counted among a sample of the quiet seconds (all of them up to SEED_SAMPLE).
    seeds = u[:: max(1, len(u) // SEED_SAMPLE)]
    near = ((seeds @ seeds.T) > SWAY_JOIN_COS).astype(np.float32)
    seed_left = np.ones(len(seeds), dtype=bool)
    clusters: list[list[float]] = []
    while len(clusters) < MAX_WHOLE_CLUSTERS and seed_left.any():
        density = np.where(seed_left, near @ seed_left.astype(np.float32), -1.0)
        centre = seeds[int(density.argmax())]
        members = np.zeros(len(u), dtype=bool)
        for _ in range(3):
            members = left & ((u @ centre) > SWAY_JOIN_COS)
            still = members & (quiet[:, 4] > 0)
            pick = still if still.any() else members
            if not pick.any():
                break
            raw = quiet[pick, :3].mean(axis=0) - np.asarray(offset)
            centre = raw / np.linalg.norm(raw)
        if members.sum() < SWAY_MATURE_SECONDS:
            break
        still = members & (quiet[:, 4] > 0)
        raw = quiet[still if still.any() else members, :3].mean(axis=0)
        clusters.append([float(centre[0]), float(centre[1]), float(centre[2]), float(members.sum()),
                         float(quiet[members, 3].mean()), float(raw[0]), float(raw[1]), float(raw[2]), 0.0])
        left &= ~members
        seed_left &= (seeds @ centre) <= SWAY_JOIN_COS
    return clusters


def _second_stats(xyz: np.ndarray, starts: np.ndarray, counts: np.ndarray, means: np.ndarray,
                  prior_offset: Vector) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per second: the spread around the mean, and the two gait features (vertical share, crossings).

    The gait features are taken along each second's own vertical (gravity) direction, measured from
    the fixed prior offset so that they do not depend on when the auto-calibration refits: walking
    bounces the body along the vertical at step frequency, a seated fidget mostly does not.
    """
    dev = xyz - np.repeat(means, counts, axis=0)
    total = np.add.reduceat(dev * dev, starts, axis=0).sum(axis=1)
    spread = np.sqrt(total / counts)
    vertical = means - np.asarray(prior_offset)
    norm = np.linalg.norm(vertical, axis=1, keepdims=True)
    vertical = np.divide(vertical, norm, out=np.zeros_like(vertical), where=norm > 0)
    v = np.einsum("ij,ij->i", dev, np.repeat(vertical, counts, axis=0))
    vshare = np.add.reduceat(v * v, starts) / np.maximum(total, 1e-300)
    flips = np.empty(len(v), dtype=np.int64)
    flips[0] = 0
    np.not_equal(v[1:] > 0, v[:-1] > 0, out=flips[1:], casting="unsafe")
    flips[starts] = 0  # a crossing between two seconds belongs to neither
    crossings = np.add.reduceat(flips, starts)
    return spread, vshare, crossings


def _deg(cos: float) -> float:
    return math.degrees(math.acos(1.0 if cos > 1.0 else -1.0 if cos < -1.0 else cos))


def _cos(a: list[float], b0: float, b1: float, b2: float) -> float:
    return a[0] * b0 + a[1] * b1 + a[2] * b2


Number = TypeVar("Number", float, np.ndarray)


def _sway_score(lean: Number, log_sway: Number, norm: float, sit_deg: float, weight: float) -> Number:
    """Above zero, a still posture is sitting: its lean from upright against the sit angle, plus
    how much less it sways than the wearer's norm (mean log-sway), weighted."""
    return (lean - sit_deg) / sit_deg + weight * (norm - log_sway)


def _sway_norm(clusters: list[list[float]]) -> float | None:
    """The wearer's sway norm: the mean log-sway of their still time (every mature cluster weighted
    by its seconds); None with fewer than two mature clusters."""
    mature = [k for k in clusters if k[3] >= SWAY_MATURE_SECONDS]
    if len(mature) < 2:
        return None
    return sum(k[3] * k[4] for k in mature) / sum(k[3] for k in mature)


def _follow(c: list[float], u0: float, u1: float, u2: float, w: float) -> None:
    """Move unit vector `c` towards (u0, u1, u2) by weight `w`, in place, and renormalise."""
    c0, c1, c2 = c[0] + w * (u0 - c[0]), c[1] + w * (u1 - c[1]), c[2] + w * (u2 - c[2])
    n = math.sqrt(c0 * c0 + c1 * c1 + c2 * c2)
    if n > 0:
        c[0], c[1], c[2] = c0 / n, c1 / n, c2 / n


# Integer codes of the raw per-second judgements (vectorised smoothing works on these).
SIT, STAND, MOVE, LIE, UNKNOWN = 0, 1, 2, 3, 4
ACTIVITIES = (Activity.SIT, Activity.STAND, Activity.MOVE, Activity.LIE, Activity.UNKNOWN)
P_UNKNOWN, P_UPRIGHT, P_SLUMPED = 0, 1, 2
POSTURES = (Posture.UNKNOWN, Posture.UPRIGHT, Posture.SLUMPED)
VOTING = np.arange(4)
SMALL_BATCH = 64  # up to this many new seconds, smoothing runs in plain Python (cheaper per call)


@dataclass(slots=True)
class Learned:
    """What a stretch of seconds (a whole recording, or live the last day) taught without labels.

    The units and offset (from every still second), the upright reference (the plain mean of all
    the gait seen) and the still-posture clusters with their sway. Reviewing a recording, every
    second is judged again with all of it, so a posture that comes first is judged as well as one
    that comes last, whatever order the wearer did things in.
    """

    scale: GravityScale
    ref_raw: list[float] | None
    ref_seconds: int
    clusters: list[list[float]]
    first: Vector | None = None  # the mean of the second that decided the units


class StreamClassifier:
    """Classify samples second by second as they arrive (output delayed by `settings.delay` s).

    A trunk sensor also re-learns now and then (`Settings.relearn_every`) from the per-second
    statistics of the last day, the way a whole recording is reviewed. `learned=` (from
    `learn_recording`) instead judges with what a whole recording taught, from its first second,
    and learns nothing more.

    With `revise`, every re-learn also judges that whole history again, as a review would; the
    newest such judgement waits in `take_revision()` (the pipeline rewrites the stored day with it).
    """

    def __init__(self, placement: Placement, origin: float | None = None, *,
                 calibration: Calibration | None = None, settings: Settings | None = None,
                 learned: Learned | None = None, revise: bool = False) -> None:
        self.placement = placement
        self.revise = revise
        self._revision: list[PostureState] = []
        self.settings = st = settings or Settings()
        if calibration is not None and calibration.placement is not placement:
            raise CalibrationError(f"a {calibration.placement.value} calibration cannot be used for a "
                                   f"{placement.value} sensor")
        self.calibration = calibration
        self._origin = None if origin is None else float(origin)
        self._scale = GravityScale()
        # Samples of the second that may still grow.
        self._pending_sec: int | None = None
        self._pending: list[np.ndarray] = []
        # Upright reference learned from walking, kept as a raw-unit mean so that it follows the
        # auto-calibration's refits.
        self._ref_raw: list[float] | None = None
        self._ref_seconds = 0
        self._walk_run = 0
        self._slump_run = 0
        self._prev_sec: int | None = None
        # Trunk posture centroids (unit vectors in g): standing and sitting.
        self._stand_c: list[float] | None = None
        self._stand_n = 0
        self._sit_c: list[float] | None = None
        self._sit_n = 0
        # Still-posture clusters for the sway rule: [x, y, z (unit, in g), quiet seconds, mean
        # log-sway (log deg), raw-unit mean x, y, z, verdict (1 sit, -1 stand, 0 by its own lean
        # and sway; set by a review or re-learn for a brief shift of larger postures)]. The
        # direction is kept as a raw-unit mean, like the upright reference, and re-derived
        # whenever the auto-calibration refits: a cluster stored in g under an earlier offset would
        # otherwise drift by several degrees against the reference (raw counts refit during a long
        # still posture), and a lone first posture would be judged against stale neighbours.
        self._clusters: list[list[float]] = []
        self._cluster_offset: tuple[float, float, float] | None = None
        self._prev_u: tuple[float, float, float] | None = None
        self._cos_anchor = math.cos(math.radians(st.stand_anchor_degrees))
        self._cos_separation = math.cos(math.radians(st.min_separation_degrees))
        # Smoothing state: the last raw judgements of the current run, and how many of them are
        # still to be emitted.
        self._tail_sec: list[int] = []
        self._tail_code: list[int] = []
        self._tail_conf: list[float] = []
        self._tail_post: list[int] = []
        self._unemitted = 0
        default = DEFAULT_UPRIGHT_AXIS[placement]
        if calibration is not None and calibration.upright is not None:
            default = calibration.upright
        self._default_ref: Vector = default
        self._calibrated = calibration is not None and calibration.upright is not None
        # A calibrated sitting direction clearly apart from upright also helps sit/stand: the
        # nearer of the two references wins (below the sit angle, which always means sitting).
        self._sit_ref: Vector | None = None
        if calibration is not None and calibration.sitting is not None and placement in TRUNK:
            a, b = calibration.sitting, default
            apart = math.degrees(math.acos(max(-1.0, min(1.0, a[0] * b[0] + a[1] * b[1] + a[2] * b[2]))))
            if apart >= MIN_REFERENCE_SEPARATION_DEGREES:
                self._sit_ref = calibration.sitting
        self._rate = (st.trunk_reference_rate if placement in TRUNK else
                      st.pocket_reference_rate if placement is Placement.POCKET else st.thigh_reference_rate)
        # What is still learned second by second (a re-learn or a review takes over the rest).
        self._learn_scale = self._learn_clusters = self._learn_ref = True
        self._norm: float | None = None
        self._sway_sit = st.trunk_sit_degrees
        self._sway_weight = st.sway_weight
        # The prior offset the gait features are measured from: fixed by the first usable second,
        # whatever is re-learned later, so that the features never depend on how samples were
        # split into blocks.
        self._first: Vector | None = None
        self._feature_prior: Vector | None = None
        self._relearn = (learned is None and placement in TRUNK and st.relearn_every > 0
                         and st.sway_weight > 0 and self._sit_ref is None)
        self._history: list[SecondStats] = []
        self._history_len = 0
        self._seen = 0
        self._next_relearn = st.relearn_every
        if learned is not None:
            self._first = learned.first
            if learned.first is not None:
                prior = GravityScale()
                prior.observe_first(learned.first)
                self._feature_prior = prior.prior_offset
            self._adopt(learned, keep_learning=False)
        # Optional per-second trace for the bench: (sec, tilt, spread in g, radius, learned).
        self.trace: list[tuple[int, float, float, float, bool]] | None = None

    def __setstate__(self, state: dict[str, object]) -> None:
        # Fleet workers keep each wearer's pipeline pickled between batches: a classifier pickled
        # before still-posture clusters carried a verdict goes on with "by its own lean and sway".
        self.__dict__.update(state)
        for k in self._clusters:
            if len(k) == CLUSTER_FIELDS - 1:
                k.append(0.0)
        # ... and one pickled before revisions goes on without them until told otherwise.
        self.__dict__.setdefault("revise", False)
        self.__dict__.setdefault("_revision", [])

    def take_revision(self) -> list[PostureState]:
        """The history as the newest re-learn judges it (oldest second first), once; [] if none.

        Only with `revise`. It covers the seconds the re-learn learned from, up to the one being
        judged when it happened; seconds emitted since then are not in it.
        """
        out, self._revision = self._revision, []
        return out

    # ---- streaming ------------------------------------------------------------------------------

    def push(self, block: SampleBlock) -> list[PostureState]:
        if len(block) == 0:
            return []
        if self._origin is None:
            self._origin = float(math.floor(float(block.t[0])))
        secs = np.floor(block.t - self._origin).astype(np.int64)
        xyz = np.asarray(block.xyz, dtype=np.float64)
        if self._pending_sec is not None:
            secs = np.concatenate([np.full(sum(len(p) for p in self._pending), self._pending_sec), secs])
            xyz = np.concatenate([*self._pending, xyz])
        # A second ends when the second index changes (time may also jump backwards: WISDM files
        # restart the device clock between activities; each jump simply starts a new second).
        starts = np.concatenate([[0], np.flatnonzero(secs[1:] != secs[:-1]) + 1])
        last = int(starts[-1])
        self._pending_sec = int(secs[last])
        self._pending = [xyz[last:].copy()]
        if len(starts) == 1:
            return []
        return self._process(secs[starts[:-1]], starts[:-1], xyz[:last], final=False)

    def flush(self) -> list[PostureState]:
        """Judge the last second and emit everything still held back by the smoother."""
        xyz = np.concatenate(self._pending) if self._pending else np.empty((0, 3))
        sec = self._pending_sec
        self._pending_sec = None
        self._pending = []
        if sec is not None and len(xyz):
            out = self._process(np.array([sec]), np.array([0]), xyz, final=True)
        else:
            out = self._smooth([], [], [], [], [], final=True)
        if self.revise and self._relearn and self._history and self._first is not None:
            # The end of the data: the whole history judged once more, with all of it known.
            self._relearn_now(self._history[-1].part(slice(0, 0)), 0)
        return out

    # ---- per-second judgement -------------------------------------------------------------------

    def _process(self, secs: np.ndarray, starts: np.ndarray, xyz: np.ndarray,
                 final: bool) -> list[PostureState]:
        counts = np.diff(np.append(starts, len(xyz)))
        means = np.add.reduceat(xyz, starts, axis=0) / counts[:, None]
        scale = self._scale
        if not scale.ready:
            # Units are decided by the first usable second, before anything else is computed.
            first = _first_usable(counts, means)
            if first is not None:
                scale.observe_first(first)
                self._first = first
                self._feature_prior = scale.prior_offset
        prior = self._feature_prior if self._feature_prior is not None else scale.prior_offset
        spread, vshare, crossings = _second_stats(xyz, starts, counts, means, prior)
        return self._judge(SecondStats(secs, counts, means, spread, vshare, crossings), final)

    def _judge(self, stats: SecondStats, final: bool) -> list[PostureState]:
        """Judge seconds from their statistics (the units must be decided already)."""
        secs, counts, means = stats.sec, stats.counts, stats.means
        spread, vshare, crossings = stats.spread, stats.vshare, stats.crossings
        scale = self._scale
        batch = stats if self._relearn else None
        s = self.settings
        placement = self.placement
        trunk = placement in TRUNK
        pocket = placement is Placement.POCKET
        thigh = placement is Placement.THIGH
        move_g, sit_deg = s.move_g, (s.trunk_sit_degrees if trunk else s.thigh_sit_degrees)
        d0, d1, d2 = self._default_ref
        out_sec: list[int] = []
        out_code: list[int] = []
        out_conf: list[float] = []
        out_post: list[int] = []
        breaks: list[bool] = []
        prev = self._prev_sec
        ref_key: tuple[float, ...] | None = (math.nan,)  # never equal: forces the first computation
        r0, r1, r2, learned = d0, d1, d2, self._calibrated
        acos, degrees = math.acos, math.degrees
        sit_ref = self._sit_ref
        clusters = s.trunk_clusters and sit_ref is None
        sway = trunk and self._sway_weight > 0 and sit_ref is None
        for i, (sec, n, m, sd, vs, zc) in enumerate(zip(secs.tolist(), counts.tolist(), means.tolist(),
                                                        spread.tolist(), vshare.tolist(), crossings.tolist(),
                                                        strict=True)):
            if batch is not None and scale.ready:
                self._seen += 1
                if self._seen >= self._next_relearn:
                    self._relearn_now(batch, i + 1)
                    scale = self._scale
                    ref_key = (math.nan,)
            gap = prev is not None and sec != prev + 1
            if gap:
                self._walk_run = 0
                self._slump_run = 0
                self._prev_u = None
            prev = sec
            out_sec.append(sec)
            breaks.append(gap)
            if n < MIN_SAMPLES_PER_SECOND or not scale.ready:
                self._walk_run = 0
                out_code.append(UNKNOWN)
                out_conf.append(0.0)
                out_post.append(P_UNKNOWN)
                continue
            o = scale.offset
            radius = scale.radius
            g0, g1, g2 = m[0] - o[0], m[1] - o[1], m[2] - o[2]
            mag = math.sqrt(g0 * g0 + g1 * g1 + g2 * g2)
            if mag == 0 or not math.isfinite(mag):
                out_code.append(UNKNOWN)
                out_conf.append(0.0)
                out_post.append(P_UNKNOWN)
                continue
            u0, u1, u2 = g0 / mag, g1 / mag, g2 / mag
            dyn = sd / radius
            # Sway: how far the gravity direction moved since the previous second, in degrees.
            pu = self._prev_u
            du = -1.0 if pu is None else degrees(acos(min(1.0, max(-1.0, u0 * pu[0] + u1 * pu[1] + u2 * pu[2]))))
            self._prev_u = (u0, u1, u2)
            if dyn < STILL_G and self._learn_scale:
                scale.observe_still((m[0], m[1], m[2]))
            # The learned reference in the current calibration (recomputed only when it changed).
            key = (o[0], o[1], o[2], self._ref_seconds) if self._ref_raw is not None else None
            if key != ref_key:
                ref_key = key
                r0, r1, r2, learned = d0, d1, d2, self._calibrated
                # A few seconds of gait-like motion can be a fidget in a chair: the reference
                # counts only once enough walking has been seen.
                if self._ref_raw is not None and self._ref_seconds >= REF_MIN_SECONDS:
                    q0, q1, q2 = (self._ref_raw[0] - o[0], self._ref_raw[1] - o[1], self._ref_raw[2] - o[2])
                    qn = math.sqrt(q0 * q0 + q1 * q1 + q2 * q2)
                    if qn > 0:
                        r0, r1, r2, learned = q0 / qn, q1 / qn, q2 / qn, True
            if pocket:
                # Sign-agnostic: the phone may be upside down, or re-inserted differently.
                cos = abs(u0 * d0 + u1 * d1 + u2 * d2)
                if learned:
                    cos = max(cos, abs(u0 * r0 + u1 * r1 + u2 * r2))
            else:
                cos = u0 * r0 + u1 * r1 + u2 * r2
            tilt = degrees(acos(1.0 if cos > 1.0 else -1.0 if cos < -1.0 else cos))
            if self.trace is not None:
                self.trace.append((sec, tilt, dyn, radius, learned))
            # Only gait teaches the upright reference: sustained, bouncing along the vertical, at a
            # step rate (a fidget in a chair is irregular and mostly sideways).
            gait = (move_g < dyn < WALK_MAX_G and vs > WALK_MIN_VERTICAL_SHARE
                    and zc <= WALK_MAX_CROSSINGS)
            self._walk_run = self._walk_run + 1 if gait else 0
            if self._walk_run >= WALK_MIN_RUN and not self._calibrated and self._learn_ref:
                self._learn(m)
            # Moving means walking-like motion, or motion too vigorous for shifting on the spot.
            moving = gait or dyn > VIGOROUS_G
            post = P_UNKNOWN
            if trunk:
                if sway and not (moving and tilt < MOVE_MAX_TILT_DEGREES) and dyn < move_g and du >= 0:
                    if self._cluster_offset != o:
                        self._recentre_clusters(o)
                    if self._learn_clusters:
                        self._observe_sway(u0, u1, u2, m, du, dyn < STILL_G)
                if moving and tilt < MOVE_MAX_TILT_DEGREES:
                    code, conf = MOVE, min(1.0, 0.5 + 2.0 * (dyn - move_g))
                elif not learned:
                    # No upright reference yet (no calibration, no walking seen): a few degrees of
                    # lean against an unknown mounting cannot tell standing from sitting. A still
                    # wearer is most often seated, so say sit, with a confidence that says guess.
                    code, conf = SIT, 0.5
                elif tilt > TRUNK_LIE_DEGREES:
                    code, conf = LIE, min(1.0, 0.6 + (tilt - TRUNK_LIE_DEGREES) / 60.0)
                elif sway:
                    if self._cluster_offset != o:
                        self._recentre_clusters(o)
                    code, conf = self._sway_postures(u0, u1, u2, r0, r1, r2, tilt)
                elif clusters:
                    code, conf = self._postures(u0, u1, u2, r0, r1, r2, dyn < STILL_G)
                else:
                    code = SIT if tilt > sit_deg else STAND
                    # Trunk-only sit/stand rests on a few degrees of lean: never fully certain.
                    conf = min(0.85, 0.5 + 0.35 * abs(tilt - sit_deg) / sit_deg)
                    if code == STAND and sit_ref is not None:
                        c = u0 * sit_ref[0] + u1 * sit_ref[1] + u2 * sit_ref[2]
                        if degrees(acos(max(-1.0, min(1.0, c)))) < tilt:
                            code, conf = SIT, 0.6
                if code == SIT:
                    post = self._slump(u0, u1, u2, r0, r1, r2)
                else:
                    self._slump_run = 0
            elif moving and tilt < sit_deg:
                code, conf = MOVE, min(1.0, 0.5 + 2.0 * (dyn - move_g))
            elif tilt > sit_deg:
                code, conf = SIT, min(1.0, 0.5 + 0.5 * (tilt - sit_deg) / 30.0)
                # Thigh horizontal and rolled onto its side (Acti4's rule): gravity mostly across
                # the thigh (sensor y) rather than out of its front (z).
                if thigh and degrees(math.atan2(abs(u1), abs(u2))) > THIGH_LIE_ROLL_DEGREES:
                    code = LIE
            else:
                code, conf = STAND, min(1.0, 0.5 + 0.5 * (sit_deg - tilt) / 30.0)
            out_code.append(code)
            out_conf.append(conf if learned else conf * 0.7)
            out_post.append(post)
        self._prev_sec = prev
        if batch is not None and len(batch):
            self._history.append(batch)
            self._history_len += len(batch)
            if self._history_len > 2 * RELEARN_HISTORY or len(self._history) > 256:
                joined = SecondStats.join(self._history).part(slice(-RELEARN_HISTORY, None))
                self._history = [joined]
                self._history_len = len(joined)
        return self._smooth(out_sec, out_code, out_conf, out_post, breaks, final)

    def _postures(self, u0: float, u1: float, u2: float, r0: float, r1: float, r2: float,
                  still: bool) -> tuple[int, float]:
        """Sit or stand for a trunk sensor from two posture centroids learned without labels.

        The standing centroid starts at the upright (gait) reference and follows the still
        seconds judged standing, but may not stray far from the gait reference. The sitting
        centroid is born from still seconds well away from standing and follows the seconds judged
        sitting. Once both exist (and are apart), a second is judged by the nearer centroid: the
        direction of the lean matters, not only its size.
        """
        s = self.settings
        st = self._stand_c
        if st is None or _cos(st, r0, r1, r2) < self._cos_anchor:
            st = self._stand_c = [r0, r1, r2]
            self._stand_n = 1
        d_stand = _deg(u0 * st[0] + u1 * st[1] + u2 * st[2])
        sc = self._sit_c
        if sc is not None and _cos(sc, st[0], st[1], st[2]) < self._cos_separation:
            d_sit = _deg(u0 * sc[0] + u1 * sc[1] + u2 * sc[2])
            if d_stand < STAND_NEAR_DEGREES:
                code = STAND
            elif d_stand > s.trunk_sit_degrees + SIT_FAR_EXTRA_DEGREES:
                code = SIT
            else:
                code = SIT if d_sit < d_stand else STAND
            conf = min(0.85, 0.5 + 0.35 * abs(d_stand - d_sit) / max(d_stand + d_sit, 1e-9))
        else:
            code = SIT if d_stand > s.trunk_sit_degrees else STAND
            conf = min(0.85, 0.5 + 0.35 * abs(d_stand - s.trunk_sit_degrees) / s.trunk_sit_degrees)
        if still:
            if code == STAND:
                self._stand_n += 1
                _follow(st, u0, u1, u2, max(1.0 / self._stand_n, CENTROID_RATE))
            elif sc is None:
                self._sit_c = [u0, u1, u2]
                self._sit_n = 1
            else:
                self._sit_n += 1
                _follow(sc, u0, u1, u2, max(1.0 / self._sit_n, CENTROID_RATE))
        return code, conf

    def _recentre_clusters(self, o: tuple[float, float, float]) -> None:
        """Re-derive every cluster's unit direction from its raw-unit mean under offset `o`."""
        self._cluster_offset = o
        for k in self._clusters:
            _direction_of(k, o)

    def _observe_sway(self, u0: float, u1: float, u2: float, m: list[float], du: float,
                      still: bool) -> None:
        """Feed one quiet second to the still-posture clusters (direction and sway)."""
        best, best_cos = -1, SWAY_JOIN_COS
        for i, k in enumerate(self._clusters):
            c = u0 * k[0] + u1 * k[1] + u2 * k[2]
            if c > best_cos:
                best, best_cos = i, c
        # The geometric mean of the sway: one shift in the chair must not make a posture swaying.
        du = math.log(max(du, SWAY_FLOOR_DEGREES))
        if best < 0:
            if not still:
                return
            if len(self._clusters) >= SWAY_MAX_CLUSTERS:
                # Forget the smallest: it was a passing posture.
                self._clusters.remove(min(self._clusters, key=lambda k: k[3]))
            self._clusters.append([u0, u1, u2, 1.0, du, m[0], m[1], m[2], 0.0])
            return
        k = self._clusters[best]
        k[3] += 1.0
        w = max(1.0 / k[3], CENTROID_RATE)
        k[4] += w * (du - k[4])
        if still:
            k[5] += w * (m[0] - k[5])
            k[6] += w * (m[1] - k[6])
            k[7] += w * (m[2] - k[7])
            assert self._cluster_offset is not None
            _direction_of(k, self._cluster_offset)

    def _sway_postures(self, u0: float, u1: float, u2: float, r0: float, r1: float, r2: float,
                       tilt: float) -> tuple[int, float]:
        """Sit or stand for a trunk sensor from the lean and the sway of the nearest still cluster.

        A standing trunk balances on the feet and sways; a seated one is supported and stays put.
        So a still-posture cluster whose sway is low against the wearer's own other postures is
        sitting even when it leans only a little, and one that sways like standing is standing
        even when it leans further (talking while standing). Until clusters are mature, or while
        only one is known, the lean alone decides, as before.
        """
        sit_deg = self._sway_sit
        if tilt < STAND_NEAR_DEGREES:
            return STAND, 0.6
        if tilt > sit_deg + SIT_FAR_EXTRA_DEGREES:
            return SIT, 0.85
        best: list[float] | None = None
        best_cos = SWAY_JOIN_COS
        logs: list[float] = []
        for k in self._clusters:
            if k[3] >= SWAY_MATURE_SECONDS:
                logs.append(k[4])
            c = u0 * k[0] + u1 * k[1] + u2 * k[2]
            if c > best_cos:
                best, best_cos = k, c
        score = (tilt - sit_deg) / sit_deg
        if best is not None and best[3] >= SWAY_MATURE_SECONDS and len(logs) >= 2:
            lean = _deg(best[0] * r0 + best[1] * r1 + best[2] * r2)
            # The wearer's own norm: the mean log-sway of their mature still postures.
            norm = sum(logs) / len(logs) if self._norm is None else self._norm
            score = _sway_score(lean, best[4], norm, sit_deg, self._sway_weight)
        if best is not None and best[8]:
            # A brief shift of larger postures is what they are (see `_shift_verdicts`).
            return (SIT if best[8] > 0 else STAND), 0.6
        code = SIT if score > 0 else STAND
        return code, min(0.85, 0.5 + 0.35 * min(1.0, abs(score)))

    def _adopt(self, learned: Learned, *, keep_learning: bool) -> None:
        """Judge from now on with what a stretch of seconds taught (a review or a re-learn).

        A review learns nothing more. Between re-learns the upright reference and the clusters
        go on learning second by second (a new posture must not wait for the next re-learn); the
        units stay as fitted on the whole history.
        """
        st = self.settings
        self._scale = copy.deepcopy(learned.scale)
        if not self._calibrated:
            self._ref_raw = None if learned.ref_raw is None else list(learned.ref_raw)
            self._ref_seconds = learned.ref_seconds
        self._clusters = [list(k) for k in learned.clusters]
        self._cluster_offset = None
        self._norm = _sway_norm(learned.clusters)
        self._sway_sit = st.review_sit_degrees
        self._sway_weight = st.review_sway_weight
        self._learn_scale = False
        self._learn_clusters = self._learn_ref = keep_learning

    def _relearn_now(self, batch: SecondStats, upto: int) -> None:
        """Re-learn from the history plus the first `upto` seconds of the batch being judged."""
        assert self._first is not None
        if len(self._history) > 1:  # joined once here rather than again at the end of the batch
            self._history = [SecondStats.join(self._history).part(slice(-RELEARN_HISTORY, None))]
            self._history_len = len(self._history[0])
        stats = SecondStats.join([*self._history, batch.part(slice(0, upto))]).part(slice(-RELEARN_HISTORY, None))
        learned = learn_seconds(stats, self._first, self.placement, calibration=self.calibration,
                                settings=self.settings)
        self._adopt(learned, keep_learning=True)
        if self.revise:
            # What was judged live before this re-learn knew less; judged again as a review would.
            self._revision = _reviewed(stats, learned, self.placement, self._origin, self.calibration,
                                       self.settings)
        self._next_relearn = self._seen + max(self.settings.relearn_every,
                                              min(RELEARN_MAX_EVERY, len(stats) // 10))

    def _learn(self, m: list[float]) -> None:
        if self._ref_raw is None:
            self._ref_raw = [m[0], m[1], m[2]]
            self._ref_seconds = 1
            return
        self._ref_seconds += 1
        # A running mean at first, then an exponential one so the reference can follow a change.
        w = max(1.0 / self._ref_seconds, self._rate)
        r = self._ref_raw
        r[0] += w * (m[0] - r[0])
        r[1] += w * (m[1] - r[1])
        r[2] += w * (m[2] - r[2])

    def _slump(self, u0: float, u1: float, u2: float, r0: float, r1: float, r2: float) -> int:
        s = self.settings
        cal = self.calibration
        limit = s.slump_degrees
        if cal is not None and cal.sitting is not None:
            r0, r1, r2 = cal.sitting
        else:
            limit += UNCALIBRATED_SLUMP_EXTRA_DEGREES
        cos = u0 * r0 + u1 * r1 + u2 * r2
        flexion = math.degrees(math.acos(1.0 if cos > 1.0 else -1.0 if cos < -1.0 else cos))
        self._slump_run = self._slump_run + 1 if flexion > limit else 0
        return P_SLUMPED if self._slump_run >= s.slump_hold else P_UPRIGHT

    # ---- smoothing with a bounded delay ---------------------------------------------------------

    def _smooth(self, secs: list[int], codes: list[int], confs: list[float], posts: list[int],
                breaks: list[bool], final: bool) -> list[PostureState]:
        """Majority of the raw judgements within `delay` seconds either side, inside one run.

        A run is a stretch of consecutive seconds; a gap (or a clock jump) ends it, and its last
        seconds are then judged on the part of the window that exists. Vectorised over a batch;
        the last `2 * delay` judgements of the run carry over to the next batch.
        """
        d = self.settings.delay
        nt = len(self._tail_sec)
        n = nt + len(secs)
        if n == 0:
            return []
        if len(secs) <= SMALL_BATCH:
            return self._smooth_small(secs, codes, confs, posts, breaks, final)
        sec = np.array(self._tail_sec + secs, dtype=np.int64)
        code = np.array(self._tail_code + codes, dtype=np.int64)
        conf = np.array(self._tail_conf + confs, dtype=np.float64)
        post = np.array(self._tail_post + posts, dtype=np.int64)
        brk = np.array([False] * nt + breaks, dtype=bool)
        brk[0] = True
        run_id = np.cumsum(brk) - 1
        run_start = np.flatnonzero(brk)
        run_end = np.append(run_start[1:], n) - 1
        last_run = int(run_id[-1])
        idx = np.arange(nt - self._unemitted, n)
        ready = final | (run_id[idx] < last_run) | (idx + d <= run_end[run_id[idx]])
        em = idx[ready]
        out: list[PostureState] = []
        if len(em):
            lo = np.maximum(run_start[run_id[em]], em - d)
            hi = np.minimum(run_end[run_id[em]], em + d)
            onehot = (code[:, None] == VOTING).astype(np.int64)
            cum = np.concatenate([np.zeros((1, len(VOTING)), dtype=np.int64), np.cumsum(onehot, axis=0)])
            votes = cum[hi + 1] - cum[lo]
            top = votes.max(axis=1)
            centre = code[em]
            known = centre != UNKNOWN
            own = votes[np.arange(len(em)), np.minimum(centre, len(VOTING) - 1)]
            best = np.where(known & (own == top), centre, votes.argmax(axis=1))
            best = np.where(known, best, UNKNOWN)
            # Rounded by Python's round, as in `_smooth_small`, so both paths agree to the bit.
            confidence = [round(c, 3) for c in np.where(known, conf[em] * top / (hi - lo + 1), 0.0).tolist()]
            sitting_default = P_UPRIGHT if self.placement in TRUNK else P_UNKNOWN
            posture = np.where(best == SIT, np.where(centre == SIT, post[em], sitting_default), P_UNKNOWN)
            assert self._origin is not None
            origin = self._origin
            out = [PostureState(origin + s_, ACTIVITIES[a], POSTURES[p], c)
                   for s_, a, p, c in zip(sec[em].tolist(), best.tolist(), posture.tolist(),
                                          confidence, strict=True)]
        emitted_to = int(em[-1]) + 1 if len(em) else nt - self._unemitted
        keep = n if final else max(int(run_start[last_run]), n - 2 * d, 0)
        self._tail_sec = sec[keep:].tolist()
        self._tail_code = code[keep:].tolist()
        self._tail_conf = conf[keep:].tolist()
        self._tail_post = post[keep:].tolist()
        self._unemitted = n - emitted_to
        return out

    def _smooth_small(self, secs: list[int], codes: list[int], confs: list[float], posts: list[int],
                      breaks: list[bool], final: bool) -> list[PostureState]:
        """`_smooth` for a few new seconds (live pushes), in plain Python: same rules, same numbers."""
        d = self.settings.delay
        nt = len(self._tail_sec)
        sec = self._tail_sec + secs
        code = self._tail_code + codes
        conf = self._tail_conf + confs
        post = self._tail_post + posts
        brk = [True] + ([False] * (nt - 1) if nt else []) + (breaks if nt else breaks[1:])
        n = len(sec)
        run_start = [0] * n
        start = 0
        for i in range(n):
            if brk[i]:
                start = i
            run_start[i] = start
        run_end = [0] * n
        end = n - 1
        for i in range(n - 1, -1, -1):
            run_end[i] = end
            if brk[i]:
                end = i - 1
        last_start = run_start[-1]
        sitting_default = P_UPRIGHT if self.placement in TRUNK else P_UNKNOWN
        assert self._origin is not None
        origin = self._origin
        out: list[PostureState] = []
        i = nt - self._unemitted
        while i < n and (final or run_start[i] < last_start or i + d <= run_end[i]):
            centre = code[i]
            if centre == UNKNOWN:
                out.append(PostureState(origin + sec[i], Activity.UNKNOWN, Posture.UNKNOWN, 0.0))
                i += 1
                continue
            lo, hi = max(run_start[i], i - d), min(run_end[i], i + d)
            votes = [0, 0, 0, 0]
            for j in range(lo, hi + 1):
                if code[j] != UNKNOWN:
                    votes[code[j]] += 1
            top = max(votes)
            best = centre if votes[centre] == top else votes.index(top)
            p = (post[i] if centre == SIT else sitting_default) if best == SIT else P_UNKNOWN
            out.append(PostureState(origin + sec[i], ACTIVITIES[best], POSTURES[p],
                                    round(conf[i] * top / (hi - lo + 1), 3)))
            i += 1
        keep = n if final else max(last_start, n - 2 * d, 0)
        self._tail_sec = sec[keep:]
        self._tail_code = code[keep:]
        self._tail_conf = conf[keep:]
        self._tail_post = post[keep:]
        self._unemitted = n - i
        return out


def classify_recording(block: SampleBlock, placement: Placement, *,
                       calibration: Calibration | None = None, settings: Settings | None = None,
                       review: bool | None = None, learned: Learned | None = None) -> list[PostureState]:
    """Classify a whole recording.

    With `review` (the default for trunk sensors) the recording is read twice: a first pass learns
    the units, the upright reference and the still postures from all of it, and a second pass
    judges every second with that knowledge, so the result does not depend on the order the
    wearer did things in. `learned` (what `learn_recording` gave for this recording, perhaps
    altered by a bench) stands in for the first pass. Without `review`, the output is identical
    to streaming the samples through `StreamClassifier`, as the daemon does live.
    """
    origin = float(block.t[0]) if len(block) else None
    if review is None:
        review = placement in TRUNK
    if not review:
        classifier = StreamClassifier(placement, origin=origin, calibration=calibration, settings=settings)
        return [*classifier.push(block), *classifier.flush()]
    seconds = _recording_stats(block)
    if seconds is None:  # no second can decide the units: nothing to learn, judged as it streams
        return classify_recording(block, placement, calibration=calibration, settings=settings, review=False)
    stats, first = seconds
    if learned is None:
        learned = learn_seconds(stats, first, placement, calibration=calibration, settings=settings)
    return _reviewed(stats, learned, placement, origin, calibration, settings)


def _reviewed(stats: SecondStats, learned: Learned, placement: Placement, origin: float | None,
              calibration: Calibration | None, settings: Settings | None) -> list[PostureState]:
    """Every second of `stats` judged with what they taught (`learned`), as a review judges them."""
    # The second pass judges the same per-second statistics (measured from the same prior offset).
    second = StreamClassifier(placement, origin=origin, calibration=calibration, settings=settings,
                              learned=learned)
    states = second._judge(stats, final=True)
    return _without_still_changes(states, stats, learned.scale, second.settings.move_g)


def _without_still_changes(states: list[PostureState], stats: SecondStats, scale: GravityScale,
                           move_g: float) -> list[PostureState]:
    """`states` (one per row of `stats`) with brief still changes between sit and stand taken back.

    Getting up from a chair or sitting down moves the body: the trunk leans forward and the body
    rises or lowers, above `move_g` of spread for a second or two. So a stretch judged standing
    among sitting (or sitting among standing) that was entered and left without any movement
    (every second within `STILL_CHANGE_EDGE` of both changes quiet, the trunk turning less than
    `SHIFT_MAX_DEGREES` across each), and that is shorter than the stretches on both sides of it
    and at most `STILL_CHANGE_MAX_SECONDS`, is a shift in the chair (or of the feet), not a change
    of activity: it takes the verdict around it. Judged on the stretches as they were found, so
    the result does not depend on the order they are looked at in. Its seconds then have
    confidence 0.5: what surrounds them decided.
    """
    n = len(states)
    if n < 3:
        return states
    assert n == len(stats), "one state per second of the statistics"
    act = np.array([ACTIVITIES.index(s.activity) for s in states])
    sec = stats.sec
    cut = np.flatnonzero((act[1:] != act[:-1]) | (sec[1:] != sec[:-1] + 1)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.append(cut, n)
    lengths = ends - starts
    run_act = act[starts]
    g = stats.means - np.asarray(scale.offset)
    u = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-300)
    quiet = stats.spread / scale.radius < move_g
    cos_max = math.cos(math.radians(SHIFT_MAX_DEGREES))
    e = STILL_CHANGE_EDGE

    def still_change(i: int) -> bool:
        """Whether the change between rows i - 1 and i came with no movement around it."""
        lo, hi = i - e, i + e
        return (lo >= 0 and hi <= n and int(sec[hi - 1] - sec[lo]) == hi - 1 - lo
                and bool(quiet[lo:hi].all()) and float(u[i - 1] @ u[i]) >= cos_max)

    out = list(states)
    for k in range(1, len(starts) - 1):
        a, b, length = int(starts[k]), int(ends[k]), int(lengths[k])
        here = int(run_act[k])
        if here not in (SIT, STAND) or length > STILL_CHANGE_MAX_SECONDS:
            continue
        around = STAND if here == SIT else SIT
        if (run_act[k - 1] != around or run_act[k + 1] != around
                or lengths[k - 1] <= length or lengths[k + 1] <= length):
            continue
        if still_change(a) and still_change(b):
            posture = states[a - 1].posture if around == SIT else Posture.UNKNOWN
            for i in range(a, b):
                out[i] = PostureState(states[i].t, ACTIVITIES[around], posture, 0.5)
    return out


@dataclass(frozen=True, slots=True)
class SecondStats:
    """Per-second statistics of a stretch of samples (row k: the k-th second holding samples)."""

    sec: np.ndarray  # second index (int64); consecutive seconds differ by 1
    counts: np.ndarray  # samples in the second
    means: np.ndarray  # (n, 3) mean vector, raw units
    spread: np.ndarray  # spread around the mean, raw units
    vshare: np.ndarray  # share of the dynamic variance along the second's vertical
    crossings: np.ndarray  # sign changes of the vertical signal

    def __len__(self) -> int:
        return len(self.sec)

    def part(self, rows: slice) -> SecondStats:
        return SecondStats(*(a[rows] for a in (self.sec, self.counts, self.means, self.spread,
                                               self.vshare, self.crossings)))

    @staticmethod
    def join(parts: list[SecondStats]) -> SecondStats:
        return SecondStats(*(np.concatenate([getattr(p, f) for p in parts])
                             for f in ("sec", "counts", "means", "spread", "vshare", "crossings")))


def learn_recording(block: SampleBlock, placement: Placement, *, calibration: Calibration | None = None,
                    settings: Settings | None = None) -> Learned:
    """What a whole recording teaches without labels, in one vectorised pass (see `Learned`)."""
    seconds = _recording_stats(block)
    if seconds is None:
        return Learned(GravityScale(), None, 0, [])
    return learn_seconds(*seconds, placement, calibration=calibration, settings=settings)


def _recording_stats(block: SampleBlock) -> tuple[SecondStats, Vector] | None:
    """A recording's per-second statistics (seconds from its first sample, as `classify_recording`
    counts them), measured from the prior offset of the first second that decides the units, and
    that second's mean; None if no second can decide them."""
    if len(block) == 0:
        return None
    xyz = np.asarray(block.xyz, dtype=np.float64)
    secs = np.floor(block.t - float(block.t[0])).astype(np.int64)
    starts = np.concatenate([[0], np.flatnonzero(secs[1:] != secs[:-1]) + 1])
    counts = np.diff(np.append(starts, len(xyz)))
    means = np.add.reduceat(xyz, starts, axis=0) / counts[:, None]
    first = _first_usable(counts, means)
    if first is None:
        return None
    scale = GravityScale()
    scale.observe_first(first)
    spread, vshare, crossings = _second_stats(xyz, starts, counts, means, scale.prior_offset)
    return SecondStats(secs[starts], counts, means, spread, vshare, crossings), first


def _first_usable(counts: np.ndarray, means: np.ndarray) -> Vector | None:
    """The first second that can decide the units (enough samples, a non-zero finite mean)."""
    for i in np.flatnonzero(counts >= MIN_SAMPLES_PER_SECOND).tolist():
        m = (float(means[i, 0]), float(means[i, 1]), float(means[i, 2]))
        if GravityScale().observe_first(m):
            return m
    return None


def learn_seconds(stats: SecondStats, first: Vector, placement: Placement, *,
                  calibration: Calibration | None = None, settings: Settings | None = None) -> Learned:
    """What a stretch of seconds teaches without labels: the streaming rules over all of them at once.

    No forgetting: the units and offset are fitted on every still second, the upright reference is
    the plain mean of all sustained gait, and the still postures are clustered without regard to
    their order. `first` is the mean of the second that decided the units (its prior offset is the
    one `stats` were computed with).
    """
    st = settings or Settings()
    scale = GravityScale()
    if not scale.observe_first(first):
        return Learned(scale, None, 0, [])
    means, counts, spread = stats.means, stats.counts, stats.spread
    usable = (counts >= MIN_SAMPLES_PER_SECOND) & np.isfinite(means).all(axis=1)
    # Still seconds by the first guess of the scale, then again by the fitted one.
    for _ in range(2):
        scale = GravityScale.from_still(first, means[usable & (spread / scale.radius < STILL_G)])
    o = np.asarray(scale.offset)
    g = means - o
    mag = np.linalg.norm(g, axis=1)
    usable &= mag > 0
    u = np.divide(g, mag[:, None], out=np.zeros_like(g), where=mag[:, None] > 0)
    dyn = spread / scale.radius
    n = len(stats)
    idx = np.arange(n)
    sec = stats.sec
    gap = np.ones(n, dtype=bool)
    gap[1:] = sec[1:] != sec[:-1] + 1
    # Runs of gait (consecutive seconds); a second teaches the reference from the third of a run on.
    gait = usable & (dyn > st.move_g) & (dyn < WALK_MAX_G) & (stats.vshare > WALK_MIN_VERTICAL_SHARE) & (
        stats.crossings <= WALK_MAX_CROSSINGS)
    run_start = np.maximum.accumulate(np.where(~gait, idx + 1, np.where(gap, idx, 0)))
    walk_run = np.where(gait, idx - run_start + 1, 0)
    teach = walk_run >= WALK_MIN_RUN
    calibrated = calibration is not None and calibration.upright is not None
    ref_raw: list[float] | None = None
    ref_seconds = 0
    if teach.any() and not calibrated:
        ref_raw = [float(x) for x in means[teach].mean(axis=0)]
        ref_seconds = int(teach.sum())
    if placement not in TRUNK:
        return Learned(scale, ref_raw, ref_seconds, [], first)
    if calibrated and calibration is not None and calibration.upright is not None:
        ref = np.asarray(calibration.upright)
    elif ref_raw is not None and ref_seconds >= REF_MIN_SECONDS:
        ref = np.asarray(ref_raw) - o
        ref = ref / np.linalg.norm(ref)
    else:
        ref = np.asarray(DEFAULT_UPRIGHT_AXIS[placement])
    tilt = np.degrees(np.arccos(np.clip(u @ ref, -1.0, 1.0)))
    moving = gait | (dyn > VIGOROUS_G)
    # Sway: the angle the gravity direction moved since the previous second (consecutive only).
    du = np.full(n, -1.0)
    du[1:] = np.degrees(np.arccos(np.clip((u[1:] * u[:-1]).sum(axis=1), -1.0, 1.0)))
    du[gap | ~np.append(False, usable[:-1])] = -1.0
    quiet = usable & ~(moving & (tilt < MOVE_MAX_TILT_DEGREES)) & (dyn < st.move_g) & (du >= 0)
    rows = np.column_stack([means[quiet], np.log(np.maximum(du[quiet], SWAY_FLOOR_DEGREES)),
                            (dyn[quiet] < STILL_G).astype(np.float64)])
    clusters = _cluster_quiet(rows, scale.offset)
    _shift_verdicts(clusters, u, quiet, usable & (dyn < st.move_g), sec, ref, st)
    return Learned(scale, ref_raw, ref_seconds, clusters, first)


def _shift_verdicts(clusters: list[list[float]], u: np.ndarray, quiet: np.ndarray, calm: np.ndarray,
                    sec: np.ndarray, ref: np.ndarray, st: Settings) -> None:
    """Give each still posture that is a brief shift of larger ones their verdict (in place).

    Shifting in a chair moves the trunk from a main posture to a small nearby one and back within
    seconds, without moving in between, again and again; on its own such a small posture often
    leans or sways like standing. Standing up from the chair can be as gentle, but a break worth
    the name lasts a minute or more, so its visits are far too few for its seconds: a posture
    follows only when its shifts to and from larger postures number `SHIFT_SHARE` of its seconds
    (visits of ten seconds or less on average), and only when `SHIFT_AGREE` of them go to postures
    with one verdict. `u`: every second's gravity direction; `quiet`: the seconds the clusters were
    built from; `calm`: the seconds that may lie between two postures of a shift.
    """
    if len(clusters) < 2:
        return
    k_dir = np.array([k[:3] for k in clusters])
    member = np.full(len(u), -1)
    rows = np.flatnonzero(quiet)
    cos = u[rows] @ k_dir.T
    near = cos.max(axis=1) > SWAY_JOIN_COS
    member[rows[near]] = cos.argmax(axis=1)[near]
    held_at = np.flatnonzero(member >= 0)
    if len(held_at) < 2:
        return
    # Between two postures only quiet seconds near the posture last held may pass.
    last = np.maximum.accumulate(np.where(member >= 0, np.arange(len(u)), 0))
    held = member[last]
    near_held = (u * k_dir[held]).sum(axis=1) >= math.cos(math.radians(SHIFT_MAX_DEGREES))
    blocked = np.cumsum((member < 0) & ~(calm & near_held))
    a, b = held_at[:-1], held_at[1:]
    shift = (member[a] != member[b]) & (sec[b] - sec[a] <= SHIFT_MAX_GAP) & (blocked[b] == blocked[a])
    links = np.zeros((len(clusters), len(clusters)))
    np.add.at(links, (member[a][shift], member[b][shift]), 1.0)
    links += links.T
    # Each posture's own verdict, as the sway rule gives it (see StreamClassifier._sway_postures).
    sit_deg, weight = st.review_sit_degrees, st.review_sway_weight
    seconds = np.array([k[3] for k in clusters])
    log_sway = np.array([k[4] for k in clusters])
    lean = np.degrees(np.arccos(np.clip(k_dir @ ref, -1.0, 1.0)))
    mature = seconds >= SWAY_MATURE_SECONDS
    score = (lean - sit_deg) / sit_deg
    norm = _sway_norm(clusters)
    if norm is not None:
        score = np.where(mature, _sway_score(lean, log_sway, norm, sit_deg, weight), score)
    sits = score > 0
    # Largest first, so that a posture follows the final verdict of the larger ones it shifts to.
    for j in np.argsort(-seconds, kind="stable").tolist():
        larger = seconds > seconds[j]
        total = float(links[j, larger].sum())
        if total == 0 or total < SHIFT_SHARE * seconds[j]:
            continue
        to_sit = float(links[j, larger & sits].sum())
        verdict = sits[j]
        if to_sit >= SHIFT_AGREE * total:
            verdict = True
        elif total - to_sit >= SHIFT_AGREE * total:
            verdict = False
        if verdict != sits[j]:
            clusters[j][8] = 1.0 if verdict else -1.0
            sits[j] = verdict
