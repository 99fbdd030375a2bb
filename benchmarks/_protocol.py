"""The protocol shared by the benchmark studies: grouped folds, shifts, seeds and the rule.

* :func:`grouped_folds`: the patient-grouped split (``StratifiedGroupKFold``, shuffled, seed
  0: no patient in two folds) of every script that cross-validates;
* :data:`SHIFTS` (exposure: ``recipe_shift.py``), :data:`GEOMETRIC` and :data:`ALL_SHIFTS`
  (``select_recipe.py``, ``select_network.py``): what a held-out fold is scored under;
* :class:`SeedEnsemble`: the mean probability of one recipe trained with several seeds;
* the recipe-selection protocol of ``select_recipe.py`` (round 1) and ``select_network.py``
  (round 2): :func:`run_candidate` (5 fits, shifts, calibration, audit, test-time
  augmentation), the scores, :func:`apply_rule` (round 1's rule) and :func:`report_rows`.

Scripts import these from here, never from each other.
"""

import time

import cv2
import numpy as np
from sklearn.metrics import balanced_accuracy_score, brier_score_loss
from sklearn.model_selection import StratifiedGroupKFold

from benchmarks._common import translated_views
from skxray import BorderCrop, ImageDirLoader, binary_scores, shortcut_audit

BUDGET_S = 30 * 60
N_TRAIN = 5216


def grouped_folds(X, y, groups, n_splits, random_state=0):
    """The folds of ``StratifiedGroupKFold(n_splits, shuffle=True, random_state)``, as a list.

    Stratified by label, grouped by patient (no patient in two folds); seed 0 everywhere.
    """
    splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
    return list(splitter.split(X, y, groups))


# Exposure shifts, as if the images came from another machine (``recipe_shift.py``).
SHIFTS = {
    "darker, low contrast": lambda x: 0.1 + 0.6 * x**1.4,
    "brighter (gamma 0.6)": lambda x: x**0.6,
    "blur + noise": lambda x: _blur_noise(x),
}


def _blur_noise(X, noise=0.03):
    rng = np.random.default_rng(0)
    sigma = 1.2 * X.shape[1] / 150
    out = np.stack([cv2.GaussianBlur(im[..., 0], (0, 0), sigma) for im in X])[..., None]
    return np.clip(out + rng.normal(0, noise, out.shape), 0, 1).astype(np.float32)


def _warp(image, matrix, size):
    return cv2.warpAffine(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )


def _affine(X, seed, angle=0.0, scale=1.0, shift=0.0, random_sign=False):
    rng = np.random.default_rng(seed)
    out = np.empty_like(X)
    h, w = X.shape[1:3]
    for i, image in enumerate(X):
        a = angle * (rng.choice([-1, 1]) if random_sign else 1)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), a, scale)
        m[:, 2] += rng.uniform(-shift, shift, 2) * (w, h) if shift else 0
        out[i] = _warp(image[..., 0], m, (w, h))[..., None]
    return out


# Geometric shifts, because patients are positioned differently (reflect fill).
GEOMETRIC = {
    "shift 10 %": lambda X: _affine(X, 1, shift=0.10),
    "zoom in 15 %": lambda X: _affine(X, 2, scale=1.15),
    "zoom out 13 %": lambda X: _affine(X, 3, scale=0.87),
    "rotate 10 deg": lambda X: _affine(X, 4, angle=10, random_sign=True),
    "crop 10 %": lambda X: BorderCrop(0.10).transform(X),
}
ALL_SHIFTS = {**GEOMETRIC, **SHIFTS}


TTA_SHIFT = 0.04


def tta_proba(model, X):
    """Mean probability over the image and its 4 translations by 4 % (reflect fill).

    The candidates' runs shifted the raw image in front of the whole Pipeline (as here);
    the library's ``tta_shift`` shifts what reaches the network, after any equaliser
    (``select_recipe.py --confirm-tta`` measures that on the chosen candidate).
    """
    views = translated_views(X, TTA_SHIFT)
    return np.mean([model.predict_proba(v)[:, 1] for v in views], axis=0)


class SeedEnsemble:
    """Average the probabilities of the same recipe trained with several seeds."""

    def __init__(self, make, seeds):
        self.make, self.seeds = make, seeds

    def fit(self, X, y):
        self.models_ = [self.make(random_state=s).fit(X, y) for s in self.seeds]
        return self

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.models_], axis=0)


def ece(y, p, bins=10):
    """Expected calibration error: |mean label - mean p| per probability bin, weighted."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    return float(
        sum(
            abs(y[idx == b].mean() - p[idx == b].mean()) * np.mean(idx == b)
            for b in range(bins)
            if np.any(idx == b)
        )
    )


def scores(y, p):
    s = binary_scores(y, p)
    out = {k: s[k] for k in ("f1", "roc_auc", "sensitivity", "specificity", "accuracy")}
    out["balanced_accuracy"] = float(balanced_accuracy_score(y, p >= 0.5))
    return out


def predict_sets(proba_fn, sets):
    """P(PNEUMONIA) for the clean fold and every shifted version of it."""
    return {name: proba_fn(X) for name, X in sets.items()}


def score_sets(probas, y):
    """Scores on the clean fold and every shifted version; calibration on the clean one."""
    out = {}
    for name, p in probas.items():
        out[name] = scores(y, p)
        if name == "clean":
            out[name]["brier"] = float(brier_score_loss(y, p))
            out[name]["ece"] = ece(y, p)
    return out


def worst(fold_scores):
    return min(s["balanced_accuracy"] for s in fold_scores.values())


def audit_summary(model, X, rng):
    idx = rng.choice(len(X), min(300, len(X)), replace=False)
    return shortcut_audit(model, X[np.sort(idx)]).summary()


def run_candidate(short, size, make, data, folds, val, stop_below=None):
    """The protocol for one candidate; ``short`` names it in the progress lines.

    ``stop_below``: stop once the candidate can no longer reach this rule score, that is
    when its score with every remaining fit perfect (worst-shift balanced accuracy 1, no
    seed spread) is below it. Such a record has ``"stopped"`` and only the fits done.
    """
    X, y = data
    record = {"size": size, "fits": [], "val": {}}
    fold_sets = {}  # the clean and shifted held-out images, built once per fold
    for k, (seed, fold) in enumerate([(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)]):
        train, test = folds[fold]
        if fold not in fold_sets:
            fold_sets[fold] = {"clean": X[test], **{n: f(X[test]) for n, f in ALL_SHIFTS.items()}}
        sets = fold_sets[fold]
        start = time.perf_counter()
        model = make(seed).fit(X[train], y[train])
        fit_s = time.perf_counter() - start
        probas = predict_sets(lambda a, m=model: m.predict_proba(a)[:, 1], sets)
        fit_scores = score_sets(probas, y[test])
        fit = {
            "seed": seed,
            "fold": fold,
            "fit_s": fit_s,
            "n_train": len(train),
            "scores": fit_scores,
            "worst_bacc": worst(fit_scores),
        }
        if fold == 0:
            fit["proba"] = {n: p.tolist() for n, p in probas.items()}
        if k == 0:
            rng = np.random.default_rng(0)
            record["audit_heldout"] = audit_summary(model, X[test], rng)
            images = ImageDirLoader(size).transform(val.paths)
            record["audit_fullres_val"] = shortcut_audit(model, images).summary()
            record["val"]["fullres"] = scores(val.target, model.predict_proba(images)[:, 1])
            tta = score_sets(predict_sets(lambda a, m=model: tta_proba(m, a), sets), y[test])
            record["tta"] = {"scores": tta, "worst_bacc": worst(tta)}
        record["fits"].append(fit)
        print(
            f"  {short} seed {seed} fold {fold}: {fit_s:.0f} s, clean F1 "
            f"{fit_scores['clean']['f1']:.3f}, worst bAcc {fit['worst_bacc']:.3f}",
            flush=True,
        )
        done = [f["worst_bacc"] for f in record["fits"]]
        bound = (sum(done) + 5 - len(done)) / 5
        if stop_below is not None and len(done) < 5 and bound < stop_below:
            record["stopped"] = {"after_fits": len(done), "score_bound": bound,
                                 "below": stop_below}  # fmt: skip
            print(f"  {short}: stopped, its best possible score {bound:.3f} < {stop_below:.3f}")
            for f in record["fits"]:
                f.pop("proba", None)
            return record
    # the 3-seed ensemble on fold 0: mean of the seeds' probabilities
    fold0 = [f for f in record["fits"] if f["fold"] == 0]
    y0 = y[folds[0][1]]
    ens = {n: scores(y0, np.mean([f["proba"][n] for f in fold0], 0)) for n in fold0[0]["proba"]}
    record["ensemble3"] = {"scores": ens, "worst_bacc": worst(ens)}
    for f in fold0:
        del f["proba"]
    return record


def apply_rule(results):
    """The pre-registered rule, applied to the results; returns rows and the decision."""
    rows = {}
    for name, r in results.items():
        fits = r["fits"]
        fold0 = [f["worst_bacc"] for f in fits if f["fold"] == 0]
        full_fit = np.mean([f["fit_s"] * N_TRAIN / f["n_train"] for f in fits])
        a, v = r["audit_heldout"], r["audit_fullres_val"]
        gate_short = (
            a["abs_delta_border"] < a["abs_delta_center"]
            and v["abs_delta_border"] < v["abs_delta_center"]
            and a["flips_border"] <= 0.05
        )
        rows[name] = {
            "score": float(np.mean([f["worst_bacc"] for f in fits]) - np.std(fold0)),
            "seed_sd": float(np.std(fold0)),
            "full_fit_s": float(full_fit),
            "gate_budget": bool(full_fit <= BUDGET_S),
            "gate_shortcut": bool(gate_short),
            "fold0_seed0": fits[0]["worst_bacc"],
            "ensemble3": r["ensemble3"]["worst_bacc"],
            "tta": r["tta"]["worst_bacc"],
        }
    passing = {n: row for n, row in rows.items() if row["gate_budget"] and row["gate_shortcut"]}
    if not passing:
        return rows, None
    best = max(row["score"] for row in passing.values())
    tied = [n for n, row in passing.items() if row["score"] >= best - 0.005]
    winner = min(tied, key=lambda n: rows[n]["full_fit_s"])
    decision = {"winner": winner, "tied": tied, "ensemble": False, "tta": False}
    row = rows[winner]
    if row["ensemble3"] >= row["fold0_seed0"] + 0.005 and 3 * row["full_fit_s"] <= BUDGET_S:
        decision["ensemble"] = True
    if row["tta"] >= row["fold0_seed0"] + 0.005:
        decision["tta"] = True
    return rows, decision


def report_rows(results, rows, decision):
    """One row per candidate: the rule's score and gates, then what stands behind them."""
    head = [
        "candidate",
        "rule score",
        "worst-shift bAcc (5 fits)",
        "seed sd",
        "clean F1",
        "clean ROC-AUC",
        "worst geometric spec.",
        "worst exposure spec.",
        "Brier",
        "ECE",
        "border heat / uniform",
        "mean Δp, border blanked",
        "mean Δp, centre blanked",
        "16 val: Δp border",
        "16 val: Δp centre",
        "fit on 5216 (min)",
        "gates",
    ]
    out = [head]
    for name, r in results.items():
        fits, row = r["fits"], rows[name]

        def mean(where, key, fits=fits):
            return float(np.mean([f["scores"][where][key] for f in fits]))

        geo = min(mean(k, "specificity") for k in GEOMETRIC)
        expo = min(mean(k, "specificity") for k in SHIFTS)
        a, v = r["audit_heldout"], r["audit_fullres_val"]
        gates = [
            g
            for g, ok in (("budget", row["gate_budget"]), ("shortcut", row["gate_shortcut"]))
            if not ok
        ]
        mark = " (chosen)" if decision and name == decision["winner"] else ""
        label = f"README Pipeline {name}" if name.startswith("+") else name  # not a bullet
        out.append(
            [
                label + mark,
                f"{row['score']:.3f}",
                f"{np.mean([f['worst_bacc'] for f in fits]):.3f}",
                f"{row['seed_sd']:.3f}",
                f"{mean('clean', 'f1'):.3f}",
                f"{mean('clean', 'roc_auc'):.3f}",
                f"{geo:.3f}",
                f"{expo:.3f}",
                f"{mean('clean', 'brier'):.3f}",
                f"{mean('clean', 'ece'):.3f}",
                f"{a['heat_ratio_border']:.2f}",
                f"{a['abs_delta_border']:.3f}",
                f"{a['abs_delta_center']:.3f}",
                f"{v['abs_delta_border']:.3f}",
                f"{v['abs_delta_center']:.3f}",
                f"{row['full_fit_s'] / 60:.1f}",
                "ok" if not gates else "fails " + ", ".join(gates),
            ]
        )
    return out
