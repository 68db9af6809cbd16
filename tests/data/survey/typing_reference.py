#!/usr/bin/python3
"""Independent reference for the typing tool (tests/unit/test_survey_typing.c): a fixed
survey of 600 respondents, 12 Likert items (1-5) and 4 segments whose item means differ
on a few items only, written to typing_survey.csv; then, with scikit-learn's
LinearDiscriminantAnalysis (solver "lsqr", priors = class shares, the textbook pooled-
covariance LDA), the greedy forward selection segkit documents:

  * folds: respondent i (0-based, in file order) of the training part is in fold i mod 5;
  * at each step, each remaining item is added in turn and scored by the 5-fold cross-
    validated accuracy; the best is kept (the lowest item index wins a tie); stop at 4;
  * training part = respondents 0..479, held out = 480..599 (the last 20%);
  * held-out accuracy and confusion matrix of the model fitted on the training part with
    the chosen items.

Added by the typing helper (session 12): the final model refitted on all 600
respondents with the chosen items (its predictions for all, and predict_proba of the
first 20 respondents: the softmax posteriors segkit_typing_classify returns), and a
second configuration "b_": 10 folds, the last 25% held out (training 0..449), 6 steps,
and "tiny_": 12 respondents, 2 items, a segment of one respondent (so one training fold
lacks it), 3 folds, no held-out part, 2 steps, with predict_proba of the final model at
(6, 1) (the C test builds the same data).

Writes typing_survey.csv and typing_reference.txt (or both into the folder given).
Run: /usr/bin/python3 typing_reference.py [folder]"""
import os
import sys

import warnings

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

HERE = os.path.dirname(os.path.abspath(__file__))
folder = sys.argv[1] if len(sys.argv) > 1 else HERE
N, P, K, FOLDS, STEPS, TRAIN = 600, 12, 4, 5, 4, 480

rng = np.random.default_rng(20261126)
seg = rng.integers(0, K, N)
means = np.full((K, P), 3.0)
means[0, 0], means[1, 0] = 4.2, 1.8          # item 1 splits 0 from 1
means[2, 3], means[3, 3] = 4.3, 1.7          # item 4 splits 2 from 3
means[0, 7], means[2, 7] = 4.0, 2.0          # item 8 splits 0, 2
means[1, 10], means[3, 10] = 4.0, 2.2        # item 11 splits 1, 3
x = np.clip(np.rint(means[seg] + rng.normal(0, 1.0, (N, P))), 1, 5).astype(int)
with open(os.path.join(folder, "typing_survey.csv"), "w") as f:
    f.write("id," + ",".join(f"q{j + 1}" for j in range(P)) + ",segment\n")
    for i in range(N):
        f.write(f"{i + 1}," + ",".join(str(v) for v in x[i]) + f",{seg[i]}\n")


def lda():
    return LinearDiscriminantAnalysis(solver="lsqr")


def cv_accuracy(cols, folds=FOLDS, train=TRAIN):
    xt, yt = x[:train][:, cols], seg[:train]
    fold = np.arange(train) % folds
    right = 0
    for k in range(folds):
        m = lda().fit(xt[fold != k], yt[fold != k])
        right += int((m.predict(xt[fold == k]) == yt[fold == k]).sum())
    return right / train


def select(folds, train, steps):
    chosen, path = [], []
    for _ in range(steps):
        best = max((cv_accuracy(chosen + [j], folds, train), -j)
                   for j in range(P) if j not in chosen)
        chosen.append(-best[1])
        path.append(best[0])
    if train == len(seg):
        return chosen, path, None, None
    m = lda().fit(x[:train][:, chosen], seg[:train])
    pred = m.predict(x[train:][:, chosen])
    conf = np.zeros((K, K), int)
    for t, p in zip(seg[train:], pred):
        conf[t, p] += 1
    return chosen, path, pred, conf


def write(f, prefix, chosen, path, pred, conf, train):
    f.write(prefix + "chosen " + " ".join(str(c) for c in chosen) + "\n")
    f.write(prefix + "cv_path " + " ".join(f"{a:.12f}" for a in path) + "\n")
    f.write(prefix + f"holdout_accuracy {(pred == seg[train:]).mean():.12f}\n")
    f.write(prefix + "confusion " + " ".join(str(v) for v in conf.ravel()) + "\n")
    f.write(prefix + "holdout_pred " + " ".join(str(v) for v in pred) + "\n")


chosen, path, pred, conf = select(FOLDS, TRAIN, STEPS)
final = lda().fit(x[:, chosen], seg)
b = select(10, 450, 6)
with open(os.path.join(folder, "typing_reference.txt"), "w") as f:
    write(f, "", chosen, path, pred, conf, TRAIN)
    f.write("final_pred " + " ".join(str(v) for v in final.predict(x[:, chosen])) + "\n")
    proba = final.predict_proba(x[:20][:, chosen])
    f.write("final_proba " + " ".join(f"{v:.15e}" for v in proba.ravel()) + "\n")
    write(f, "b_", *b, 450)
    # tiny: x, seg and the helpers are rebound to the 12-respondent case
    x = np.array([[(2 if i == 5 else i % 2) * 3.0 + (i % 3) * 0.5, float((i * 7) % 5)]
                  for i in range(12)])
    seg = np.array([2 if i == 5 else i % 2 for i in range(12)])
    P = 2
    # sklearn warns that a one-respondent segment's covariance is from one sample: it is
    # 0, that segment adds nothing to the pooled scatter, as in segkit.
    warnings.simplefilter("ignore", UserWarning)
    tiny = select(3, 12, 2)
    f.write("tiny_chosen " + " ".join(str(c) for c in tiny[0]) + "\n")
    f.write("tiny_cv_path " + " ".join(f"{a:.12f}" for a in tiny[1]) + "\n")
    proba = lda().fit(x[:, tiny[0]], seg).predict_proba(np.array([[6.0, 1.0]])[:, tiny[0]])
    f.write("tiny_proba " + " ".join(f"{v:.15e}" for v in proba.ravel()) + "\n")
print(open(os.path.join(folder, "typing_reference.txt")).read()[:400])
