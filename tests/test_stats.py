"""dqn_helpers.stats: bootstrap intervals over seeds."""

import numpy as np
import pytest

from dqn_helpers.stats import Interval, difference, interval, iqm


def test_interval_brackets_the_mean_and_repeats_with_its_seed():
    values = [480, 500, 500, 470, 500, 495, 500, 460, 500, 500]
    result = interval(values, label="kept")
    assert result.estimate == pytest.approx(np.mean(values))
    assert result.low < result.estimate < result.high
    assert result.low >= min(values) and result.high <= max(values)
    assert interval(values) == interval(values, label="") and result.n == 10
    assert "kept: mean 490" in str(result) and "10 seeds" in str(result)


def test_equal_values_give_an_interval_of_width_zero():
    result = interval([500.0] * 10)
    assert (result.low, result.estimate, result.high) == (500.0, 500.0, 500.0)
    assert result.width == 0.0 and not result.excludes(500.0) and result.excludes(499.0)


def test_the_interval_covers_the_true_mean_about_as_often_as_it_says():
    # Percentile intervals of the mean of 10 normal draws undercover a little (about 91% for 95%).
    rng = np.random.default_rng(1)
    covered = sum(not interval(rng.normal(3.0, 2.0, size=10), n_resamples=1_000, seed=i).excludes(3.0)
                  for i in range(200))
    assert 160 <= covered <= 198, covered


def test_a_wider_spread_gives_a_wider_interval():
    rng = np.random.default_rng(0)
    base = rng.normal(size=10)
    assert interval(5 * base).width == pytest.approx(5 * interval(base).width, rel=1e-6)


def test_pairing_removes_the_shared_spread():
    rng = np.random.default_rng(2)
    seed_effect = rng.normal(0, 50, size=10)          # big differences between seeds, shared by both arms
    a, b = seed_effect + 3.0 + rng.normal(0, 0.5, 10), seed_effect
    paired, unpaired = difference(a, b, paired=True), difference(a, b)
    assert paired.excludes(0) and not unpaired.excludes(0)
    assert paired.estimate == pytest.approx(unpaired.estimate)
    assert paired.width < unpaired.width / 10
    assert "mean paired difference" in str(paired) and "10 and 10 seeds" in str(unpaired)


def test_a_difference_the_data_cannot_show_is_not_detectable():
    # The five paired differences notebook 07 once rested a claim on.
    result = difference([2.4, 0.5, -1.4, 2.9, 3.1], [0.0] * 5, paired=True)
    assert result.low < 0 < result.high and not result.excludes(0)


def test_iqm_is_the_trimmed_mean_and_shrugs_off_one_wild_seed():
    values = np.arange(10.0)
    assert iqm(values) == pytest.approx(np.mean(values[2:8]))
    wild = values.copy()
    wild[-1] = 1e6
    assert iqm(wild) == pytest.approx(iqm(values)) and np.mean(wild) > 1e4
    assert interval(values, statistic="iqm").statistic == "iqm"
    assert difference([1, 2, 3, 4.0], [1, 2, 3, 5.0], paired=True, statistic="median").estimate == 0.0


@pytest.mark.parametrize("call, error, words", [
    (lambda: interval("500"), TypeError, "values must be a list"),
    (lambda: interval(None), TypeError, "values must be a list"),
    (lambda: interval(["a", "b"]), TypeError, "values must be a list"),
    (lambda: interval([[1, 2], [3, 4]]), ValueError, "1-d"),
    (lambda: interval([1.0]), ValueError, "at least 2"),
    (lambda: interval([1.0, float("nan")]), ValueError, "finite"),
    (lambda: interval([1.0, 2.0], confidence=95), ValueError, "confidence"),
    (lambda: interval([1.0, 2.0], statistic="average"), ValueError, "statistic"),
    (lambda: interval([1.0, 2.0], n_resamples=10), ValueError, "n_resamples"),
    (lambda: interval([1.0, 2.0], seed=-1), ValueError, "seed"),
    (lambda: difference([1.0, 2.0], [1.0, 2.0, 3.0], paired=True), ValueError, "paired=True"),
    (lambda: difference([1.0, 2.0], [1.0, 2.0], paired="yes"), TypeError, "paired"),
    (lambda: difference([1.0, 2.0], "b"), TypeError, "b must be"),
])
def test_bad_arguments_get_a_clear_error(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_numpy_and_torch_inputs_are_accepted():
    torch = pytest.importorskip("torch")
    expected = interval([1.0, 2.0, 4.0])
    assert interval(np.array([1, 2, 4])) == expected
    assert interval(torch.tensor([1.0, 2.0, 4.0])) == expected
    assert isinstance(expected, Interval)
