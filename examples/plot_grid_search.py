"""
Grid search over optimizers and dropout, scored with F1
=======================================================

Every setting of ``ScratchCNNClassifier`` is a scikit-learn parameter, so
``GridSearchCV`` tunes optimizers, routed learning rates and dropout rates.
Labels are integers with 1 = PNEUMONIA, so ``scoring="f1"`` scores pneumonia.
Folds are grouped by patient. On 200 images some settings (plain SGD, 8 epochs) do not
learn and predict one class for every image: each such fit says so with scikit-learn's
``ConvergenceWarning``, counted here instead of printed one by one.
"""

# %%
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from skxray import ScratchCNNClassifier
from skxray.datasets import load_sample_xrays

data = load_sample_xrays(image_size=64)
cv = list(
    StratifiedGroupKFold(3, shuffle=True, random_state=0).split(
        data.images, data.target, data.groups
    )
)
search = GridSearchCV(
    ScratchCNNClassifier("optimized", epochs=8, batch_size=16, random_state=0),
    {"optimizer": ["adam", "sgd", "rmsprop"], "conv_dropout": [0.0, 0.4]},
    cv=cv,
    scoring="f1",
    error_score="raise",
    verbose=3,  # one line a fold and candidate, with its score and time
)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    search.fit(data.images, data.target)
collapsed = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
print(f"{collapsed} of {len(search.cv_results_['params']) * len(cv) + 1} fits collapsed")
for params, mean, std in zip(
    search.cv_results_["params"],
    search.cv_results_["mean_test_score"],
    search.cv_results_["std_test_score"],
    strict=True,
):
    print(f"{params}: f1 {mean:.3f} ± {std:.3f}")
print("best:", search.best_params_)

# %%
# Mean F1 per candidate, with the spread over folds
# -------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

labels = [f"{p['optimizer']}\ndropout {p['conv_dropout']}" for p in search.cv_results_["params"]]
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
ax.bar(
    np.arange(len(labels)),
    search.cv_results_["mean_test_score"],
    yerr=search.cv_results_["std_test_score"],
    capsize=4,
)
ax.set(
    xticks=np.arange(len(labels)),
    xticklabels=labels,
    ylabel="F1 (PNEUMONIA)",
    ylim=(0, 1),
    title="GridSearchCV, 3 patient-grouped folds",
)
plt.show()
