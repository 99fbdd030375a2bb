"""Round 3 of the selection protocol: pretrained and diverse candidates, halved and resumable.

    python -m benchmarks.studies.select_round3            # run (or resume) the round
    python -m benchmarks.studies.select_round3 --rung 0   # stop after the screening
    python -m benchmarks.studies.select_round3 --report   # tables of the saved fits only
    python -m benchmarks.studies.select_round3 --smoke    # 400 images, 1 epoch, in /tmp

THE RULE OF ROUND 3, written down on 2026-12-07 before any candidate was run (issue 30):

1. Data. The 5216 train images, split once by patient (``StratifiedGroupKFold(5)``,
   shuffled, seed 0). Every fit is scored on its held-out fold, clean and under the 7
   shifts of rounds 1 and 2 (shift 10 %, zoom in 15 %, zoom out 13 %, rotate 10 deg,
   crop 10 %, darker and low contrast, gamma 0.6, blur + noise).
2. Score of one fit: the mean of its clean ROC-AUC and its worst ROC-AUC over the 7
   shifts. Round 2 showed that the ranking, not the threshold, limits us on unseen
   X-rays (every network: ROC-AUC 0.945-0.965 on the independent test), so the score
   measures ranking, clean and under shift; the threshold is chosen separately (step 6).
3. Successive halving, two rungs:
   * rung 0 (screening): every candidate, one fit: fold 0, seed 0, with its epochs halved
     (rounded up; frozen-feature heads keep theirs, they cost little). A diverse ensemble
     is scored from its members' saved probabilities and costs no fit.
   * rung 1 (evaluation): the incumbent default and the best other candidate of rung 0
     (with any within 0.005 of it), full epochs, 5 fits each: seed 0 on folds 0, 1, 2 and
     seeds 1, 2 on fold 0, run in that order for all of them at once (fold 0 for every
     one, then fold 1...), so that an interrupted round leaves comparable fits. Score: the
     mean over the 5 fits minus the standard deviation over the 3 seeds of fold 0.
4. Gates, for rung 1, as in rounds 1 and 2. (a) Budget: the fit on all 5216 images,
   estimated as the fold fit's wall time x 5216 / fold size (summed over an ensemble's
   members), takes at most 30 min on this 2-core CPU, whose model is recorded with every
   fit. (b) Shortcuts: on 300 held-out images of the fold-0 seed-0 fit and on the 16
   full-resolution val images, blanking the border band moves the probability less on
   average than blanking the central box of the same area, and flips at most 5 % of the
   held-out decisions (``shortcut_audit``).
5. The highest rung-1 score among the candidates that pass the gates wins; within 0.005
   it is a tie, and the tie goes to the fastest fit. The winner becomes the default only
   if it beats the incumbent by more than 0.005.
6. Threshold: the one that maximises balanced accuracy (Youden's J) on the winner's
   pooled clean held-out probabilities of its seed-0 fits on folds 0-2: chosen on the
   train split, never on the independent test. It is saved with the shipped model.

Candidates, chosen before the run:

* ``default``: the incumbent, ``HistogramEqualizer`` then the optimized CNN at 128 px, 10
  epochs, ``XrayAugmenter()``, balanced class weights (one seed a fit; the recipe averages
  3 seeds, which rung 1's seeds measure);
* ``cnn-ema``: the same with an exponential moving average of the weights (momentum 0.99):
  the seeds' agreement at the cost of one fit;
* ``bn-cnn`` and ``resnet``: the batch-normalised presets at 128 px, after the BN fix;
* ``lite0-frozen``: EfficientNet-Lite0 with ImageNet weights, frozen, at 224 px, and a
  logistic head (no hidden layer) trained 30 epochs on its pooled features;
* ``lite0-tuned``: EfficientNet-Lite0 with ImageNet weights at 128 px: 2 head warm-up
  epochs (base frozen), then its top 6 of 16 blocks
  fine-tuned 4 epochs at 1e-4 with frozen batch-norm statistics, ``XrayAugmenter()``,
  balanced class weights, label smoothing 0.1, dropout 0.3 (the naive end-to-end
  fine-tune of issue 30 is the floor);
* ``lite1-tuned``: the same on EfficientNet-Lite1;
* ``default+lite0-frozen`` and ``default+lite0-tuned``: the mean probability of the
  default's network and a pretrained one (a diverse ensemble).

Files: ``results/select_round3/fits/<candidate>/r<rung>-f<fold>-s<seed>.npz`` (each fit's
held-out probabilities, clean and shifted, written the moment the fit ends: a rerun skips
every fit that is saved) with its ``.json`` (wall and CPU seconds, CPU model, audit);
``rung0.csv``, ``rung1.csv``, ``decision.json`` and ``cost.csv`` (every candidate's CPU
time and the round's total). The decoded images are cached once per size in
``~/.cache/skxray-benchmarks/round3/`` (``SKXRAY_BENCH_CACHE``), read by every fit.
"""

import argparse
import csv
import json
import math
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline

from benchmarks._common import RESULTS, SHARED, machine, train_subset
from benchmarks._protocol import ALL_SHIFTS, grouped_folds
from skxray import (
    FEATURE_CACHE,
    HistogramEqualizer,
    ImageDirLoader,
    ScratchCNNClassifier,
    TransferClassifier,
    XrayAugmenter,
    load_image_folder,
    shortcut_audit,
)

OUT = RESULTS / "select_round3"
CACHE = (
    Path(os.environ.get("SKXRAY_BENCH_CACHE", Path.home() / ".cache" / "skxray-benchmarks"))
    / "round3"
)
N_TRAIN, BUDGET_S, TIE = 5216, 30 * 60, 0.005
RUNG1_FITS = [(0, 0), (1, 0), (2, 0), (0, 1), (0, 2)]  # (fold, seed)
INCUMBENT = "default"
SMOKE = False


# ------------------------------------------------------------------------ the candidates
def _cnn(preset, epochs, seed, **kw):
    return make_pipeline(
        HistogramEqualizer(),
        ScratchCNNClassifier(
            preset, epochs=epochs, augmenter=XrayAugmenter(), class_weight="balanced",
            random_state=seed, **kw,
        ),
    )  # fmt: skip


def _lite_frozen(epochs, seed):
    return TransferClassifier(
        "efficientnet_lite0", mode="bottleneck", weights="imagenet", input_size=224,
        head_units=0, dropout=0.0, epochs=epochs, batch_size=64, class_weight="balanced",
        optimizer__learning_rate=1e-3, random_state=seed,
    )  # fmt: skip


def _lite_tuned(variant, epochs, seed):
    return TransferClassifier(
        variant, mode="fine_tune", weights="imagenet", input_size=128, head_units=0,
        dropout=0.3, epochs=2, n_trainable_blocks=6, fine_tune_epochs=epochs,
        fine_tune_learning_rate=1e-4, batchnorm="frozen", augmenter=XrayAugmenter(),
        class_weight="balanced", label_smoothing=0.1, batch_size=32, random_state=seed,
    )  # fmt: skip


# name: (image size, full epochs, halve at rung 0, make(epochs, seed))
CANDIDATES = {  # in the order rung 0 runs them: the cheap and the likely first
    "default": (128, 10, True, lambda e, s: _cnn("optimized", e, s)),
    "lite0-frozen": (224, 30, False, _lite_frozen),
    "lite0-tuned": (128, 4, True, lambda e, s: _lite_tuned("efficientnet_lite0", e, s)),
    "cnn-ema": (
        128, 10, True,
        lambda e, s: _cnn("optimized", e, s, optimizer__use_ema=True,
                          optimizer__ema_momentum=0.99),
    ),
    "bn-cnn": (128, 10, True, lambda e, s: _cnn("bn-cnn", e, s)),
    "lite1-tuned": (128, 4, True, lambda e, s: _lite_tuned("efficientnet_lite1", e, s)),
    "resnet": (128, 10, True, lambda e, s: _cnn("resnet", e, s)),
}  # fmt: skip
ENSEMBLES = {
    "default+lite0-frozen": ("default", "lite0-frozen"),
    "default+lite0-tuned": ("default", "lite0-tuned"),
}
NAMES = [*list(CANDIDATES)[:3], *ENSEMBLES, *list(CANDIDATES)[3:]]
"""Every candidate, in the order rung 0 runs them (an ensemble right after its members)."""


# ------------------------------------------------------------------------------ the data
def cached_images(paths, size, name):
    """The images of ``paths`` decoded at ``size``, from the on-disk cache (uint8, exact
    for 8-bit files), decoding them only the first time."""
    CACHE.mkdir(parents=True, exist_ok=True)
    file = CACHE / f"{name}_{size}.npy"
    if not file.exists():
        images = ImageDirLoader(size, n_jobs=-1).transform(paths)
        partial = file.with_suffix(".partial.npy")
        np.save(partial, np.round(images * 255).astype(np.uint8))
        os.replace(partial, file)
    return np.load(file, mmap_mode="r")


def as_float(images):
    return np.asarray(images).astype(np.float32) * np.float32(1 / 255)


class Data:
    """Labels, the folds, and the held-out sets per (size, fold), built once per run."""

    def __init__(self):
        self.paths, self.y, groups = train_subset(400 if SMOKE else 0)
        self.folds = grouped_folds(self.paths, self.y, groups, 5)
        self.val = load_image_folder(SHARED / "data" / "chest_xray_fullres_val")
        self._sets = {}

    def images(self, size):
        return cached_images(self.paths, size, "train")

    def sets(self, size, fold):
        key = (size, fold)
        if key not in self._sets:
            held = as_float(self.images(size)[self.folds[fold][1]])
            self._sets = {key: {"clean": held, **{n: f(held) for n, f in ALL_SHIFTS.items()}}}
        return self._sets[key]


# ------------------------------------------------------------------------------ the fits
def fit_file(name, rung, fold, seed):
    return OUT / "fits" / name / f"r{rung}-f{fold}-s{seed}"


def run_fit(data, name, rung, fold, seed, audit=False):
    """Fit one candidate on one fold (or read the saved fit); returns its record."""
    base = fit_file(name, rung, fold, seed)
    if base.with_suffix(".json").exists():
        return load_fit(base)
    size, epochs, halve, make = CANDIDATES[name]
    epochs = math.ceil(epochs / 2) if rung == 0 and halve else epochs
    epochs = 1 if SMOKE else epochs
    train, test = data.folds[fold]
    X = as_float(data.images(size)[train])
    print(f"{name} rung {rung} fold {fold} seed {seed}: fitting {len(train)} images...", flush=True)
    FEATURE_CACHE.clear()  # a frozen base's features are computed, and timed, in every fit
    wall, cpu = time.perf_counter(), time.process_time()
    model = make(epochs, seed).fit(X, data.y[train])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    del X
    proba = {k: model.predict_proba(v)[:, 1] for k, v in data.sets(size, fold).items()}
    record = {"candidate": name, "rung": rung, "fold": fold, "seed": seed, "epochs": epochs,
              "n_train": int(len(train)), "fit_wall_s": wall, "fit_cpu_s": cpu,
              "machine": machine(), "date": time.strftime("%Y-%m-%d")}  # fmt: skip
    if audit:
        idx = np.sort(np.random.default_rng(0).choice(len(test), min(300, len(test)), False))
        record["audit_heldout"] = shortcut_audit(
            model, data.sets(size, fold)["clean"][idx]
        ).summary()
        val = ImageDirLoader(size).transform(data.val.paths)
        record["audit_fullres_val"] = shortcut_audit(model, val).summary()
    base.parent.mkdir(parents=True, exist_ok=True)
    np.savez(base.with_suffix(".npz"), **proba)  # before the .json, which marks it done
    base.with_suffix(".json").write_text(json.dumps(record, indent=1))
    print(f"  {describe(record, proba, data.y[test])}", flush=True)
    return load_fit(base)


def load_fit(base):
    record = json.loads(base.with_suffix(".json").read_text())
    with np.load(base.with_suffix(".npz")) as saved:
        record["proba"] = {k: saved[k] for k in saved.files}
    return record


def fit_score(proba, y):
    """Step 2: the mean of the clean ROC-AUC and the worst shifted ROC-AUC."""
    aucs = {k: roc_auc_score(y, p) for k, p in proba.items()}
    return 0.5 * (aucs["clean"] + min(v for k, v in aucs.items() if k != "clean")), aucs


def describe(record, proba, y):
    score, aucs = fit_score(proba, y)
    return (f"{record['candidate']} r{record['rung']} f{record['fold']} s{record['seed']}: "
            f"score {score:.4f}, clean AUC {aucs['clean']:.4f}, fit {record['fit_wall_s']:.0f} s "
            f"wall, {record['fit_cpu_s']:.0f} s CPU")  # fmt: skip


def ensemble_fit(data, name, rung, fold, seed):
    fits = [run_fit(data, m, rung, fold, seed) for m in ENSEMBLES[name]]
    proba = {k: np.mean([f["proba"][k] for f in fits], axis=0) for k in fits[0]["proba"]}
    return {"candidate": name, "rung": rung, "fold": fold, "seed": seed, "proba": proba,
            "fit_wall_s": sum(f["fit_wall_s"] for f in fits),
            "fit_cpu_s": sum(f["fit_cpu_s"] for f in fits), "n_train": fits[0]["n_train"],
            "members": list(ENSEMBLES[name])}  # fmt: skip


def get_fit(data, name, rung, fold, seed, audit=False):
    if name in ENSEMBLES:
        return ensemble_fit(data, name, rung, fold, seed)
    return run_fit(data, name, rung, fold, seed, audit=audit)


# -------------------------------------------------------------------------- the rungs
def rung0(data, names):
    rows = {}
    for name in names:
        fit = get_fit(data, name, 0, 0, 0)
        score, aucs = fit_score(fit["proba"], data.y[data.folds[0][1]])
        rows[name] = {"score": score, "clean_auc": aucs["clean"],
                      "worst_shift_auc": min(v for k, v in aucs.items() if k != "clean"),
                      "fit_wall_s": fit["fit_wall_s"], "fit_cpu_s": fit["fit_cpu_s"]}  # fmt: skip
    return rows


def promoted(rows0):
    """Step 3: the incumbent and the best other candidate (with those within 0.005)."""
    others = sorted((n for n in rows0 if n != INCUMBENT), key=lambda n: -rows0[n]["score"])
    cut = rows0[others[0]]["score"] - TIE if others else 0
    return [INCUMBENT] + [n for n in others if rows0[n]["score"] >= cut]


def gates(fits, name):
    fit0 = fits[0]
    full = fit0["fit_wall_s"] * N_TRAIN / fit0["n_train"]
    members = ENSEMBLES.get(name, (name,))
    audits = [load_fit(fit_file(m, 1, 0, 0)) for m in members]
    short = all(
        a["audit_heldout"]["abs_delta_border"] < a["audit_heldout"]["abs_delta_center"]
        and a["audit_fullres_val"]["abs_delta_border"] < a["audit_fullres_val"]["abs_delta_center"]
        and a["audit_heldout"]["flips_border"] <= 0.05
        for a in audits
    )
    return {"full_fit_s": full, "gate_budget": bool(full <= BUDGET_S), "gate_shortcut": bool(short)}


def rung1(data, names):
    for fold, seed in RUNG1_FITS:  # interleaved: every candidate's fold 0 first
        for name in names:
            for member in ENSEMBLES.get(name, (name,)):  # fold 0 seed 0 carries the audit
                run_fit(data, member, 1, fold, seed, audit=(fold, seed) == (0, 0))
    rows = {}
    for name in names:
        fits = [get_fit(data, name, 1, fold, seed) for fold, seed in RUNG1_FITS]
        scores = [fit_score(f["proba"], data.y[data.folds[f["fold"]][1]])[0] for f in fits]
        fold0 = [s for s, f in zip(scores, fits, strict=True) if f["fold"] == 0]
        rows[name] = {"score": float(np.mean(scores) - np.std(fold0)),
                      "mean_fit_score": float(np.mean(scores)), "seed_sd": float(np.std(fold0)),
                      **gates(fits, name), "threshold": threshold(data, fits)}  # fmt: skip
    return rows


def threshold(data, fits):
    """Step 6: Youden's J on the pooled clean held-out probabilities of folds 0-2, seed 0."""
    chosen = [f for f in fits if f["seed"] == 0]
    y = np.concatenate([data.y[data.folds[f["fold"]][1]] for f in chosen])
    p = np.concatenate([f["proba"]["clean"] for f in chosen])
    fpr, tpr, thresholds = roc_curve(y, p)
    return float(np.clip(thresholds[np.argmax(tpr - fpr)], 0, 1))


def decide(rows1):
    passing = {n: r for n, r in rows1.items() if r["gate_budget"] and r["gate_shortcut"]}
    if not passing:
        return {"winner": None}
    best = max(r["score"] for r in passing.values())
    tied = [n for n, r in passing.items() if r["score"] >= best - TIE]
    winner = min(tied, key=lambda n: passing[n]["full_fit_s"])
    incumbent = rows1[INCUMBENT]["score"]
    new_default = winner != INCUMBENT and rows1[winner]["score"] > incumbent + TIE
    return {"winner": winner, "tied": tied, "new_default": bool(new_default),
            "default": winner if new_default else INCUMBENT,
            "threshold": rows1[winner if new_default else INCUMBENT]["threshold"]}  # fmt: skip


# ------------------------------------------------------------------------------ reports
def threshold_check(data, name, chosen):
    """Balanced accuracy of ``name``'s seed-0 fits on folds 0-2, pooled, at 0.5 and at step
    6's ``chosen`` threshold, clean and under each shift (``threshold.csv``): does the
    threshold chosen on clean images hold under the shifts the rule scores?"""
    fits = [f for fold in (0, 1, 2) if (f := saved_fit(data, name, 1, fold, 0))]
    y = np.concatenate([data.y[data.folds[f["fold"]][1]] for f in fits])
    rows = {}
    for shift in fits[0]["proba"]:
        p = np.concatenate([f["proba"][shift] for f in fits])
        rows[shift] = {
            f"balanced accuracy at {t:g}": float(balanced_accuracy_score(y, p >= t))
            for t in (0.5, round(chosen, 3))
        } | {
            f"specificity at {t:g}": float(np.mean(p[y == 0] < t)) for t in (0.5, round(chosen, 3))
        }
    write_csv(OUT / "threshold.csv", rows, first="images")
    return rows


def write_csv(path, rows, first="candidate"):
    keys = list(next(iter(rows.values())))
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([first, *keys])
        for name, row in rows.items():
            writer.writerow(
                [name, *(f"{v:.4f}" if isinstance(v, float) else v for v in row.values())]
            )


def cost_table():
    """Every saved fit's CPU and wall time, by candidate, and the round's total."""
    rows = {}
    for file in sorted((OUT / "fits").glob("*/*.json")):
        r = json.loads(file.read_text())
        row = rows.setdefault(r["candidate"], {"fits": 0, "cpu_min": 0.0, "wall_min": 0.0})
        row["fits"] += 1
        row["cpu_min"] += r["fit_cpu_s"] / 60
        row["wall_min"] += r["fit_wall_s"] / 60
    if rows:
        rows["total"] = {
            k: sum(r[k] for r in rows.values()) for k in ("fits", "cpu_min", "wall_min")
        }
    return rows


def saved_fit(data, name, rung, fold, seed):
    """A candidate's fit as saved, or None when it (or a member's) has not run yet."""
    if not all(
        fit_file(m, rung, fold, seed).with_suffix(".json").exists()
        for m in ENSEMBLES.get(name, (name,))
    ):
        return None
    return get_fit(data, name, rung, fold, seed)  # reads, fits nothing


def report(data, decision=None):
    """``candidates.csv`` from the saved fits only: rung 0, then rung 1 as far as it ran
    (an interrupted round reports its state; nothing is fitted)."""
    table = {}
    for name in NAMES:
        fit0 = saved_fit(data, name, 0, 0, 0)
        if fit0 is None:
            continue
        score, aucs = fit_score(fit0["proba"], data.y[data.folds[0][1]])
        row = {"rung 0 score": f"{score:.4f}", "clean AUC": f"{aucs['clean']:.4f}",
               "worst-shift AUC": f"{min(v for k, v in aucs.items() if k != 'clean'):.4f}",
               "rung 0 fit (min)": f"{fit0['fit_wall_s'] / 60:.1f}"}  # fmt: skip
        row.update(dict.fromkeys(("rung 1 fits", "rung 1 mean", "seed sd", "fit on 5216 (min)",
                                  "shortcut gate"), ""))  # fmt: skip
        fits = [f for fold, seed in RUNG1_FITS if (f := saved_fit(data, name, 1, fold, seed))]
        if fits:
            scores = [fit_score(f["proba"], data.y[data.folds[f["fold"]][1]])[0] for f in fits]
            fold0 = [s for s, f in zip(scores, fits, strict=True) if f["fold"] == 0]
            row["rung 1 fits"] = f"{len(fits)}/{len(RUNG1_FITS)}"
            row["rung 1 mean"] = f"{np.mean(scores):.4f}"
            row["seed sd"] = f"{np.std(fold0):.4f}" if len(fold0) > 1 else ""
            if (fits[0]["fold"], fits[0]["seed"]) == (0, 0):
                g = gates(fits, name)
                row["fit on 5216 (min)"] = f"{g['full_fit_s'] / 60:.1f}"
                row["shortcut gate"] = "passes" if g["gate_shortcut"] else "fails"
        mark = " (winner)" if decision and name == decision.get("winner") else ""
        table[name + mark] = row
    write_csv(OUT / "candidates.csv", table)
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rung", type=int, choices=(0, 1), default=1, help="last rung to run")
    parser.add_argument("--candidates", help="comma-separated names (default: all)")
    parser.add_argument("--smoke", action="store_true", help="400 images, 1 epoch, in /tmp")
    parser.add_argument(
        "--report", action="store_true", help="tables from the saved fits only; fit nothing"
    )
    args = parser.parse_args()
    if args.smoke:
        global OUT, CACHE, SMOKE
        OUT, CACHE, SMOKE = Path("/tmp/round3-smoke"), Path("/tmp/round3-smoke/cache"), True
    names = NAMES
    if args.candidates:
        names = args.candidates.split(",")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "rule.txt").write_text(__doc__.split("THE RULE OF ROUND 3")[1].split("Files:")[0])
    data = Data()
    if args.report:
        print(json.dumps(report(data), indent=1))
        decided = (
            json.loads((OUT / "decision.json").read_text())
            if (OUT / "decision.json").exists()
            else {}
        )
        if decided.get("threshold") is not None:
            print(
                json.dumps(
                    threshold_check(data, decided["default"], decided["threshold"]), indent=1
                )
            )
        write_csv(OUT / "cost.csv", cost_table())
        return
    rows0 = rung0(data, names)
    write_csv(OUT / "rung0.csv", rows0)
    print("rung 0:", json.dumps(rows0, indent=1), flush=True)
    if args.rung >= 1:
        rows1 = rung1(data, promoted(rows0))
        write_csv(OUT / "rung1.csv", rows1)
        decision = decide(rows1)
        decision["machine"] = machine()
        (OUT / "decision.json").write_text(json.dumps(decision, indent=1))
        print("rung 1:", json.dumps(rows1, indent=1), "\ndecision:", decision, flush=True)
        report(data, decision)
        if decision.get("threshold") is not None:
            threshold_check(data, decision["default"], decision["threshold"])
    cost = cost_table()
    if cost:
        write_csv(OUT / "cost.csv", cost)
        print("cost:", json.dumps(cost, indent=1))


if __name__ == "__main__":
    main()
