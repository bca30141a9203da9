"""The design-aware statistics against scipy and hand computations: paired and Nadeau-Bengio t-tests, family
intervals, the detectable difference, Holm with untestable comparisons, the bootstraps, resampled metrics."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from tfskin.evaluation import metrics, resampled_metrics, stats


@pytest.fixture
def pair():
    rng = np.random.default_rng(7)
    b = 0.7 + rng.normal(0, 0.02, 8)
    return b + 0.01 + rng.normal(0, 0.01, 8), b


def test_difference_test_is_the_paired_t_test_without_correction(pair):
    a, b = pair
    t = stats.difference_test(a - b)
    ref = sps.ttest_rel(a, b)
    assert t["p"] == pytest.approx(ref.pvalue) and t["t"] == pytest.approx(ref.statistic)
    assert t["test"] == "paired t-test" and t["df"] == 7


def test_nadeau_bengio_matches_hand_computation(pair):
    a, b = pair
    d = a - b
    ratio = 200 / 800
    t = stats.difference_test(d, test_train_ratio=ratio)
    se = math.sqrt(d.var(ddof=1) * (1 / d.size + ratio))
    assert t["se"] == pytest.approx(se)
    assert t["p"] == pytest.approx(2 * sps.t.sf(abs(d.mean() / se), d.size - 1))
    assert t["p"] > stats.difference_test(d)["p"]  # the correction is more conservative
    assert t["test"].startswith("Nadeau-Bengio")


def test_extra_variance_enters_the_standard_error(pair):
    a, b = pair
    d = a - b
    t = stats.difference_test(d, extra_variance=1e-4)
    assert t["se"] == pytest.approx(math.sqrt(d.var(ddof=1) / d.size + 1e-4))
    assert "test-case bootstrap" in t["test"]


def test_untestable_differences_give_nan():
    assert np.isnan(stats.difference_test([0.1])["p"])
    assert np.isnan(stats.difference_test([0.1, 0.1, 0.1])["p"])  # no variance
    assert np.isnan(stats.wilcoxon_pvalue([0.0, 0.0, 0.0]))


def test_wilcoxon_matches_scipy(pair):
    a, b = pair
    assert stats.wilcoxon_pvalue(a - b) == pytest.approx(sps.wilcoxon(a, b).pvalue)


def test_interval_excludes_zero_exactly_when_p_is_below_its_level(pair):
    a, b = pair
    t = stats.difference_test(a - b, test_train_ratio=0.1)
    for level in (1 - t["p"] * 0.99, 1 - t["p"] * 1.01):
        low, high = stats.t_interval(t["mean"], t["se"], t["df"], level)
        excludes = low > 0 or high < 0
        assert excludes == (t["p"] < 1 - level)


def test_detectable_difference_has_the_stated_power():
    se, df, alpha = 0.01, 9, 0.05 / 6
    delta = stats.detectable_difference(se, df, alpha, power=0.8)
    assert delta == pytest.approx((sps.t.ppf(1 - alpha / 2, df) + sps.t.ppf(0.8, df)) * se)
    crit = sps.t.ppf(1 - alpha / 2, df)
    power = sps.nct.sf(crit, df, delta / se) + sps.nct.cdf(-crit, df, delta / se)
    assert power == pytest.approx(0.8, abs=0.03)  # the approximation the formula makes


def test_holm_counts_untested_comparisons_when_asked():
    p = [0.01, float("nan"), 0.02]
    assert stats.holm(p) == pytest.approx([0.02, float("nan"), 0.02], nan_ok=True)
    counted = stats.holm(p, count_untested=True)
    assert counted[0] == pytest.approx(0.03) and counted[2] == pytest.approx(0.04) and np.isnan(counted[1])


def test_bootstrap_ci_plain_and_case_draws(pair):
    a, b = pair
    d = a - b
    low, high = stats.bootstrap_ci(d, 0.95, seed=1)
    assert low < d.mean() < high
    assert stats.bootstrap_ci(np.full(5, 0.02), 0.95) == pytest.approx((0.02, 0.02))
    # case draws that equal the differences add nothing; noisy ones widen the interval
    same = stats.bootstrap_ci(d, 0.95, case_draws=np.repeat(d[:, None], 50, axis=1), seed=1)
    assert same == pytest.approx((low, high))
    noisy = d[:, None] + np.random.default_rng(2).normal(0, 0.02, (1, 50))
    wide = stats.bootstrap_ci(d, 0.95, case_draws=noisy, seed=1)
    assert wide[1] - wide[0] > 1.5 * (high - low)


def test_nested_bootstrap_takes_the_gan_replicate_as_the_unit():
    # three GAN replicates, three repeats each, repeats of one GAN replicate nearly identical
    groups = np.repeat([0, 1, 2], 3)
    d = np.array([0.05, -0.04, 0.02]).repeat(3) + np.random.default_rng(0).normal(0, 1e-3, 9)
    plain = stats.bootstrap_ci(d, 0.9, seed=3)
    nested = stats.bootstrap_ci(d, 0.9, groups=groups, seed=3)
    assert nested[1] - nested[0] > plain[1] - plain[0]
    ids, means = stats.group_means(d, groups)
    assert ids == [0, 1, 2] and means == pytest.approx([d[:3].mean(), d[3:6].mean(), d[6:].mean()])
    assert np.isnan(stats.bootstrap_ci(d, 0.9, groups=np.zeros(9))[0])  # one unit: no interval


@pytest.mark.parametrize("classes", [2, 3])
def test_resampled_metrics_equal_the_metrics(classes):
    rng = np.random.default_rng(classes)
    y = rng.integers(0, classes, 60)
    p = rng.dirichlet(np.ones(classes), 60)
    p[:5] = p[5]  # ties
    report = metrics.classification_report(y, p, [str(i) for i in range(classes)])
    weights = stats.case_resample_weights(60, 4, seed=0)
    weights[0] = 1.0
    for metric in resampled_metrics.METRICS:
        draws = resampled_metrics.metric_draws(y, p, weights, metric)
        assert draws[0] == pytest.approx(report[metric])
        for row in range(1, 4):  # a weighted case counts as that many copies of it
            idx = np.repeat(np.arange(60), weights[row].astype(int))
            again = metrics.classification_report(y[idx], p[idx], [str(i) for i in range(classes)])[metric]
            assert draws[row] == pytest.approx(again)
