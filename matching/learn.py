"""Learning component weights from coordinators' confirm / reject decisions.

A logistic regression on the component vectors says how much each component
pushes a suggestion towards "confirmed". Negative coefficients are clipped to
0 (a component never counts against a pair) and the rest normalised to sum 1,
so the result can be used as `settings.weights`. The fit quality is the
cross-validated ROC AUC of exactly these clipped weights used as a score,
next to the AUC of the weights in use today. Nothing is adopted silently: the
caller shows both numbers and a coordinator decides.

Honesty (issue 15 §7): nothing is learned from fewer than ``MIN_DECISIONS``
decisions or without enough of both outcomes, and every learned weight comes
with a bootstrap interval (the decisions resampled with replacement, within
each outcome, and the weights learned again): the range in which the middle
90 % of the resampled weights fall. A wide interval says "not sure yet".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .instance import COMPONENTS, DEFAULT_WEIGHTS

MIN_DECISIONS = 50  # below this, any learned weight is mostly noise
N_BOOTSTRAP = 200
INTERVAL = 0.9  # the middle 90 % of the bootstrap weights


class NotEnoughDecisions(ValueError):
    """Too few (or too one-sided) decisions to learn from; the message says how many."""


@dataclass(frozen=True)
class LearnedWeights:
    weights: dict[str, float]  # non-negative, sum 1, keyed by COMPONENTS
    roc_auc: float  # cross-validated, of the learned weights
    roc_auc_std: float
    current_roc_auc: float  # of the weights given as `current` on the same decisions
    n_decisions: int
    n_confirmed: int
    n_rejected: int
    coefficients: dict[str, float]  # raw logistic-regression coefficients
    # Per component (low, high): the middle INTERVAL of the weights learned on bootstrap
    # resamples of the decisions.
    intervals: dict[str, tuple[float, float]]

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class WeightLearner:
    """scikit-learn style estimator: ``fit(X, y)`` with X the (n, 6) components.

    Parameters are keyword-only and stored untouched; learned state ends in ``_``.
    """

    def __init__(
        self,
        *,
        C: float = 1.0,
        cv: int = 5,
        min_decisions: int = MIN_DECISIONS,
        n_bootstrap: int = N_BOOTSTRAP,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.cv = cv
        self.min_decisions = min_decisions
        self.n_bootstrap = n_bootstrap
        self.random_state = random_state

    def _weights(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=self.C, max_iter=1000)
        model.fit(X, y)
        coef = model.coef_[0]
        clipped = np.clip(coef, 0.0, None)
        if clipped.sum() <= 0:
            return coef, np.full(len(coef), 1.0 / len(coef))
        return coef, clipped / clipped.sum()

    def fit(self, X: ArrayLike, y: ArrayLike) -> WeightLearner:
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=int)
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        need_each = max(2, self.cv)
        if len(y) < self.min_decisions or min(n_pos, n_neg) < need_each:
            raise NotEnoughDecisions(
                f"need at least {self.min_decisions} decisions with at least {need_each} "
                f"confirmed and {need_each} rejected (have {len(y)}: {n_pos} confirmed, "
                f"{n_neg} rejected)"
            )
        if not np.isfinite(X).all() or X.min() < 0 or X.max() > 1:
            raise ValueError("components must be numbers in [0, 1]")
        # Imported only now: scikit-learn takes seconds to import, and most visits of the
        # weights page have too few decisions to learn from.
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        folds = StratifiedKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        aucs = []
        for train, test in folds.split(X, y):
            _, w = self._weights(X[train], y[train])
            aucs.append(roc_auc_score(y[test], X[test] @ w))
        self.coef_, self.weights_ = self._weights(X, y)
        self.roc_auc_ = float(np.mean(aucs))
        self.roc_auc_std_ = float(np.std(aucs))
        self.n_confirmed_, self.n_rejected_ = n_pos, n_neg
        self.intervals_ = self._bootstrap(X, y)
        return self

    def _bootstrap(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(components, 2): low and high of the middle INTERVAL of resampled weights."""
        rng = np.random.default_rng(self.random_state)
        positive, negative = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
        samples = []
        for _ in range(self.n_bootstrap):
            rows = np.concatenate(
                [
                    rng.choice(positive, size=len(positive), replace=True),
                    rng.choice(negative, size=len(negative), replace=True),
                ]
            )
            samples.append(_normalised(_logistic_coef(X[rows], y[rows], C=self.C)))
        tail = (1 - INTERVAL) / 2 * 100
        return np.percentile(np.array(samples), [tail, 100 - tail], axis=0).T


def _normalised(coef: np.ndarray) -> np.ndarray:
    """As ``WeightLearner._weights``: negatives clipped to 0, the rest summing to 1."""
    clipped = np.clip(coef, 0.0, None)
    if clipped.sum() <= 0:
        return np.full(len(coef), 1.0 / len(coef))
    return clipped / clipped.sum()


def _logistic_coef(X: np.ndarray, y: np.ndarray, *, C: float, steps: int = 50) -> np.ndarray:
    """The coefficients of scikit-learn's ``LogisticRegression(C=C)`` (L2 penalty on the
    coefficients, none on the intercept), by Newton's method in numpy: the same objective,
    solved a hundred times faster for the bootstrap's many small fits."""
    n, k = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    theta = np.zeros(k + 1)
    penalty = np.diag([1.0 / C] * k + [0.0])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(A @ theta)))
        gradient = A.T @ (p - y) + penalty @ theta
        hessian = (A * (p * (1 - p))[:, None]).T @ A + penalty + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:k]


def _rows(decisions: Iterable) -> tuple[np.ndarray, np.ndarray]:
    X, y = [], []
    for i, decision in enumerate(decisions):
        if isinstance(decision, Mapping):
            comps, confirmed = decision.get("components"), decision.get("confirmed")
        else:
            comps, confirmed = decision
        if not isinstance(confirmed, bool) or not isinstance(comps, Mapping):
            raise ValueError(f"decisions[{i}]: need components (object) and confirmed (bool)")
        missing = [c for c in COMPONENTS if c not in comps]
        if missing:
            raise ValueError(f"decisions[{i}]: components: missing {' '.join(missing)}")
        X.append([float(comps[c]) for c in COMPONENTS])
        y.append(confirmed)
    return np.array(X, dtype=float).reshape(-1, len(COMPONENTS)), np.array(y, dtype=int)


def learn_weights(
    decisions: Iterable,
    *,
    current: Mapping[str, float] | None = None,
    C: float = 1.0,
    cv: int = 5,
    min_decisions: int = MIN_DECISIONS,
    n_bootstrap: int = N_BOOTSTRAP,
    random_state: int = 0,
) -> LearnedWeights:
    """Fit component weights from past decisions.

    `decisions`: items ``{"components": {name: value, ...}, "confirmed": bool}``
    (or ``(components, confirmed)`` tuples), the components being a pair's
    `components` from a result. Raises `NotEnoughDecisions` with a polite
    message below `min_decisions` or with fewer than `cv` of either kind.

    >>> import random
    >>> rng = random.Random(1)
    >>> rows = []
    >>> for _ in range(60):
    ...     comps = {c: rng.random() for c in COMPONENTS}
    ...     rows.append({"components": comps, "confirmed": comps["interests"] > 0.5})
    >>> learned = learn_weights(rows)
    >>> max(learned.weights, key=learned.weights.get)
    'interests'
    """
    X, y = _rows(decisions)
    learner = WeightLearner(
        C=C, cv=cv, min_decisions=min_decisions, n_bootstrap=n_bootstrap, random_state=random_state
    )
    learner.fit(X, y)  # raises NotEnoughDecisions before scikit-learn is imported
    from sklearn.metrics import roc_auc_score

    now = dict(DEFAULT_WEIGHTS if current is None else current)
    now_w = np.array([float(now.get(c, 0.0)) for c in COMPONENTS])
    current_auc = float(roc_auc_score(y, X @ now_w)) if now_w.sum() > 0 else 0.5
    return LearnedWeights(
        weights={c: round(float(w), 6) for c, w in zip(COMPONENTS, learner.weights_, strict=True)},
        roc_auc=round(learner.roc_auc_, 4),
        roc_auc_std=round(learner.roc_auc_std_, 4),
        current_roc_auc=round(current_auc, 4),
        n_decisions=len(y),
        n_confirmed=learner.n_confirmed_,
        n_rejected=learner.n_rejected_,
        coefficients={
            c: round(float(v), 6) for c, v in zip(COMPONENTS, learner.coef_, strict=True)
        },
        intervals={
            c: (round(float(low), 4), round(float(high), 4))
            for c, (low, high) in zip(COMPONENTS, learner.intervals_, strict=True)
        },
    )
