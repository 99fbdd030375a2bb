"""Round 2 of the recipe selection: modern from-scratch networks (issue 21).

    python -m benchmarks.studies.select_network [--candidates n0,n1] [--n 0] [--report]
    python -m benchmarks.studies.select_network --target subtype [--candidates n0,n1]
    python -m benchmarks.studies.select_network --seed-spread n0

The protocol of ``select_recipe.py`` (patient-grouped 3-fold CV, seeds 1 and 2 on fold 0,
7 geometric and exposure shifts, calibration, shortcut audit, test-time augmentation), run
on the networks of ``ScratchCNNClassifier``'s presets. Every candidate is
``HistogramEqualizer`` then the network, trained 10 epochs with Adam, balanced class weights
and ``XrayAugmenter()`` (the one-warp layer), as the default recipe is; only the network,
the image size and the weight averaging change.

THE RULE OF ROUND 2, written down on 2026-12-02 before any candidate was run:

1. Gates, as in round 1. (a) Budget: the estimated fit on all 5216 images (fold fit time x
   5216 / fold size) takes at most 30 min on 2 CPU cores, with no GPU. (b) Shortcuts: on the
   held-out images and on the 16 full-resolution val images, blanking the border band moves
   the probability less on average than blanking the central box of the same area, and
   flips at most 5 % of held-out decisions.
2. Score, as in round 1: for each of the 5 fits, the worst balanced accuracy (threshold 0.5)
   over the clean fold and its 7 shifted versions; the mean over the 5 fits minus the
   standard deviation over the 3 seeds of fold 0.
3. The highest score among the candidates that pass the gates wins. Candidates within 0.005
   of it are tied, and the tie goes to the fastest fit.
4. Seeds. For every candidate, the spread (largest minus smallest over the 3 seeds of fold
   0) of the clean sensitivity and of the clean specificity at threshold 0.5 is reported.
   If the winner's larger spread exceeds 0.05, or its 3-seed ensemble raises the fold-0
   worst-shift balanced accuracy over the seed-0 model by at least 0.005, the default
   becomes the winner's 3-seed ensemble, provided 3 fits stay within the budget; otherwise
   the single model stays and a spread above 0.05 is reported as a missed target.
5. Test-time augmentation is kept when it raises the fold-0 seed-0 worst-shift balanced
   accuracy by at least 0.005, as in round 1.

The candidates were chosen before the run from their cost (a 2-epoch timing on 1000
images at 128 px: the optimized CNN 1x, bn-cnn 1.3x, resnet 2.7x) so that all of them fit
one session on 2 cores. Clean-CV F1 is reported but is not part of the rule.

THREE CLASSES (``--target subtype``, not part of the rule): each candidate is fitted once
(seed 0) on fold 0's training images with the labels NORMAL / BACTERIA / VIRUS and scored
on fold 0's held-out images (the same patient-grouped split): macro F1, accuracy, macro
one-vs-rest ROC-AUC, F1 per class, and two subtype accuracies among the pneumonia images,
"subtype right" (the predicted class is the true subtype; NORMAL counts as wrong) and
"bacterial vs viral" (the larger of P(bacteria) and P(virus) picks the subtype, as in
Kermany et al. 2018). Results: ``results/select_network/subtype.json`` and ``subtype.csv``.

SEEDS OF THE ENSEMBLE (``--seed-spread``, after the rule's decision): the chosen candidate
is fitted with seeds 0 to 8 on fold 0. The spread of step 4 is then measured twice: over
the 9 single models, and over the three 3-seed ensembles (seeds 0-2, 3-5 and 6-8), each
one the model a user gets from ``random_state`` 0, 3 or 6, on the clean held-out images
(step 4's target) and on each shifted version of them. Results:
``results/select_network/seed_spread.json`` and ``seed_spread.csv``; each seed's
probabilities in ``seed_spread_fits/`` (a rerun reads them instead of fitting again).
"""

import argparse
import csv
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
from sklearn.pipeline import make_pipeline

from benchmarks import _protocol
from benchmarks._common import RESULTS, SHARED, evaluate_multiclass_scores, train_subset
from benchmarks._protocol import BUDGET_S, grouped_folds, report_rows, run_candidate
from skxray import (
    HistogramEqualizer,
    ImageDirLoader,
    ScratchCNNClassifier,
    XrayAugmenter,
    load_image_folder,
)

RULE = __doc__.split("THE RULE OF ROUND 2")[1].split("The candidates were chosen")[0]


def _net(preset, seed, **kw):
    settings = dict(epochs=10, augmenter=XrayAugmenter(), class_weight="balanced")
    return make_pipeline(
        HistogramEqualizer(),
        ScratchCNNClassifier(preset, random_state=seed, **{**settings, **kw}),
    )


CANDIDATES = {
    "optimized CNN (the default's network), 128 px": (128, lambda s: _net("optimized", s)),
    "bn-cnn, 128 px": (128, lambda s: _net("bn-cnn", s)),
    "resnet, 128 px": (128, lambda s: _net("resnet", s)),
    "bn-cnn + EMA of the weights, 128 px": (
        128,
        lambda s: _net("bn-cnn", s, optimizer__use_ema=True, optimizer__ema_momentum=0.99),
    ),
    "bn-cnn, 192 px": (192, lambda s: _net("bn-cnn", s)),
}
SHORT = {name: f"n{i}" for i, name in enumerate(CANDIDATES)}


def seed_spread(record):
    """Largest minus smallest clean sensitivity and specificity over fold 0's 3 seeds."""
    fold0 = [f["scores"]["clean"] for f in record["fits"] if f["fold"] == 0]
    return {
        key: float(max(s[key] for s in fold0) - min(s[key] for s in fold0))
        for key in ("sensitivity", "specificity")
    }


def apply_rule(results):
    complete = {n: r for n, r in results.items() if "stopped" not in r}
    rows, decision = _protocol.apply_rule(complete)  # round 1's rule, then step 4 of round 2
    for name, row in rows.items():
        row["spread"] = seed_spread(results[name])
    if decision is None:
        return rows, None
    row = rows[decision["winner"]]
    spread = max(row["spread"].values())
    helps = row["ensemble3"] >= row["fold0_seed0"] + 0.005
    decision["ensemble"] = bool((spread > 0.05 or helps) and 3 * row["full_fit_s"] <= BUDGET_S)
    decision["spread"] = row["spread"]
    decision["spread_target_met"] = bool(spread <= 0.05)
    return rows, decision


def subtype_fold0(make, X, y3, target_names, folds):
    """One seed-0 fit of a candidate with three classes on fold 0; its held-out scores."""
    train, test = folds[0]
    model = make(0)
    tic = time.perf_counter()
    model.fit(X[train], y3[train])
    fit_s = time.perf_counter() - tic
    proba = model.predict_proba(X[test])
    report = evaluate_multiclass_scores(y3[test], proba, n_bootstrap=200, random_state=0,
                                        target_names=target_names)  # fmt: skip
    sick = y3[test] > 0
    predicted = proba.argmax(axis=1)
    between = 1 + proba[:, 1:].argmax(axis=1)
    return {
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "fit_s": round(fit_s, 1),
        "scores": report.scores,
        "ci95": report.ci,
        "f1_per_class": {k: v["f1"] for k, v in report.per_class.items()},
        "subtype_right": float(np.mean(predicted[sick] == y3[test][sick])),
        "bacterial_vs_viral": float(np.mean(between[sick] == y3[test][sick])),
        "normal_called_viral": int(np.sum((y3[test] == 0) & (predicted == 2))),
        "n_normal": int(np.sum(y3[test] == 0)),
    }


def subtype_rows(saved):
    head = ["candidate", "macro F1", "accuracy", "macro AUC", "F1 N / B / V",
            "subtype right", "bact. vs viral", "normal as viral"]  # fmt: skip
    rows = [head]
    for name, r in saved["results"].items():
        f1 = r["f1_per_class"]
        rows.append([
            name, f"{r['scores']['f1']:.3f}", f"{r['scores']['accuracy']:.3f}",
            f"{r['scores']['roc_auc']:.3f}",
            f"{f1['NORMAL']:.2f} / {f1['BACTERIA']:.2f} / {f1['VIRUS']:.2f}",
            f"{r['subtype_right']:.3f}", f"{r['bacterial_vs_viral']:.3f}",
            f"{r['normal_called_viral']} of {r['n_normal']}",
        ])  # fmt: skip
    return rows


def main_subtype(args):
    out_path = Path(args.out).with_name("subtype.json")
    saved = json.loads(out_path.read_text()) if out_path.exists() else {}
    split = "fold 0 of the 3 patient-grouped folds, seed 0"
    saved.setdefault("meta", {"date": time.strftime("%Y-%m-%d"), "cpu_count": os.cpu_count(),
                              "split": split})  # fmt: skip
    saved.setdefault("results", {})
    if not args.report:
        paths, y, groups = train_subset(args.n)
        folds = grouped_folds(paths, y, groups, 3)
        data = load_image_folder(SHARED / "data" / "chest_xray" / "train", target="subtype")
        order = {p: i for i, p in enumerate(data.paths)}
        y3 = data.target[[order[p] for p in paths]]
        decoded = {}  # by image size, decoded once
        for name in CANDIDATES:
            if args.candidates and SHORT[name] not in args.candidates.split(","):
                continue
            print(f"{SHORT[name]} (three classes): {name}", flush=True)
            size, make = CANDIDATES[name]
            if size not in decoded:
                decoded[size] = ImageDirLoader(size, n_jobs=-1).transform(paths)
            saved["results"][name] = subtype_fold0(make, decoded[size], y3, data.target_names,
                                                   folds)  # fmt: skip
            out_path.write_text(json.dumps(saved, indent=1))
    rows = subtype_rows(saved)
    with open(out_path.with_suffix(".csv"), "w", newline="") as f:
        csv.writer(f).writerows(rows)
    print("\n".join(" | ".join(row) for row in rows))


def seed_spread_fold0(short, paths, y, groups, folder):
    """Fit one candidate with seeds 0-8 on fold 0; the spread of singles and of 3-seed means.

    Each seed's probabilities are saved in ``folder`` as soon as it is done, and a rerun
    reads the seeds already there instead of fitting them again (the images are decoded
    only when a seed is missing). The spread is reported on the clean held-out images (the
    target of step 4) and on each shifted version of them.
    """
    name = next(n for n, s in SHORT.items() if s == short)
    size, make = CANDIDATES[name]
    train, test = grouped_folds(paths, y, groups, 3)[0]
    folder.mkdir(parents=True, exist_ok=True)
    sets = None
    probas, fit_s = [], []
    for seed in range(9):
        done = folder / f"{short}_seed{seed}.json"
        if done.exists():
            record = json.loads(done.read_text())
        else:
            if sets is None:
                X = ImageDirLoader(size, n_jobs=-1).transform(paths)
                shifts = _protocol.ALL_SHIFTS
                sets = {"clean": X[test], **{n: f(X[test]) for n, f in shifts.items()}}
            tic = time.perf_counter()
            model = make(seed).fit(X[train], y[train])
            record = {"fit_s": time.perf_counter() - tic, "proba": {
                n: p.tolist() for n, p in _protocol.predict_sets(
                    lambda a, m=model: m.predict_proba(a)[:, 1], sets).items()}}  # fmt: skip
            done.write_text(json.dumps(record))
        fit_s.append(record["fit_s"])
        probas.append({n: np.asarray(p) for n, p in record["proba"].items()})
        print(f"  {short} seed {seed}: {fit_s[-1]:.0f} s", flush=True)
    set_names = list(probas[0])

    def summary(members):
        mean = {n: np.mean([probas[s][n] for s in members], axis=0) for n in set_names}
        scored = _protocol.score_sets(mean, y[test])
        return {"seeds": list(members), "scores": scored, "worst_bacc": _protocol.worst(scored)}

    def spread(models, images="clean"):
        return {key: float(max(m["scores"][images][key] for m in models)
                           - min(m["scores"][images][key] for m in models))
                for key in ("sensitivity", "specificity")}  # fmt: skip

    singles = [summary([s]) for s in range(9)]
    ensembles = [summary(range(k, k + 3)) for k in (0, 3, 6)]
    groups_of_models = {"singles_0_8": singles, "singles_0_2": singles[:3],
                        "ensembles": ensembles}  # fmt: skip
    return {
        "candidate": name,
        "date": time.strftime("%Y-%m-%d"),
        "fit_s": fit_s,
        "singles": singles,
        "ensembles": ensembles,
        "spread_singles_0_2": spread(singles[:3]),
        "spread_singles_0_8": spread(singles),
        "spread_ensembles": spread(ensembles),
        "spread_by_images": {
            images: {g: spread(models, images) for g, models in groups_of_models.items()}
            for images in set_names
        },
    }


def seed_spread_rows(result):
    """The docs' table: sensitivity / specificity spread per image set and model group."""
    rows = [["held-out images", "9 single seeds", "seeds 0-2", "3 ensembles"]]
    for images, by_group in result["spread_by_images"].items():
        rows.append([images] + [
            f"{by_group[g]['sensitivity']:.3f} / {by_group[g]['specificity']:.3f}"
            for g in ("singles_0_8", "singles_0_2", "ensembles")])  # fmt: skip
    return rows


NOT_RUN = {
    "bn-cnn, 192 px": "not run: its first fit at 192 px would take about 2.25 times the 128 px "
    "fits (5.6 to 11.1 min per fold), and the same network failed at 128 px",
}


def write_csv(saved, rows, path):
    """The docs' candidate table: every candidate, stopped and not run ones included."""
    head = ["candidate", "fits", "score", "worst bAcc", "clean F1", "clean AUC",
            "spread sens./spec.", "fit (min)", "outcome"]  # fmt: skip
    out = [head]
    for name, r in saved["results"].items():
        fits = r["fits"]

        def mean(key, fits=fits):
            values = [f["scores"]["clean"].get(key) for f in fits]
            return "" if None in values else f"{np.mean(values):.3f}"

        full = np.mean([f["fit_s"] * 5216 / f["n_train"] for f in fits]) / 60
        bacc = f"{np.mean([f['worst_bacc'] for f in fits]):.3f}"
        if "stopped" in r:
            stop = r["stopped"]
            outcome = f"stopped (at best {stop['score_bound']:.3f})"
            out.append([name, f"{len(fits)}/5", "", bacc, mean("f1"), mean("roc_auc"), "",
                        f"{full:.1f}", outcome])  # fmt: skip
            continue
        row = rows[name]
        gates = [g for g, ok in (("budget", row["gate_budget"]),
                                 ("shortcut", row["gate_shortcut"])) if not ok]  # fmt: skip
        chosen = saved.get("decision") and saved["decision"]["winner"] == name
        outcome = "chosen" if chosen else ("fails " + ", ".join(gates) if gates else "passes")
        spread = row["spread"]
        out.append([name, "5/5", f"{row['score']:.3f}", bacc, mean("f1"), mean("roc_auc"),
                    f"{spread['sensitivity']:.3f} / {spread['specificity']:.3f}",
                    f"{full:.1f}", outcome])  # fmt: skip
    for name in NOT_RUN:
        out.append([name, "0/5", "", "", "", "", "", "", "not run"])
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", default="", help="comma-separated short names (n0,n1..)")
    parser.add_argument("--n", type=int, default=0, help="random subset of train (0: all)")
    parser.add_argument("--out", default=str(RESULTS / "select_network" / "select_network.json"))
    parser.add_argument("--report", action="store_true", help="only print the tables")
    parser.add_argument("--target", choices=["binary", "subtype"], default="binary")
    parser.add_argument("--seed-spread", metavar="SHORT", help="seeds 0-8 of one candidate")
    args = parser.parse_args()
    if args.seed_spread:
        out = Path(args.out).with_name("seed_spread.json")
        result = seed_spread_fold0(args.seed_spread, *train_subset(args.n),
                                   folder=out.with_name("seed_spread_fits"))  # fmt: skip
        out.write_text(json.dumps(result, indent=1) + "\n")
        with open(out.with_suffix(".csv"), "w", newline="") as f:
            csv.writer(f).writerows(seed_spread_rows(result))
        for key in ("spread_singles_0_2", "spread_singles_0_8", "spread_ensembles"):
            print(key, {k: round(v, 3) for k, v in result[key].items()})
        return None
    if args.target == "subtype":
        return main_subtype(args)
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(out_path.read_text()) if out_path.exists() else {}
    if not args.report:
        wanted = [
            n for n in CANDIDATES if not args.candidates or SHORT[n] in args.candidates.split(",")
        ]
        paths, y, groups = train_subset(args.n)
        folds = grouped_folds(paths, y, groups, 3)
        val = load_image_folder(SHARED / "data" / "chest_xray_fullres_val")
        saved.setdefault("meta", {"date": time.strftime("%Y-%m-%d"), "cpu_count": os.cpu_count(),
                                  "n_images": len(y), "rule": RULE})  # fmt: skip
        saved.setdefault("results", {})
        decoded = {}
        for name in wanted:
            size, make = CANDIDATES[name]
            if size not in decoded:
                decoded[size] = ImageDirLoader(size, n_jobs=-1).transform(paths)
            print(f"{SHORT[name]}: {name}", flush=True)
            data = (decoded[size], y)
            # a candidate that can no longer reach the leader's score minus the tie margin
            # can neither win nor tie: the rest of its fits would not change the decision
            _, leader = apply_rule(saved["results"]) if saved["results"] else (None, None)
            stop_below = None
            if leader is not None:
                stop_below = apply_rule(saved["results"])[0][leader["winner"]]["score"] - 0.005
            saved["results"][name] = run_candidate(
                SHORT[name], size, make, data, folds, val, stop_below=stop_below
            )
            out_path.write_text(json.dumps(saved, indent=1))
    rows, decision = apply_rule(saved["results"])
    saved["decision"] = decision
    saved["rows"] = rows
    out_path.write_text(json.dumps(saved, indent=1))
    complete = {n: r for n, r in saved["results"].items() if "stopped" not in r}
    table = report_rows(complete, rows, decision)
    table[0] += ["seed spread sens.", "seed spread spec."]
    for line, name in zip(table[1:], complete, strict=True):
        line += [f"{rows[name]['spread']['sensitivity']:.3f}",
                 f"{rows[name]['spread']['specificity']:.3f}"]  # fmt: skip
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    for name, r in saved["results"].items():
        if "stopped" in r:
            stop, fits = r["stopped"], r["fits"]

            def listed(values):
                return ", ".join(f"{v:.3f}" for v in values)

            lines.append(
                f"\n{name}: stopped after {stop['after_fits']} fit(s), worst-shift bAcc "
                f"{listed(f['worst_bacc'] for f in fits)}, clean F1 "
                f"{listed(f['scores']['clean']['f1'] for f in fits)}, fold fit (min) "
                f"{listed(f['fit_s'] / 60 for f in fits)}: its best possible "
                f"rule score {stop['score_bound']:.3f} < {stop['below']:.3f} (the leader's "
                "minus the tie margin), so it can neither win nor tie."
            )
    lines += ["", f"Decision by the rule: {decision}"]
    out_path.with_suffix(".md").write_text("\n".join(lines) + "\n")
    write_csv(saved, rows, out_path.with_name("candidates.csv"))
    print("\n".join(lines))
    print(f"mean seed spread: {np.mean([max(r['spread'].values()) for r in rows.values()]):.3f}")


if __name__ == "__main__":
    main()
