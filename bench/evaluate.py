"""Score sitmon's classifier on the labelled dev recordings, with acti-motus alongside.

Run from the repository root (after `.venv/bin/pip install -e '.[bench]'`):

    .venv/bin/python bench/evaluate.py

Data: `../shared/data/` next to the repository (override with `--data DIR`). Every recording of
either dataset found there is scored (`uci-chest-casale/<N>.csv[.gz]`,
`wisdm2019-phone-accel/data_<N>_accel_phone.txt[.gz]`), so the same command scores another set of
subjects laid out the same way; `--fixed` then scores the shipped parameters without fitting any.

What it does, per dev file of both datasets:
- classifies the file exactly as `sitmon classify` does (labels are read by the evaluator only): a
  chest file in two passes over the whole recording (review), a pocket file as it streams;
- classifies the chest files also as the daemon does live (causal, one pass), and reports both,
  and the day as the daemon stores it once the data ends (live seconds, rewritten by the re-learns'
  revisions: docs/classification.md, section 9);
- scores every second whose label maps clearly (Casale 1 -> sit, 3 and 7 -> stand, 4, 5, 6 -> move;
  WISDM D -> sit, E -> stand, A, B, C -> move; everything else ignored): sit-vs-not-sit F1,
  3-class accuracy, confusion matrix. A second's label is the majority label of its samples;
- does the same on a copy whose label segments are shuffled (fixed seed) and laid end to end on a
  continuous clock, so that nothing can lean on the order of the protocol;
- runs acti-motus (the open successor of Acti4, thigh sensor) on the WISDM pocket files, on the same
  continuous clock, with the same label mapping, and times both.

The trunk (chest) parameters are fitted leave-one-subject-out on Casale, for each mode: the sit
angle and the sway weight. For each held-out subject they are chosen (by pooled sit F1 over the
original order and three further shufflings, never the scored copy) on the other nine subjects
only, and the held-out subject is scored with them. `--fixed` scores the shipped defaults instead,
and so does a run on Casale subjects none of which the shipped defaults were fitted on (they are
held out already).
Nothing is fitted on WISDM: the pocket uses the physical 45-degree thigh rule.

The last line is the summary:
`casale_sit_f1=… casale_acc3=… wisdm_sit_f1=… peer_wisdm_sit_f1=…` (plus the shuffled figures).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from monitor.model import Placement, SampleBlock
from monitor.posture import Settings, StreamClassifier, classify_recording
from monitor.recordings import read_casale, read_wisdm

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
# Every recording of either dataset found under --data is scored (in ../shared/data: the dev split).
CASALE_FILE = re.compile(r"^(\d+)\.csv(\.gz)?$")
WISDM_FILE = re.compile(r"^data_(\d+)_accel_phone\.txt(\.gz)?$")
CASALE_MAP = {"1": "sit", "3": "stand", "7": "stand", "4": "move", "5": "move", "6": "move"}
WISDM_MAP = {"D": "sit", "E": "stand", "A": "move", "B": "move", "C": "move"}
TRUTH = ("sit", "stand", "move")
PRED = ("sit", "stand", "move", "lie", "unknown")
SHUFFLE_SEED = 20240607
FIT_SHUFFLES = 3
# The Casale subjects the shipped trunk parameters (monitor.posture.Settings) were fitted on.
SHIPPED_FIT_SUBJECTS = (1, 2, 4, 5, 7, 8, 10, 11, 13, 14)
# The trunk parameters fitted leave-one-subject-out, per mode: (sit angle, sway weight).
LIVE_GRID = tuple(itertools.product((10.0, 12.0, 14.0, 16.0), (1.0, 2.0)))
REVIEW_GRID = tuple(itertools.product((12.0, 14.0, 16.0, 18.0, 20.0), (2.0, 3.0, 4.0, 6.0)))
MODES = ("review", "live")

StrArray = npt.NDArray[np.str_]


@dataclass
class Recording:
    dataset: str
    subject: int
    block: SampleBlock
    labels: StrArray
    mapping: dict[str, str]
    placement: Placement


@dataclass
class Scored:
    confusion: npt.NDArray[np.int64]  # rows TRUTH, columns PRED
    seconds: float  # wall time of classification


def sit_f1(c: npt.NDArray[np.int64]) -> float:
    tp = int(c[0, 0])
    fn = int(c[0].sum()) - tp
    fp = int(c[1:, 0].sum())
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")


def lie_as_sit(c: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = c.copy()
    lie = PRED.index("lie")
    out[:, 0] += out[:, lie]
    out[:, lie] = 0
    return out


def acc3(c: npt.NDArray[np.int64]) -> float:
    total = int(c.sum())
    return float(np.trace(c[:, :3])) / total if total else float("nan")


# ---- data ---------------------------------------------------------------------------------------

def found(folder: Path, pattern: re.Pattern[str]) -> list[tuple[int, Path]]:
    """(subject, file) for every recording in `folder` whose name matches, by subject."""
    if not folder.is_dir():
        return []
    hits = [(int(m.group(1)), p) for p in folder.iterdir() if (m := pattern.match(p.name))]
    return sorted(hits)


def load(data: Path) -> list[Recording]:
    out: list[Recording] = []
    for s, path in found(data / "uci-chest-casale", CASALE_FILE):
        r = read_casale(path)
        assert r.labels is not None
        out.append(Recording("casale", s, r.block, r.labels, CASALE_MAP, Placement.CHEST))
    for s, path in found(data / "wisdm2019-phone-accel", WISDM_FILE):
        r = read_wisdm(path)
        assert r.labels is not None
        out.append(Recording("wisdm", s, r.block, r.labels, WISDM_MAP, Placement.POCKET))
    return out


def segments(rec: Recording) -> list[slice]:
    """Runs of one label without a clock jump (a jump back or a gap over 1 s starts a new run)."""
    t = rec.block.t
    cut = (rec.labels[1:] != rec.labels[:-1]) | (np.diff(t) < 0) | (np.diff(t) > 1.0)
    bounds = [0, *(np.flatnonzero(cut) + 1).tolist(), len(t)]
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]


def relaid(rec: Recording, order: Sequence[int]) -> Recording:
    """The recording's segments in `order`, end to end on one continuous clock."""
    segs = segments(rec)
    t = rec.block.t
    dt = float(np.median(np.diff(t)[np.diff(t) > 0]))
    times: list[npt.NDArray[np.float64]] = []
    xyz: list[npt.NDArray[np.float64]] = []
    labels: list[StrArray] = []
    clock = 0.0
    for i in order:
        s = segs[i]
        seg_t = t[s] - t[s][0] + clock
        times.append(seg_t)
        xyz.append(rec.block.xyz[s])
        labels.append(rec.labels[s])
        clock = float(seg_t[-1]) + dt
    return replace(rec, block=SampleBlock(np.concatenate(times), np.concatenate(xyz)),
                   labels=np.concatenate(labels))


def shuffled(rec: Recording, seed: int) -> Recording:
    n = len(segments(rec))
    order = np.random.default_rng([seed, rec.subject]).permutation(n)
    return relaid(rec, order.tolist())


def continuous(rec: Recording) -> Recording:
    return relaid(rec, list(range(len(segments(rec)))))


def second_truth(rec: Recording) -> dict[int, str]:
    """Majority label of each second (seconds = floor of time since the first sample)."""
    secs = np.floor(rec.block.t - rec.block.t[0]).astype(np.int64)
    keys, inverse = np.unique(rec.labels, return_inverse=True)
    order = np.lexsort((inverse, secs))
    pairs = np.stack([secs[order], inverse[order]], axis=1)
    uniq, counts = np.unique(pairs, axis=0, return_counts=True)
    best: dict[int, tuple[int, str]] = {}
    for (sec, k), c in zip(uniq.tolist(), counts.tolist(), strict=True):
        if sec not in best or c > best[sec][0]:
            best[sec] = (c, str(keys[k]))
    return {sec: rec.mapping[lab] for sec, (_, lab) in best.items() if lab in rec.mapping}


def confusion(truth: dict[int, str], pred: dict[int, str]) -> npt.NDArray[np.int64]:
    c = np.zeros((len(TRUTH), len(PRED)), dtype=np.int64)
    for sec, lab in truth.items():
        c[TRUTH.index(lab), PRED.index(pred.get(sec, "unknown"))] += 1
    return c


# ---- classifiers ---------------------------------------------------------------------------------

def run_sitmon(rec: Recording, settings: Settings, repeats: int = 1,
               live: bool = False) -> tuple[dict[int, str], float]:
    wall = float("inf")
    for _ in range(repeats):  # the fastest of a few runs: a file takes milliseconds, timers jitter
        start = time.perf_counter()
        states = classify_recording(rec.block, rec.placement, settings=settings,
                                    review=False if live else None)
        wall = min(wall, time.perf_counter() - start)
    origin = float(rec.block.t[0])
    pred: dict[int, str] = {}
    for s in states:
        pred[round(s.t - origin)] = s.activity.value
    return pred, wall


def run_stored(rec: Recording, settings: Settings) -> dict[int, str]:
    """The day as a lone trunk sensor's daemon stores it once the data ends: what it said live,
    overwritten by the revision of the last re-learn (which the end of the data triggers)."""
    origin = float(rec.block.t[0])
    classifier = StreamClassifier(rec.placement, origin=origin, settings=settings, revise=True)
    states = [*classifier.push(rec.block), *classifier.flush(), *classifier.take_revision()]
    return {round(s.t - origin): s.activity.value for s in states}


PEER_MAP = {
    "sit": "sit", "lie": "lie", "stand": "stand", "shuffle": "stand", "walk": "move",
    "slow-walk": "move", "fast-walk": "move", "run": "move", "stairs": "move", "bicycle": "move",
    "row": "move", "non-wear": "unknown",
}


def run_peer(rec: Recording) -> tuple[dict[int, str], float]:
    """acti-motus on a phone-in-pocket recording, mapped to its thigh frame.

    acti-motus wants a thigh sensor whose x axis reads +1 g when standing. A phone sits in the pocket
    with its long (y) axis along the thigh, so the phone's y becomes acti-motus's x, x becomes y, and
    z (out of the screen, out of the thigh) stays z. acti-motus's own orientation check
    (`orientation=True`) corrects upside-down and inside-out placements, as it would for a thigh
    sensor worn the wrong way round. Units: g. Clock: the continuous copy (acti-motus needs time to
    increase).
    """
    import pandas as pd  # type: ignore[import-untyped]
    from actimotus import Activities, Features

    block = rec.block
    start = time.perf_counter()
    index = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(block.t, unit="s")
    frame = pd.DataFrame({"acc_x": block.xyz[:, 1], "acc_y": block.xyz[:, 0], "acc_z": block.xyz[:, 2]},
                         index=pd.DatetimeIndex(index, name="datetime"))
    features = Features().compute(frame)
    activities, _ = Activities(orientation=True).compute(features)
    wall = time.perf_counter() - start
    origin = index[0]
    pred: dict[int, str] = {}
    secs = np.floor((activities.index - origin).total_seconds()).astype(np.int64)
    for sec, act in zip(secs.tolist(), activities["activity"].astype(str).tolist(), strict=True):
        pred[int(sec)] = PEER_MAP.get(act, "unknown")
    return pred, wall


# ---- report --------------------------------------------------------------------------------------

def fmt(x: float) -> str:
    return f"{x:.3f}" if x == x else "  -  "


def print_confusion(title: str, c: npt.NDArray[np.int64]) -> None:
    print(f"\n{title} (rows: truth; columns: prediction)")
    print("         " + "".join(f"{p:>9}" for p in PRED))
    for i, t in enumerate(TRUTH):
        print(f"{t:>9}" + "".join(f"{int(v):>9}" for v in c[i]))


@dataclass
class Case:
    rec: Recording
    copy: str  # "original" or "shuffled"
    truth: dict[int, str]


def build_cases(recs: list[Recording]) -> list[Case]:
    cases = []
    for rec in recs:
        cases.append(Case(rec, "original", second_truth(rec)))
        sh = shuffled(rec, SHUFFLE_SEED)
        cases.append(Case(sh, "shuffled", second_truth(sh)))
    return cases


Params = tuple[float, float]


def trunk_settings(base: Settings, p: Params, mode: str, review: Params | None = None) -> Settings:
    """Settings with the fitted trunk parameters of one mode. Live judgement also re-learns as a
    review does, so it takes the review parameters too (fitted without the same held-out subject)."""
    if mode == "live":
        base = replace(base, trunk_sit_degrees=p[0], sway_weight=p[1])
        return base if review is None else trunk_settings(base, review, "review")
    return replace(base, review_sit_degrees=p[0], review_sway_weight=p[1])


def fit_loso(cases: list[Case], held_out: int, grid: Sequence[Params],
             cache: dict[tuple[int, str, Params], npt.NDArray[np.int64]],
             score: Callable[[Case, Params], npt.NDArray[np.int64]]) -> Params:
    best, best_f1 = grid[0], -1.0
    for value in grid:
        total = np.zeros((len(TRUTH), len(PRED)), dtype=np.int64)
        for case in cases:
            if case.rec.subject == held_out:
                continue
            key = (case.rec.subject, case.copy, value)
            if key not in cache:
                cache[key] = score(case, value)
            total += cache[key]
        f1 = sit_f1(total)
        if f1 > best_f1:
            best, best_f1 = value, f1
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding both datasets")
    parser.add_argument("--no-peer", action="store_true", help="skip acti-motus")
    parser.add_argument("--fixed", action="store_true", help="score the shipped defaults (no LOSO fit)")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")

    if not args.no_peer:
        try:
            import actimotus  # noqa: F401
        except ImportError:
            print("acti-motus is not installed (.venv/bin/pip install -e '.[bench]'): running without the peer")
            args.no_peer = True
    recs = load(args.data)
    if not recs:
        parser.error(f"no recordings of either dataset under {args.data} (give --data DIR)")
    casale_subjects = [r.subject for r in recs if r.dataset == "casale"]
    print(f"recordings under {args.data}: Casale subjects {casale_subjects or 'none'}, WISDM subjects "
          f"{[r.subject for r in recs if r.dataset == 'wisdm'] or 'none'}")
    if casale_subjects and not args.fixed and not set(casale_subjects) & set(SHIPPED_FIT_SUBJECTS):
        # Leave-one-subject-out only keeps a subject out of its own fit. These were never in the
        # shipped fit: scored with the shipped defaults, they are held out already, and a refit on
        # a handful of them would measure the refit more than the classifier.
        print(f"none of these Casale subjects was used to fit the shipped defaults (subjects "
              f"{', '.join(map(str, SHIPPED_FIT_SUBJECTS))} were): scoring the shipped defaults")
        args.fixed = True
    if len(casale_subjects) < 2 and not args.fixed:
        print("fewer than two Casale subjects: nothing to fit leave-one-subject-out, scoring the shipped defaults")
        args.fixed = True
    cases = build_cases(recs)
    base = Settings()
    # The fit sees each training subject in its original order and in three further shufflings
    # (other seeds than the scored copy), so that it cannot favour one lucky order.
    casale_cases = [c for c in cases if c.rec.dataset == "casale" and c.copy == "original"]
    for rec in (c.rec for c in casale_cases[:]):
        for k in range(1, FIT_SHUFFLES + 1):
            sh = shuffled(rec, SHUFFLE_SEED + k)
            casale_cases.append(Case(sh, f"fit-shuffle-{k}", second_truth(sh)))

    caches: dict[Params | None, dict[tuple[int, str, Params], npt.NDArray[np.int64]]] = {}

    def fit(mode: str, grid: Sequence[Params],
            review: dict[int, Params] | None = None) -> tuple[dict[int, Params], Params]:
        """Per held-out subject, the best of `grid` on the other nine; and the fit on all ten
        (held_out=0 leaves none out: the shipped defaults). `review`: the review parameters to
        judge with, per held-out subject (0: all), for live judgement, which re-learns as a review."""
        fitted: dict[int, Params] = {}
        for held_out in [*casale_subjects, 0]:
            review_p = None if review is None else review[held_out]

            def score_with(case: Case, p: Params, review_p: Params | None = review_p) -> npt.NDArray[np.int64]:
                pred, _ = run_sitmon(case.rec, trunk_settings(base, p, mode, review_p), live=mode == "live")
                return confusion(case.truth, pred)

            fitted[held_out] = fit_loso(casale_cases, held_out, grid, caches.setdefault(review_p, {}),
                                        score_with)
        everyone = fitted.pop(0)
        print(f"{mode}: trunk parameters fitted leave-one-subject-out on Casale, per held-out subject "
              "(sit angle, degrees / sway weight):")
        print("  " + ", ".join(f"{s}: {p[0]:g}/{p[1]:g}" for s, p in fitted.items()))
        print(f"  the same fit on all subjects: {everyone[0]:g}/{everyone[1]:g}")
        return fitted, everyone

    fitted: dict[str, dict[int, Params]] = {mode: {} for mode in MODES}
    if not args.fixed:
        fitted["review"], review_everyone = fit("review", REVIEW_GRID)
        fitted["live"], _ = fit("live", LIVE_GRID, {**fitted["review"], 0: review_everyone})
    else:
        print(f"shipped defaults, nothing fitted: review sit angle {base.review_sit_degrees:g} degrees, "
              f"sway weight {base.review_sway_weight:g}; live sit angle {base.trunk_sit_degrees:g} "
              f"degrees, sway weight {base.sway_weight:g}")

    if not args.no_peer and (first := next((c.rec for c in cases if c.rec.dataset == "wisdm"), None)):
        # Import and first-call costs are not part of the peer's rate.
        run_peer(replace(first, block=SampleBlock(first.block.t[:2000], first.block.xyz[:2000])))
    rows: list[tuple[str, int, str, npt.NDArray[np.int64], float, int, npt.NDArray[np.int64] | None,
                     float]] = []
    live_rows: list[tuple[int, str, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
    for case in cases:
        rec = case.rec
        settings = base
        if rec.dataset == "casale" and rec.subject in fitted["review"]:
            settings = trunk_settings(base, fitted["review"][rec.subject], "review")
        pred, wall = run_sitmon(rec, settings, repeats=3)
        c = confusion(case.truth, pred)
        if rec.dataset == "casale":
            live_settings = base
            if rec.subject in fitted["live"]:
                live_settings = trunk_settings(base, fitted["live"][rec.subject], "live",
                                               fitted["review"][rec.subject])
            live_pred, _ = run_sitmon(rec, live_settings, live=True)
            live_rows.append((rec.subject, case.copy, confusion(case.truth, live_pred),
                              confusion(case.truth, run_stored(rec, live_settings))))
        peer_c: npt.NDArray[np.int64] | None = None
        peer_wall = float("nan")
        if rec.dataset == "wisdm" and not args.no_peer:
            peer_rec = rec if case.copy == "shuffled" else continuous(rec)
            peer_truth = case.truth if case.copy == "shuffled" else second_truth(peer_rec)
            peer_pred, peer_wall = run_peer(peer_rec)
            peer_c = confusion(peer_truth, peer_pred)
        rows.append((rec.dataset, rec.subject, case.copy, c, wall, len(rec.block), peer_c, peer_wall))

    print("\nPer file (sitmon; peer = acti-motus on the same file, WISDM only)")
    print(f"{'dataset':8} {'subject':>7} {'copy':9} {'seconds':>7} {'sit_F1':>7} {'acc3':>6} "
          f"{'ms':>7} {'peer_F1':>7} {'peer_acc3':>9} {'peer_ms':>8}")
    for ds, subj, copy, c, wall, _, pc, pw in rows:
        peer = (f"{fmt(sit_f1(pc)):>7} {fmt(acc3(pc)):>9} {pw * 1000:8.0f}" if pc is not None else "")
        print(f"{ds:8} {subj:>7} {copy:9} {int(c.sum()):>7} {fmt(sit_f1(c)):>7} {fmt(acc3(c)):>6} "
              f"{wall * 1000:7.0f} {peer}")

    summary: dict[str, float] = {}
    print("\nPooled")
    for ds in ("casale", "wisdm"):
        for copy in ("original", "shuffled"):
            sel = [r for r in rows if r[0] == ds and r[2] == copy]
            if not sel:
                continue
            c = sum((r[3] for r in sel), np.zeros((len(TRUTH), len(PRED)), dtype=np.int64))
            wall = sum(r[4] for r in sel)
            samples = sum(r[5] for r in sel)
            line = (f"{ds:8} {copy:9} sitmon sit_F1={fmt(sit_f1(c))} acc3={fmt(acc3(c))} "
                    f"time={wall:.2f}s ({samples / wall / 1e6:.2f} M samples/s)")
            key = ds if copy == "original" else f"{ds}_shuffled"
            summary[f"{key}_sit_f1"] = sit_f1(c)
            summary[f"{key}_acc3"] = acc3(c)
            peer_sel = [r for r in sel if r[6] is not None]
            pc = None
            if peer_sel:
                pc = sum((r[6] for r in peer_sel if r[6] is not None),
                         np.zeros((len(TRUTH), len(PRED)), dtype=np.int64))
                pw = sum(r[7] for r in peer_sel)
                line += (f" | acti-motus sit_F1={fmt(sit_f1(pc))} acc3={fmt(acc3(pc))} time={pw:.2f}s "
                         f"({samples / pw / 1e6:.3f} M samples/s; sitmon {pw / wall:.0f}x faster)")
                summary[f"peer_{key}_sit_f1"] = sit_f1(pc)
                summary[f"peer_{key}_acc3"] = acc3(pc)
                # acti-motus calls many pocket seconds "lie" (a rotated, horizontal thigh): score
                # it also with lying counted as sitting, the most generous reading for it.
                line += (f"\n{'':19}with lie counted as sit: sitmon sit_F1={fmt(sit_f1(lie_as_sit(c)))}, "
                         f"acti-motus sit_F1={fmt(sit_f1(lie_as_sit(pc)))}")
                summary[f"peer_{key}_sit_f1_lie_as_sit"] = sit_f1(lie_as_sit(pc))
            print(line)
            print_confusion(f"{ds} {copy}, sitmon", c)
            if pc is not None:
                print_confusion(f"{ds} {copy}, acti-motus", pc)
    # Per copy: the judgement as the daemon says it live, then the day as it stores it once the data
    # ends (live, rewritten by the re-learns' revisions): the last two columns of `live_rows`.
    for name, title in (
            ("live", "Casale chest judged live, as the daemon does (each second from what came before "
                     "it, re-learning every 5 min; per file: sit_F1/acc3)"),
            ("stored", "Casale chest as the daemon stores the day once the data ends (live, rewritten "
                       "by the re-learns' revisions; per file: sit_F1/acc3)")):
        print(f"\n{title}")
        for copy in ("original", "shuffled") if live_rows else ():
            files = [(r[0], r[2] if name == "live" else r[3]) for r in live_rows if r[1] == copy]
            pooled = sum((x for _, x in files), np.zeros((len(TRUTH), len(PRED)), dtype=np.int64))
            print(f"casale   {copy:9} {name} sit_F1={fmt(sit_f1(pooled))} acc3={fmt(acc3(pooled))}   "
                  + " ".join(f"{subj}:{fmt(sit_f1(x))}/{fmt(acc3(x))}" for subj, x in files))
            key = f"{name}_casale" if copy == "original" else f"{name}_casale_shuffled"
            summary[f"{key}_sit_f1"] = sit_f1(pooled)
            summary[f"{key}_acc3"] = acc3(pooled)
            if name == "live":
                print_confusion(f"casale {copy}, sitmon live", pooled)
    print()
    order = ["casale_sit_f1", "casale_acc3", "wisdm_sit_f1", "peer_wisdm_sit_f1",
             "casale_shuffled_sit_f1", "casale_shuffled_acc3", "wisdm_acc3", "peer_wisdm_acc3",
             "wisdm_shuffled_sit_f1", "peer_wisdm_shuffled_sit_f1", "peer_wisdm_sit_f1_lie_as_sit",
             "live_casale_sit_f1", "live_casale_acc3", "live_casale_shuffled_sit_f1",
             "live_casale_shuffled_acc3", "stored_casale_sit_f1", "stored_casale_acc3",
             "stored_casale_shuffled_sit_f1", "stored_casale_shuffled_acc3"]
    print(" ".join(f"{k}={summary[k]:.3f}" for k in order if k in summary))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
