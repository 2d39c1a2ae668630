import random

import pytest

from matching import COMPONENTS, learn_weights
from matching.learn import NotEnoughDecisions


def decisions(n, seed=1, deciding="interests"):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        comps = {c: rng.random() for c in COMPONENTS}
        rows.append({"components": comps, "confirmed": comps[deciding] + rng.gauss(0, 0.1) > 0.5})
    return rows


def test_it_learns_which_component_coordinators_care_about():
    learned = learn_weights(decisions(200, deciding="offers_needs"))
    assert max(learned.weights, key=learned.weights.get) == "offers_needs"
    assert learned.weights["offers_needs"] > 0.5
    assert all(w >= 0 for w in learned.weights.values())
    assert sum(learned.weights.values()) == pytest.approx(1, abs=1e-5)
    assert learned.roc_auc > 0.9
    assert learned.roc_auc > learned.current_roc_auc
    assert learned.n_decisions == 200


def test_it_is_reproducible():
    assert learn_weights(decisions(80)) == learn_weights(decisions(80))


def test_it_accepts_tuples():
    rows = [(d["components"], d["confirmed"]) for d in decisions(60)]
    assert learn_weights(rows).weights == learn_weights(decisions(60)).weights


def test_it_refuses_politely_with_too_few_decisions():
    with pytest.raises(NotEnoughDecisions, match=r"need at least 50 decisions .* \(have 7:"):
        learn_weights(decisions(7))


def test_21_decisions_are_not_enough_to_learn_anything():
    """Issue 15 §7: 21 decisions once gave "1.00 ± 0.00" and moved nearness from 0.20 to 0.53."""
    with pytest.raises(NotEnoughDecisions, match=r"at least 50 decisions .* \(have 21:"):
        learn_weights(decisions(21))


def test_60_balanced_decisions_give_weights_with_real_intervals():
    rows = decisions(60, deciding="nearness")
    assert 20 <= sum(d["confirmed"] for d in rows) <= 40  # both outcomes, balanced
    learned = learn_weights(rows)
    assert set(learned.intervals) == set(COMPONENTS)
    for name, (low, high) in learned.intervals.items():
        assert 0 <= low <= high <= 1, name
    widths = [high - low for low, high in learned.intervals.values()]
    assert max(widths) > 0.05  # an honest spread, not "± 0.00"
    low, high = learned.intervals["nearness"]
    assert low > 0.2  # what decided is learned with confidence...
    assert low <= learned.weights["nearness"] <= high  # ...around its point estimate
    assert learn_weights(rows).intervals == learned.intervals  # reproducible


def test_it_refuses_when_every_decision_went_one_way():
    rows = [{**d, "confirmed": True} for d in decisions(50)]
    with pytest.raises(NotEnoughDecisions, match="0 rejected"):
        learn_weights(rows)


def test_it_rejects_components_outside_zero_and_one():
    rows = decisions(60)
    rows[0]["components"]["waiting"] = 3
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        learn_weights(rows)


def test_it_names_a_decision_missing_a_component():
    rows = decisions(60)
    del rows[3]["components"]["nearness"]
    with pytest.raises(ValueError, match=r"decisions\[3\]: components: missing nearness"):
        learn_weights(rows)
