"""How far the Casale chest labels let any still-posture classifier go: two ceilings, from the labels.

Run from the repository root (after `.venv/bin/pip install -e '.[bench]'`):

    .venv/bin/python bench/ceiling.py

This is a diagnostic, not a score: both ceilings read the labels, which sitmon never does.

1. **Each still posture judged right.** The review (`classify_recording`) finds the wearer's still
   postures without labels and judges each one sit or stand. Here every posture it found takes the
   majority label of its quiet seconds instead, and everything else (units, upright reference,
   clustering, moving, lying, smoothing) stays as shipped. No rule that decides per posture can do
   better than this with these postures.
2. **Every sit, stand and lie second right.** Every error but stand/move is corrected. What is left
   are the seconds where the label says moving and the motion is still, or the label says standing
   and the body moves; the report counts them by their spread (below 0.1 g no step is possible).

Both are printed for the original order and the shuffled copy that `bench/evaluate.py` scores, with
the shipped parameters, pooled over every Casale file found under `--data`.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from evaluate import (
    DEFAULT_DATA,
    PRED,
    SHUFFLE_SEED,
    TRUTH,
    Recording,
    acc3,
    confusion,
    load,
    second_truth,
    shuffled,
    sit_f1,
)

from monitor.posture import Settings, classify_recording, learn_recording
from monitor.posture.classify import SWAY_JOIN_COS, Learned

Matrix = npt.NDArray[np.int64]


def per_second(rec: Recording, offset: Sequence[float], radius: float) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each second's index (from the first sample), unit gravity direction and spread in g."""
    t, xyz = rec.block.t, np.asarray(rec.block.xyz, dtype=np.float64)
    secs = np.floor(t - t[0]).astype(np.int64)
    starts = np.concatenate([[0], np.flatnonzero(secs[1:] != secs[:-1]) + 1])
    counts = np.diff(np.append(starts, len(xyz)))
    means = np.add.reduceat(xyz, starts, axis=0) / counts[:, None]
    dev = xyz - np.repeat(means, counts, axis=0)
    spread = np.sqrt(np.add.reduceat((dev * dev).sum(axis=1), starts) / counts) / radius
    g = means - np.asarray(offset)
    u = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
    return secs[starts], u, spread


def judged(rec: Recording, settings: Settings, learned: Learned) -> dict[int, str]:
    """The review's judgement of each second, handed its first pass."""
    origin = float(rec.block.t[0])
    states = classify_recording(rec.block, rec.placement, settings=settings, learned=learned)
    return {round(s.t - origin): s.activity.value for s in states}


def labelled(learned: Learned, secs: npt.NDArray[np.int64], u: npt.NDArray[np.float64], quiet: npt.NDArray[np.bool_],
             truth: dict[int, str]) -> Learned:
    """A copy of `learned` whose every still posture takes the majority label of its quiet seconds."""
    out = copy.deepcopy(learned)
    if not out.clusters:
        return out
    rows = np.flatnonzero(quiet)
    k_dir = np.array([k[:3] for k in out.clusters])
    cos = u[rows] @ k_dir.T
    member = np.where(cos.max(axis=1) > SWAY_JOIN_COS, cos.argmax(axis=1), -1)
    for j, k in enumerate(out.clusters):
        labels = [truth.get(int(s)) for s in secs[rows[member == j]]]
        sits, others = labels.count("sit"), labels.count("stand") + labels.count("move")
        if sits + others:
            k[8] = 1.0 if sits > others else -1.0
    return out


def only_stand_move_wrong(c: Matrix) -> Matrix:
    """`c` with every error corrected except stand judged moving and moving judged standing."""
    out = np.zeros_like(c)
    stand, move = TRUTH.index("stand"), TRUTH.index("move")
    for row in range(len(TRUTH)):
        keep = {stand: move, move: stand}.get(row)
        kept = int(c[row, keep]) if keep is not None else 0
        out[row, row] = int(c[row].sum()) - kept
        if keep is not None:
            out[row, keep] = kept
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding the datasets")
    args = parser.parse_args(argv)
    recs = [r for r in load(args.data) if r.dataset == "casale"]
    if not recs:
        print(f"no Casale recordings under {args.data}", file=sys.stderr)
        return 2
    settings = Settings()
    print(f"Casale subjects {[r.subject for r in recs]}, shipped parameters; rows: truth, columns: {PRED}")
    for order in ("original", "shuffled"):
        shipped = np.zeros((len(TRUTH), len(PRED)), dtype=np.int64)
        oracle = np.zeros_like(shipped)
        still_move = moving_stand = 0
        for found in recs:
            rec = shuffled(found, SHUFFLE_SEED) if order == "shuffled" else found
            truth = second_truth(rec)
            learned = learn_recording(rec.block, rec.placement, settings=settings)
            secs, u, spread = per_second(rec, learned.scale.offset, learned.scale.radius)
            quiet = spread < settings.move_g
            review = judged(rec, settings, learned)
            shipped += confusion(truth, review)
            oracle += confusion(truth, judged(rec, settings, labelled(learned, secs, u, quiet, truth)))
            for s, still in zip(secs.tolist(), quiet.tolist(), strict=True):
                lab, pred = truth.get(s), review.get(s)
                still_move += lab == "move" and pred == "stand" and still
                moving_stand += lab == "stand" and pred == "move" and not still
        floor = only_stand_move_wrong(shipped)
        print(f"\n{order}")
        print(f"  as shipped (the review)              sit_F1={sit_f1(shipped):.3f} acc3={acc3(shipped):.3f}")
        print(f"  each still posture judged right     sit_F1={sit_f1(oracle):.3f} acc3={acc3(oracle):.3f}")
        print(f"  every sit/stand/lie second right    sit_F1={sit_f1(floor):.3f} acc3={acc3(floor):.3f}")
        stand, move = TRUTH.index("stand"), TRUTH.index("move")
        print(f"  left: {int(shipped[move, stand])} moving seconds judged standing "
              f"({still_move} of them still, spread < {settings.move_g} g), "
              f"{int(shipped[stand, move])} standing seconds judged moving "
              f"({moving_stand} of them moving, spread >= {settings.move_g} g)")
        print("  each still posture judged right:")
        for row, name in enumerate(TRUTH):
            print(f"    {name:>5} " + " ".join(f"{int(v):6d}" for v in oracle[row]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
