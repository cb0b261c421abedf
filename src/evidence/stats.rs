//! Paired statistics for the release quality gate: candidate versus baseline golden-test
//! results, paired by case.
//!
//! # Direction
//!
//! A *regression* is the candidate being worse than the baseline, and every test here is
//! one-sided in that direction: a small p-value is evidence that the candidate regressed.
//! Paired differences are always `candidate − baseline`, so a regression is a *negative*
//! difference.
//!
//! | function | question | reference it reproduces |
//! | --- | --- | --- |
//! | [`mcnemar_exact`] | did more cases go pass→fail than fail→pass? | `scipy.stats.binomtest(b, b + c, 0.5, alternative='greater').pvalue` |
//! | [`wilcoxon_less`] | are the paired score differences shifted below zero? | `scipy.stats.wilcoxon(d, alternative='less')` (all other arguments default) |
//! | [`bootstrap_mean_ci`] | how large is the mean difference, with what uncertainty? | `scipy.stats.bootstrap((d,), np.mean, method='percentile')` up to Monte Carlo error |
//! | [`holm`] | p-values of several tests of one dataset, adjusted together | `statsmodels.stats.multitest.multipletests(p, method='holm')[1]` |
//! | [`percentile`], [`mean`] | latency p95, mean cost | `np.percentile(v, q)` (method `'linear'`), `np.mean(v)` |
//!
//! The reference numbers live in `bench/stats/expected.json`, written by
//! `bench/stats/reference.py` with scipy 1.17.1, numpy 2.4.6 and statsmodels 0.15.0; the unit
//! tests at the bottom of this file compare every case (p-values to 1e-9 relative or 1e-12
//! absolute, Wilcoxon statistics and methods exactly). See `bench/stats/README.md`.
//!
//! # Non-finite and empty inputs
//!
//! No function here panics, whatever its input.
//!
//! * [`wilcoxon_less`], [`bootstrap_mean_ci`], [`percentile`] and [`mean`] **skip** NaN and
//!   ±infinity: the result is the one for the finite values alone (a case whose score is not a
//!   number carries no evidence either way). With no finite value left, [`wilcoxon_less`],
//!   [`percentile`] and [`mean`] return `None` and [`bootstrap_mean_ci`] returns `(NaN, NaN)`.
//! * [`holm`] keeps one output per input, in input order: a NaN p-value is treated as 1.0 (the
//!   conservative reading: "no evidence"), and values outside `[0, 1]` are clamped into it.
//! * [`mcnemar_exact`] takes counts, which are always valid; `b + c == 0` gives 1.0.
//!
//! # Numerical notes
//!
//! * The binomial tail behind [`mcnemar_exact`] is computed in log space from Loader's
//!   saddle-point form of the binomial probability (C. Loader, *Fast and Accurate Computation
//!   of Binomial Probabilities*, 2000 — the algorithm of R's `dbinom`), so it neither
//!   overflows nor loses relative accuracy in the far tail: p-values down to the smallest
//!   normal double (~2.2e-308) keep ~1e-13 relative accuracy, smaller ones are returned as
//!   subnormals or 0.0.
//! * The normal CDF behind the Wilcoxon approximation uses W. J. Cody's rational Chebyshev
//!   approximations of erf/erfc (W. J. Cody, *Rational Chebyshev approximations for the error
//!   function*, Math. Comp. 23 (1969) 631–637, coefficients as in Cody's netlib SPECFUN
//!   `CALERF`), with the `exp(-x²)` factor split so that its argument is exact; erfc's
//!   relative error is below 1e-15 over the whole normal range of doubles, far tails included
//!   (4e-16 measured against mpmath). Φ(z) = erfc(−z/√2)/2 additionally inherits the rounding
//!   of z/√2, ~z²·1e-16 relative — the same formula, and limit, as scipy's `ndtr`.

use rayon::prelude::*;

/// Seed of the gate's bootstrap: fixed, so that a release's confidence intervals are the same
/// on every machine and every run.
pub const BOOTSTRAP_SEED: u64 = 0x00A6_E7C0_C4B0_0757;

/// Resamples of the gate's bootstrap. With 2000 resamples the Monte Carlo standard deviation
/// of each 95% bound is about 0.06 bootstrap standard errors.
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

// =============================================================================================
// McNemar
// =============================================================================================

/// Exact one-sided McNemar test that the candidate regressed.
///
/// `regressed` (b) counts the cases that passed in the baseline and fail in the candidate,
/// `improved` (c) those that failed in the baseline and pass in the candidate; concordant
/// cases carry no information and are not passed in. Under the null hypothesis each
/// discordant case is equally likely to go either way, so the p-value is
///
/// ```text
/// p = P(X >= b),  X ~ Binomial(b + c, 1/2)
/// ```
///
/// which is `scipy.stats.binomtest(b, b + c, 0.5, alternative='greater').pvalue`. When
/// `b + c == 0` (scipy raises) the result is 1.0: no discordant pair, no evidence.
///
/// Accuracy: for `b + c <= 128` the tail is summed exactly in integers and the result is
/// correctly rounded. Beyond, about 1e-13 relative for every `b + c` up to 2^44 (the work grows like
/// `√(b + c)` when b is near (b + c)/2 — about 5,000 terms for 10^6 pairs — and is a few terms
/// in the far tails); results below the normal double range come back as subnormals or 0.0.
/// Above 2^44 (≈1.8·10^13) discordant pairs, far beyond any test suite, the
/// continuity-corrected normal approximation is used instead: for the symmetric binomial its
/// relative error is of order `z⁴/(12 n)`, below 1e-7 for every representable p-value.
pub fn mcnemar_exact(regressed: u64, improved: u64) -> f64 {
    let n = u128::from(regressed) + u128::from(improved);
    if n == 0 || regressed == 0 {
        return 1.0;
    }
    binomial_half_upper_tail(regressed as f64, n as f64)
}

/// `P(X >= k)` for `X ~ Binomial(n, 1/2)`, `1 <= k <= n`.
fn binomial_half_upper_tail(k: f64, n: f64) -> f64 {
    if n <= EXACT_BINOMIAL_MAX_N as f64 {
        return binomial_half_upper_tail_exact(k as usize, n as usize);
    }
    if n > HUGE_BINOMIAL_N {
        // Continuity-corrected normal approximation (symmetric binomial: no skewness term).
        let z = (k - 0.5 - 0.5 * n) / (0.5 * n.sqrt());
        return ndtr(-z);
    }
    if 2.0 * k > n {
        upper_tail_above_mean(k, n)
    } else {
        // P(X >= k) = 1 - P(X <= k-1) = 1 - P(X >= n-k+1) by symmetry, and n-k+1 > n/2:
        // the subtracted tail is <= 1/2, so the difference keeps full relative accuracy.
        1.0 - upper_tail_above_mean(n - k + 1.0, n)
    }
}

/// Up to this many trials the tail is summed in integers: every binomial coefficient of
/// row 128 of Pascal's triangle, and every tail sum, fits in u128.
const EXACT_BINOMIAL_MAX_N: usize = 128;

/// `P(X >= k)` for `X ~ Binomial(n, 1/2)`, `n <= 128`: `Σ_{j>=k} C(n, j)` summed exactly in
/// integers, then one rounding to f64 and an exact scaling by 2^-n — correctly rounded.
fn binomial_half_upper_tail_exact(k: usize, n: usize) -> f64 {
    let mut row = [0u128; EXACT_BINOMIAL_MAX_N + 1];
    row[0] = 1;
    for m in 1..=n.min(EXACT_BINOMIAL_MAX_N) {
        for j in (1..=m).rev() {
            row[j] += row[j - 1];
        }
    }
    let k = k.clamp(1, n.max(1));
    // k >= 1, so the sum is at most 2^n - 1 < 2^128.
    let tail: u128 = row[k..=n.min(EXACT_BINOMIAL_MAX_N)].iter().sum();
    tail as f64 * 0.5f64.powi(n as i32)
}

/// Above this many trials the exact summation (≈4.4·√n terms near the centre) is replaced
/// by the normal approximation.
const HUGE_BINOMIAL_N: f64 = 17_592_186_044_416.0; // 2^44

/// `P(X >= k)` for `X ~ Binomial(n, 1/2)` with `n/2 < k <= n`, in log space:
/// `pmf(k) · Σ_{j>=k} pmf(j)/pmf(k)`, the ratios by recurrence (re-anchored on the exact
/// log-pmf every 256 terms so rounding does not accumulate), stopped once the remaining tail
/// is below 1e-17 of the sum.
fn upper_tail_above_mean(k: f64, n: f64) -> f64 {
    if k >= n {
        // P(X = n) = 2^-n, exactly representable down to 2^-1074.
        return if n <= 1074.0 {
            0.5f64.powi(n as i32)
        } else {
            0.0
        };
    }
    let ln_pmf_k = ln_binomial_half_pmf(k, n);
    let mut sum = 1.0f64;
    let mut term = 1.0f64;
    let mut j = k;
    let mut steps = 0u32;
    while j < n {
        let ratio = (n - j) / (j + 1.0);
        j += 1.0;
        steps += 1;
        term = if steps.is_multiple_of(256) && j < n {
            (ln_binomial_half_pmf(j, n) - ln_pmf_k).exp()
        } else {
            term * ratio
        };
        sum += term;
        // Later ratios are smaller than `next`, so the rest of the series is at most
        // term · next / (1 - next).
        let next = (n - j) / (j + 1.0);
        if next < 1.0 && term * next <= 1e-17 * sum * (1.0 - next) {
            break;
        }
    }
    (ln_pmf_k + sum.ln()).exp()
}

/// `ln P(X = k)` for `X ~ Binomial(n, 1/2)`, `0 < k < n` (Loader 2000):
///
/// ```text
/// ln pmf = stirlerr(n) − stirlerr(k) − stirlerr(n−k) − bd0(k, n/2) − bd0(n−k, n/2)
///          − ½ ln(2π k (n−k) / n)
/// ```
///
/// Every term is small or computed without cancellation, so the absolute error of the
/// logarithm (= the relative error of the probability) stays near 1e-14 even for n ~ 10^9.
fn ln_binomial_half_pmf(k: f64, n: f64) -> f64 {
    let nk = n - k;
    let half = 0.5 * n;
    let lc = stirlerr(n) - stirlerr(k) - stirlerr(nk) - bd0(k, half) - bd0(nk, half);
    let lf = LN_2PI + k.ln() + (-k / n).ln_1p();
    lc - 0.5 * lf
}

/// ln(2π)
const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Stirling's error `ln(n!) - (n + ½) ln n + n - ½ ln(2π)` for an integer `n >= 1`.
///
/// For n > 15 the asymptotic series (truncation error < 1e-17); below, the exact downward
/// recurrence `stirlerr(n) = stirlerr(n+1) + (n + ½)·ln(1 + 1/n) - 1` from 16.
fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n > 15.0 {
        let nn = n * n;
        return if n > 500.0 {
            (S0 - S1 / nn) / n
        } else if n > 80.0 {
            (S0 - (S1 - S2 / nn) / nn) / n
        } else if n > 35.0 {
            (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
        } else {
            (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
        };
    }
    let mut m = 16.0;
    let mut s = stirlerr(16.0);
    while m > n {
        m -= 1.0;
        s += (m + 0.5) * (1.0 / m).ln_1p() - 1.0;
    }
    s
}

/// Loader's deviance term `x ln(x / np) + np - x`, accurate also when `x ≈ np`.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / f64::from(2 * j + 1);
            if s1 == s {
                return s1;
            }
            s = s1;
        }
    }
    x * (x / np).ln() + np - x
}

// =============================================================================================
// Wilcoxon signed-rank
// =============================================================================================

/// How [`wilcoxon_less`] computed its p-value: the choice scipy's `method='auto'` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WilcoxonMethod {
    /// Exact null distribution of `r_plus` (no zeros, no ties, at most 50 differences).
    Exact,
    /// Exact sign-flip permutation distribution of `r_plus` given the observed (mid-)ranks:
    /// all 2^n sign assignments enumerated. scipy's choice for at most 13 differences when
    /// there are ties or zeros (its `PermutationMethod` with 9999 resamples is then exhaustive
    /// and therefore deterministic).
    Permutation,
    /// Normal approximation with the tie correction of the variance, no continuity correction.
    Approx,
}

/// Result of [`wilcoxon_less`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wilcoxon {
    /// Number of differences used: the finite, non-zero ones.
    pub n: usize,
    /// `r_plus`, the sum of the ranks of `|d|` over the positive differences (average ranks
    /// for ties) — the statistic scipy reports for a one-sided alternative. Small `r_plus`
    /// means the candidate scored lower.
    pub statistic: f64,
    /// One-sided p-value for "the candidate is lower" (`alternative='less'`).
    pub p_value: f64,
    /// How `p_value` was computed.
    pub method: WilcoxonMethod,
}

/// Largest number of differences for which scipy considers an exact/permutation test.
const WILCOXON_EXACT_MAX: usize = 50;
/// Largest number of differences for which scipy's permutation test is exhaustive.
const WILCOXON_PERMUTATION_MAX: usize = 13;

/// One-sided Wilcoxon signed-rank test that the candidate regressed, on paired differences
/// `d = candidate − baseline`; reproduces `scipy.stats.wilcoxon(d, alternative='less')` with
/// every other argument at its default (`zero_method='wilcox'`, `correction=False`,
/// `method='auto'`).
///
/// * Zero differences are dropped (`zero_method='wilcox'`); ties in `|d|` get average ranks.
/// * Non-finite differences are skipped first (scipy would return NaN); the rule below then
///   applies to the finite ones.
/// * Returns `None` when no non-zero finite difference is left (scipy's p-value is NaN or
///   a degenerate 1.0 there).
///
/// # Method (scipy 1.17.1, `scipy/stats/_wilcoxon.py`, `_wilcoxon_nd` with `method='auto'`)
///
/// Let `len` be the number of differences *including* zeros:
///
/// 1. `len > 50` → [`WilcoxonMethod::Approx`];
/// 2. otherwise, no zero and no tie among `|d|` → [`WilcoxonMethod::Exact`]:
///    `p = P(R⁺ <= ceil(r_plus))` under the exact null distribution of `R⁺` for `n` ranks;
/// 3. otherwise (zeros or ties), `len <= 13` → [`WilcoxonMethod::Permutation`]:
///    `p = #{sign flips s : R⁺(s) <= r_plus} / 2^len` (flipping a zero changes nothing, so
///    this is the fraction over the `2^n` flips of the non-zero differences);
/// 4. otherwise → [`WilcoxonMethod::Approx`]:
///    `z = (r_plus − n(n+1)/4) / σ`, `σ² = (n(n+1)(2n+1) − Σ(t³ − t)/2) / 24` over tie groups
///    of size `t`, and `p = Φ(z)` with no continuity correction.
///
/// Exact and permutation distributions are counted in integers (u64), so their p-values are
/// exact dyadic rationals — bit-identical to scipy's.
pub fn wilcoxon_less(diffs: &[f64]) -> Option<Wilcoxon> {
    let finite: Vec<f64> = diffs.iter().copied().filter(|d| d.is_finite()).collect();
    let len = finite.len();
    let mut nonzero: Vec<f64> = finite.into_iter().filter(|&d| d != 0.0).collect();
    let n_zero = len - nonzero.len();
    let n = nonzero.len();
    if n == 0 {
        return None;
    }
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));

    // Average ranks of |d|; r_plus; tie groups.
    let mut r_plus = 0.0f64;
    let mut tie_term = 0.0f64;
    let mut has_ties = false;
    // Ranks doubled (always integers) for the permutation distribution.
    let mut doubled_ranks: Vec<u64> = Vec::with_capacity(n);
    let mut i = 0usize;
    while i < n {
        let magnitude = nonzero[i].abs();
        let mut j = i + 1;
        while j < n && nonzero[j].abs() == magnitude {
            j += 1;
        }
        let t = j - i;
        // scipy: first ordinal rank + (count - 1) / 2
        let rank = (i + 1) as f64 + (t as f64 - 1.0) / 2.0;
        let doubled = (2 * i + 1 + t) as u64; // 2·(i+1) + (t-1)
        for d in &nonzero[i..j] {
            if *d > 0.0 {
                r_plus += rank;
            }
            doubled_ranks.push(doubled);
        }
        if t > 1 {
            has_ties = true;
            let tf = t as f64;
            tie_term += tf * tf * tf - tf;
        }
        i = j;
    }

    let method = if len > WILCOXON_EXACT_MAX {
        WilcoxonMethod::Approx
    } else if !(has_ties || n_zero > 0) {
        WilcoxonMethod::Exact
    } else if len <= WILCOXON_PERMUTATION_MAX {
        WilcoxonMethod::Permutation
    } else {
        WilcoxonMethod::Approx
    };

    let p_value = match method {
        WilcoxonMethod::Exact => {
            // No ties: r_plus is an integer. scipy evaluates cdf(ceil(r_plus)).
            let weights: Vec<u64> = (1..=n as u64).collect();
            lower_tail_fraction(&weights, r_plus.ceil() as u64)
        }
        WilcoxonMethod::Permutation => {
            // r_plus is a multiple of 1/2: 2·r_plus is an exact integer.
            lower_tail_fraction(&doubled_ranks, (2.0 * r_plus) as u64)
        }
        WilcoxonMethod::Approx => {
            let count = n as f64;
            // Same operations, in the same order, as scipy's `_wilcoxon_statistic`.
            let mn = count * (count + 1.0) * 0.25;
            let se = count * (count + 1.0) * (2.0 * count + 1.0);
            let se = ((se - tie_term / 2.0) / 24.0).sqrt();
            let z = (r_plus - mn) / se;
            ndtr(z)
        }
    };
    Some(Wilcoxon {
        n,
        statistic: r_plus,
        p_value: p_value.clamp(0.0, 1.0),
        method,
    })
}

/// `#{s ∈ {0,1}^w.len() : Σ s_i w_i <= limit} / 2^w.len()`, by dynamic programming over the
/// subset sums (at most 50 weights, so every count fits in u64 and the ratio is exact).
fn lower_tail_fraction(weights: &[u64], limit: u64) -> f64 {
    let total: u64 = weights.iter().sum();
    let size = usize::try_from(total)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let mut counts = vec![0u64; size];
    counts[0] = 1;
    let mut reach = 0usize;
    for &w in weights {
        let w = usize::try_from(w).unwrap_or(usize::MAX);
        reach = reach.saturating_add(w).min(size - 1);
        for s in (w..=reach).rev() {
            counts[s] += counts[s - w];
        }
    }
    let upto = usize::try_from(limit).unwrap_or(usize::MAX).min(size - 1);
    let below: u64 = counts[..=upto].iter().sum();
    // 2^len as f64 is exact; `below` <= 2^50 converts exactly.
    below as f64 / 2f64.powi(weights.len() as i32)
}

// =============================================================================================
// Normal CDF and erfc (W. J. Cody)
// =============================================================================================

/// Standard normal CDF Φ(a), computed as scipy/cephes `ndtr` does (erf near 0, erfc beyond),
/// with Cody's erf/erfc.
///
/// Like scipy's, its relative accuracy in the far lower tail is limited by the rounding of
/// `a/√2` (about `a²·1.1e-16`): ~1e-13 at a ≈ −37, where Φ(a) ≈ 1e-296.
pub(crate) fn ndtr(a: f64) -> f64 {
    if a.is_nan() {
        return f64::NAN;
    }
    let x = a * std::f64::consts::FRAC_1_SQRT_2;
    let z = x.abs();
    if z < std::f64::consts::FRAC_1_SQRT_2 {
        0.5 + 0.5 * erf(x)
    } else {
        let y = 0.5 * erfc(z);
        if x > 0.0 { 1.0 - y } else { y }
    }
}

// Coefficients of Cody (1969), with the digits published in SPECFUN's CALERF.
#[allow(clippy::excessive_precision)]
const ERF_A: [f64; 5] = [
    3.16112374387056560e00,
    1.13864154151050156e02,
    3.77485237685302021e02,
    3.20937758913846947e03,
    1.85777706184603153e-1,
];
#[allow(clippy::excessive_precision)]
const ERF_B: [f64; 4] = [
    2.36012909523441209e01,
    2.44024637934444173e02,
    1.28261652607737228e03,
    2.84423683343917062e03,
];
#[allow(clippy::excessive_precision)]
const ERFC_C: [f64; 9] = [
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
];
#[allow(clippy::excessive_precision)]
const ERFC_D: [f64; 8] = [
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
];
#[allow(clippy::excessive_precision)]
const ERFC_P: [f64; 6] = [
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
];
#[allow(clippy::excessive_precision)]
const ERFC_Q: [f64; 5] = [
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
];
/// Boundary between the erf and erfc approximations.
const ERF_THRESH: f64 = 0.46875;
/// erfc(x) is below the smallest subnormal double from here on.
const ERFC_ZERO: f64 = 27.3;

/// erf(x) for |x| <= 0.46875.
fn erf_small(x: f64) -> f64 {
    let y = x.abs();
    let ysq = if y > 1.11e-16 { y * y } else { 0.0 };
    let mut num = ERF_A[4] * ysq;
    let mut den = ysq;
    for (a, b) in ERF_A[..3].iter().zip(&ERF_B[..3]) {
        num = (num + a) * ysq;
        den = (den + b) * ysq;
    }
    x * (num + ERF_A[3]) / (den + ERF_B[3])
}

/// `exp(-y²) · r`, with y² split as (⌊16y⌋/16)² (exact) plus a small remainder.
fn exp_neg_sq_times(y: f64, r: f64) -> f64 {
    let ysq = (y * 16.0).trunc() / 16.0;
    let del = (y - ysq) * (y + ysq);
    let big = ysq * ysq;
    if big > 708.0 {
        // exp(-big) would be subnormal (and so is the result): one exponential of the summed
        // exponent instead of a product of imprecise subnormals.
        (-big + (r.ln() - del)).exp()
    } else {
        (-big).exp() * (-del).exp() * r
    }
}

/// erfc(y) for y > 0.46875.
fn erfc_large(y: f64) -> f64 {
    if y <= 4.0 {
        let mut num = ERFC_C[8] * y;
        let mut den = y;
        for (c, d) in ERFC_C[..7].iter().zip(&ERFC_D[..7]) {
            num = (num + c) * y;
            den = (den + d) * y;
        }
        exp_neg_sq_times(y, (num + ERFC_C[7]) / (den + ERFC_D[7]))
    } else if y >= ERFC_ZERO {
        0.0
    } else {
        let ysq = 1.0 / (y * y);
        let mut num = ERFC_P[5] * ysq;
        let mut den = ysq;
        for (p, q) in ERFC_P[..4].iter().zip(&ERFC_Q[..4]) {
            num = (num + p) * ysq;
            den = (den + q) * ysq;
        }
        let r = ysq * (num + ERFC_P[4]) / (den + ERFC_Q[4]);
        let one_over_sqrt_pi = 0.5 * std::f64::consts::FRAC_2_SQRT_PI;
        exp_neg_sq_times(y, (one_over_sqrt_pi - r) / y)
    }
}

/// The error function (Cody 1969), relative error ~1e-16.
pub(crate) fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let y = x.abs();
    if y <= ERF_THRESH {
        return erf_small(x);
    }
    let r = (0.5 - erfc_large(y)) + 0.5;
    if x < 0.0 { -r } else { r }
}

/// The complementary error function (Cody 1969), relative error ~1e-15 wherever the result
/// is a normal double (x up to ~26.5); subnormal beyond, 0.0 from x ≈ 27.3.
pub(crate) fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let y = x.abs();
    if y <= ERF_THRESH {
        return 1.0 - erf_small(x);
    }
    let r = erfc_large(y);
    if x < 0.0 { 2.0 - r } else { r }
}

// =============================================================================================
// Bootstrap
// =============================================================================================

/// Paired bootstrap percentile interval of the mean difference.
///
/// Draws `resamples` resamples of `diffs` with replacement (each of the same size as the
/// finite values of `diffs`), takes the mean of each, and returns the `(1 − level)/2` and
/// `(1 + level)/2` quantiles of those means, interpolated linearly (numpy's default, as
/// [`percentile`]). This is `scipy.stats.bootstrap((d,), np.mean, method='percentile',
/// confidence_level=level)` up to Monte Carlo error: the random streams differ, so the
/// bounds agree within a small multiple of `0.06 × standard error` for 2000 resamples, not
/// digit for digit (`bench/stats/README.md` explains the tolerance the tests use).
///
/// Deterministic: resample `r` draws its indices from its own SplitMix64 stream, whose state
/// starts at `mix(seed ^ mix((r + 1) · γ))` (γ = 0x9E3779B97F4A7C15, `mix` the SplitMix64
/// finaliser), indices uniform on `[0, n)` by Lemire's unbiased multiply-and-reject, two
/// 32-bit indices per 64-bit output (high half first) when `n < 2^32`. The
/// result depends only on `(diffs, seed, resamples, level)` — not on the number of rayon
/// threads, which only decide who computes which resample.
///
/// Non-finite differences are skipped. Returns `(NaN, NaN)` when no finite difference is
/// left, when `resamples == 0`, or when `level` is not strictly between 0 and 1.
///
/// Cost: `resamples × n` draws (about 0.9 ns each), spread over rayon's pool: for
/// n = 100,000 and the default 2000 resamples, 0.17 s on one core in a release build.
pub fn bootstrap_mean_ci(diffs: &[f64], seed: u64, resamples: usize, level: f64) -> (f64, f64) {
    let data: Vec<f64> = diffs.iter().copied().filter(|d| d.is_finite()).collect();
    if data.is_empty() || resamples == 0 || !(level > 0.0 && level < 1.0) {
        return (f64::NAN, f64::NAN);
    }
    let mut means: Vec<f64> = (0..resamples)
        .into_par_iter()
        .map(|r| resample_mean(&data, seed, r as u64))
        .collect();
    means.sort_unstable_by(f64::total_cmp);
    // scipy: alpha = (1 - confidence_level) / 2; interval = (alpha, 1 - alpha)
    let alpha = (1.0 - level) / 2.0;
    (
        quantile_sorted(&means, alpha),
        quantile_sorted(&means, 1.0 - alpha),
    )
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function (Steele, Lea & Flood 2014).
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64: a Weyl sequence through [`mix64`].
struct SplitMix64(u64);

impl SplitMix64 {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN_GAMMA);
        mix64(self.0)
    }

    /// Uniform on `[0, n)`, `n >= 1` (Lemire 2019, unbiased).
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }
}

/// Uniform on `[0, n)` from the 32-bit word `word` (Lemire 2019, unbiased): rejected words
/// are replaced by the high halves of further outputs of `rng`.
#[inline]
fn below_u32(word: u32, n: u32, rng: &mut SplitMix64) -> u32 {
    let mut m = u64::from(word) * u64::from(n);
    if (m as u32) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u32) < threshold {
            m = (rng.next_u64() >> 32) * u64::from(n);
        }
    }
    (m >> 32) as u32
}

/// Two resampled values from one 64-bit output (high half first).
#[inline(always)]
fn draw_pair(data: &[f64], bound: u32, rng: &mut SplitMix64) -> (f64, f64) {
    let z = rng.next_u64();
    let i = below_u32((z >> 32) as u32, bound, rng) as usize;
    let j = below_u32(z as u32, bound, rng) as usize;
    (data[i], data[j])
}

/// Mean of bootstrap resample `r`: `n` indices drawn from the resample's own stream, summed
/// in a fixed order (four interleaved accumulators).
///
/// For `n < 2^32` (every real suite) each 64-bit output gives two indices, high half first
/// ([`below_u32`]); beyond, one index per output ([`SplitMix64::below`]).
fn resample_mean(data: &[f64], seed: u64, r: u64) -> f64 {
    let n = data.len();
    let mut rng = SplitMix64(mix64(
        seed ^ mix64(r.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)),
    ));
    let mut acc = [0.0f64; 4];
    if let Ok(bound) = u32::try_from(n) {
        for _ in 0..n / 4 {
            let (a, b) = draw_pair(data, bound, &mut rng);
            let (c, d) = draw_pair(data, bound, &mut rng);
            acc[0] += a;
            acc[1] += b;
            acc[2] += c;
            acc[3] += d;
        }
        let rest = n % 4;
        if rest >= 2 {
            let (a, b) = draw_pair(data, bound, &mut rng);
            acc[0] += a;
            acc[1] += b;
        }
        if rest % 2 == 1 {
            let z = rng.next_u64();
            acc[2] += data[below_u32((z >> 32) as u32, bound, &mut rng) as usize];
        }
    } else {
        let bound = n as u64;
        for k in 0..n {
            acc[k % 4] += data[rng.below(bound) as usize];
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) / n as f64
}

// =============================================================================================
// Holm
// =============================================================================================

/// Holm–Bonferroni adjusted p-values, in the input order.
///
/// Sort the `m` p-values ascending; the i-th smallest (i from 0) becomes
/// `max_{j <= i} (m − j) · p_(j)`, capped at 1 — step-down, monotone in the sorted order,
/// exactly `statsmodels.stats.multitest.multipletests(p, method='holm')[1]`. Reject
/// hypothesis `k` at family-wise level α when `holm(p)[k] < α`.
///
/// Always returns `p.len()` values. A NaN p-value counts as 1.0 (it still counts towards
/// `m`), and values outside `[0, 1]` are clamped into it. Empty in, empty out.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let clean: Vec<f64> = p
        .iter()
        .map(|&x| {
            if x.is_nan() || x >= 1.0 {
                1.0
            } else if x <= 0.0 {
                0.0
            } else {
                x
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| clean[a].total_cmp(&clean[b]));
    let mut adjusted = vec![1.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(clean[i] * (m - rank) as f64);
        adjusted[i] = running.min(1.0);
    }
    adjusted
}

// =============================================================================================
// Percentile and mean
// =============================================================================================

/// The `q`-th percentile (`0 <= q <= 100`) of the finite values, with numpy's default linear
/// interpolation: `np.percentile(values, q)` (Hyndman & Fan type 7). Used for latency p95.
///
/// `None` when no finite value is given or `q` is outside `[0, 100]` (or NaN).
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if !(0.0..=100.0).contains(&q) {
        return None;
    }
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    Some(quantile_sorted(&v, q / 100.0))
}

/// numpy's `'linear'` quantile of a sorted, non-empty slice, with numpy's operations:
/// virtual index `(n − 1)·q`, and `_lerp`'s two-sided form of the interpolation.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let (Some(&first), Some(&last)) = (sorted.first(), sorted.last()) else {
        return f64::NAN;
    };
    let virtual_index = (n - 1) as f64 * q;
    if virtual_index.is_nan() || virtual_index >= (n - 1) as f64 {
        return last;
    }
    if virtual_index < 0.0 {
        return first;
    }
    let below = virtual_index.floor();
    let i = below as usize;
    let (a, b) = (sorted[i], sorted[i + 1]);
    let t = virtual_index - below;
    if t == 0.0 {
        return a;
    }
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Arithmetic mean of the finite values (compensated summation); `None` if there are none.
pub fn mean(values: &[f64]) -> Option<f64> {
    let mut count = 0usize;
    let mut sum = 0.0f64;
    let mut compensation = 0.0f64;
    for &x in values.iter().filter(|x| x.is_finite()) {
        count += 1;
        // Neumaier's variant of Kahan summation.
        let t = sum + x;
        if sum.abs() >= x.abs() {
            compensation += (sum - t) + x;
        } else {
            compensation += (x - t) + sum;
        }
        sum = t;
    }
    (count > 0).then(|| (sum + compensation) / count as f64)
}

// =============================================================================================
// Tests
// =============================================================================================

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const EXPECTED: &str = include_str!("../../bench/stats/expected.json");

    fn expected() -> Value {
        serde_json::from_str(EXPECTED).expect("bench/stats/expected.json parses")
    }

    fn f(v: &Value) -> f64 {
        v.as_f64()
            .unwrap_or_else(|| panic!("not a number in expected.json: {v}"))
    }

    fn floats(v: &Value) -> Vec<f64> {
        v.as_array()
            .unwrap_or_else(|| panic!("not an array: {v}"))
            .iter()
            .map(f)
            .collect()
    }

    /// p-values: 1e-9 relative or 1e-12 absolute.
    fn close(actual: f64, expected: f64) -> bool {
        let diff = (actual - expected).abs();
        diff <= 1e-12 || diff <= 1e-9 * expected.abs()
    }

    fn relative_error(actual: f64, expected: f64) -> f64 {
        if expected == 0.0 {
            actual.abs()
        } else {
            ((actual - expected) / expected).abs()
        }
    }

    /// Same generator as `splitmix_values` in bench/stats/reference.py.
    fn splitmix_values(spec: &Value) -> Vec<f64> {
        let seed = spec["seed"].as_u64().expect("seed");
        let n = spec["n"].as_u64().expect("n");
        let kind = spec["kind"].as_str().expect("kind");
        let mut rng = SplitMix64(seed);
        (0..n)
            .map(|_| {
                let z = rng.next_u64();
                match kind {
                    "quarters" => ((z % 21) as f64 - 11.0) / 4.0,
                    "uniform" => (z >> 11) as f64 * 2f64.powi(-53) - f(&spec["shift"]),
                    "ternary" => {
                        let r = z % 100;
                        if r < spec["lo"].as_u64().expect("lo") {
                            -1.0
                        } else if r >= 100 - spec["hi"].as_u64().expect("hi") {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    other => panic!("unknown generator {other}"),
                }
            })
            .collect()
    }

    fn case_values(case: &Value, key: &str) -> Vec<f64> {
        match case.get("gen") {
            Some(spec) => splitmix_values(spec),
            None => floats(&case[key]),
        }
    }

    fn cases<'a>(doc: &'a Value, section: &str) -> &'a Vec<Value> {
        doc[section]
            .as_array()
            .unwrap_or_else(|| panic!("section {section}"))
    }

    #[test]
    fn mcnemar_matches_scipy() {
        let doc = expected();
        let list = cases(&doc, "mcnemar");
        assert!(list.len() >= 20);
        let mut worst = 0.0f64;
        let mut worst_exact = 0.0f64;
        for case in list {
            let b = case["regressed"].as_u64().expect("regressed");
            let c = case["improved"].as_u64().expect("improved");
            let want = f(&case["p"]);
            let got = mcnemar_exact(b, c);
            assert!(
                close(got, want),
                "{}: agentlock {got:e} scipy {want:e}",
                case["name"]
            );
            if want > f64::MIN_POSITIVE {
                worst = worst.max(relative_error(got, want));
            }
            // Against the 60-digit mpmath sum, tighter: scipy itself is off by up to ~3e-12
            // relative in the far tails of n ~ 10^6 (boost's incomplete beta).
            if let Some(exact) = case.get("p_mpmath").and_then(Value::as_f64) {
                if exact > f64::MIN_POSITIVE {
                    let rel = relative_error(got, exact);
                    worst_exact = worst_exact.max(rel);
                    if b + c <= 128 {
                        // summed in integers: correctly rounded (up to the parse of `exact`)
                        assert!(
                            rel <= f64::EPSILON,
                            "{}: {got:e} vs {exact:e}",
                            case["name"]
                        );
                    }
                    assert!(rel < 1e-12, "{}: {got:e} vs mpmath {exact:e}", case["name"]);
                } else {
                    assert!((got - exact).abs() < 1e-300, "{}", case["name"]);
                }
            }
        }
        eprintln!("mcnemar: max relative error {worst:e} (scipy), {worst_exact:e} (mpmath)");
    }

    #[test]
    fn mcnemar_properties() {
        // P(X >= b) + P(X <= b - 1) = 1, and P(X <= b - 1) = P(X >= c + 1) on n = b + c.
        for &(b, c) in &[
            (3u64, 4u64),
            (40, 60),
            (5_000, 5_100),
            (500_300, 499_700),
            (1, 999_999),
            (700_000, 300_000),
        ] {
            let sum = mcnemar_exact(b, c) + mcnemar_exact(c + 1, b - 1);
            assert!((sum - 1.0).abs() < 1e-12, "({b},{c}) sums to {sum}");
        }
        // Monotone in b for fixed n.
        let n = 10_000u64;
        let mut prev = 1.0;
        for b in (0..=n).step_by(97) {
            let p = mcnemar_exact(b, n - b);
            assert!(p <= prev + 1e-15, "not monotone at b={b}");
            prev = p;
        }
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(0, 123), 1.0);
        assert_eq!(mcnemar_exact(1, 0), 0.5);
        // Far beyond any realistic count: no overflow, no hang, sensible values.
        let p = mcnemar_exact(u64::MAX, u64::MAX);
        assert!((p - 0.5).abs() < 1e-9, "{p}");
        assert_eq!(mcnemar_exact(u64::MAX, 0), 0.0);
        assert_eq!(mcnemar_exact(0, u64::MAX), 1.0);
        // Both sides of the switch to the normal approximation (n = 2^44) agree.
        let n = HUGE_BINOMIAL_N;
        let k = 0.5 * n + 1e7;
        let exact = binomial_half_upper_tail(k, n);
        let normal = ndtr(-(k - 0.5 - 0.5 * n) / (0.5 * n.sqrt()));
        assert!(
            relative_error(exact, normal) < 1e-9,
            "{exact:e} vs {normal:e}"
        );
    }

    #[test]
    fn wilcoxon_matches_scipy() {
        let doc = expected();
        let list = cases(&doc, "wilcoxon");
        assert!(list.len() >= 30);
        let mut seen = std::collections::BTreeSet::new();
        for case in list {
            let d = case_values(case, "diffs");
            let got = wilcoxon_less(&d);
            let name = &case["name"];
            let want = &case["expected"];
            if want.is_null() {
                assert!(got.is_none(), "{name}: expected None, got {got:?}");
                continue;
            }
            let got = got.unwrap_or_else(|| panic!("{name}: got None"));
            let method = match want["method"].as_str().expect("method") {
                "exact" => WilcoxonMethod::Exact,
                "permutation" => WilcoxonMethod::Permutation,
                "approx" => WilcoxonMethod::Approx,
                other => panic!("unknown method {other}"),
            };
            seen.insert(format!("{method:?}"));
            assert_eq!(got.method, method, "{name}");
            assert_eq!(got.n as u64, want["n"].as_u64().expect("n"), "{name}");
            assert_eq!(got.statistic, f(&want["statistic"]), "{name}");
            let p = f(&want["p_value"]);
            assert!(
                close(got.p_value, p),
                "{name}: agentlock {:e} scipy {p:e}",
                got.p_value
            );
            if method != WilcoxonMethod::Approx {
                // Exact dyadic rationals on both sides: p · 2^n is scipy's integer numerator.
                let numerator = want["p_numerator"].as_u64().expect("p_numerator");
                assert_eq!(
                    got.p_value * 2f64.powi(got.n as i32),
                    numerator as f64,
                    "{name}: not bit-exact"
                );
            }
        }
        assert_eq!(seen.len(), 3, "every method exercised: {seen:?}");
    }

    #[test]
    fn wilcoxon_edge_cases() {
        assert_eq!(wilcoxon_less(&[]), None);
        assert_eq!(wilcoxon_less(&[0.0, -0.0, 0.0]), None);
        assert_eq!(
            wilcoxon_less(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
            None
        );
        // Non-finite values are skipped: same answer as without them.
        let d = [-0.5, -1.25, 0.3, -2.0, 0.7, -0.1];
        let mut with_nan = d.to_vec();
        with_nan.extend([f64::NAN, f64::INFINITY]);
        assert_eq!(wilcoxon_less(&d), wilcoxon_less(&with_nan));
        // Huge and tiny magnitudes do not break the ranks.
        let w = wilcoxon_less(&[-1e308, 1e-308, -5e-324, 1e300]).expect("some");
        assert_eq!(w.n, 4);
        assert_eq!(w.statistic, 2.0 + 3.0);
        // Large input, exercising the approximation path quickly.
        let big: Vec<f64> = (0..100_000).map(|i| f64::from(i % 7) - 3.2).collect();
        let w = wilcoxon_less(&big).expect("some");
        assert_eq!(w.method, WilcoxonMethod::Approx);
        assert!(w.p_value < 1e-10);
    }

    #[test]
    fn holm_matches_statsmodels() {
        let doc = expected();
        let list = cases(&doc, "holm");
        assert!(list.len() >= 10);
        for case in list {
            let p = floats(&case["p"]);
            let want = floats(&case["adjusted"]);
            let got = holm(&p);
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert!(close(*g, *w), "{}: {got:?} vs {want:?}", case["name"]);
            }
            // monotone in the order of the raw p-values, never below them, capped at 1
            for i in 0..p.len() {
                assert!(got[i] >= p[i] && got[i] <= 1.0);
                for j in 0..p.len() {
                    if p[i] <= p[j] {
                        assert!(got[i] <= got[j]);
                    }
                }
            }
        }
    }

    #[test]
    fn holm_edge_cases() {
        assert!(holm(&[]).is_empty());
        assert_eq!(holm(&[f64::NAN, 0.01]), vec![1.0, 0.02]);
        assert_eq!(holm(&[-0.5, 2.0]), vec![0.0, 1.0]);
        assert_eq!(holm(&[f64::INFINITY]), vec![1.0]);
    }

    #[test]
    fn percentile_and_mean_match_numpy() {
        let doc = expected();
        let list = cases(&doc, "percentile");
        assert!(list.len() >= 10);
        for case in list {
            let v = floats(&case["values"]);
            let q = f(&case["q"]);
            let want = f(&case["expected"]);
            let got = percentile(&v, q).expect("some");
            assert!(
                (got - want).abs() <= 1e-12 * want.abs().max(1.0),
                "{}: {got} vs {want}",
                case["name"]
            );
            let m = mean(&v).expect("some");
            let want_mean = f(&case["mean"]);
            assert!(
                (m - want_mean).abs() <= 1e-12 * want_mean.abs().max(1.0),
                "{}: mean {m} vs {want_mean}",
                case["name"]
            );
        }
    }

    #[test]
    fn percentile_and_mean_edge_cases() {
        assert_eq!(percentile(&[], 95.0), None);
        assert_eq!(percentile(&[f64::NAN], 95.0), None);
        assert_eq!(percentile(&[1.0], -1.0), None);
        assert_eq!(percentile(&[1.0], 100.5), None);
        assert_eq!(percentile(&[1.0], f64::NAN), None);
        assert_eq!(
            percentile(&[3.0, f64::NAN, 1.0, f64::INFINITY], 50.0),
            Some(2.0)
        );
        assert_eq!(percentile(&[-1e308, 1e308], 0.0), Some(-1e308));
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[f64::NAN, f64::NEG_INFINITY]), None);
        assert_eq!(mean(&[1.0, f64::NAN, 3.0]), Some(2.0));
    }

    /// Tolerance for comparing with scipy: see bench/stats/README.md. With B resamples, the
    /// Monte Carlo standard deviation of a 2.5%/97.5% percentile bound is about
    /// `sqrt(0.025·0.975 / B) / φ(1.96) · SE ≈ 2.67 · SE / sqrt(B)`, SE the bootstrap standard
    /// error: 0.060·SE for our 2000, 0.0085·SE for scipy's 100,000, 0.060·SE combined. We allow
    /// 0.35·SE, about 5.8 standard deviations.
    const BOOTSTRAP_TOLERANCE_SE: f64 = 0.35;

    #[test]
    fn bootstrap_matches_scipy_within_monte_carlo_error() {
        let doc = expected();
        let list = cases(&doc, "bootstrap");
        assert!(list.len() >= 6);
        for case in list {
            let d = case_values(case, "diffs");
            let level = f(&case["level"]);
            let se = f(&case["standard_error"]);
            let (lo, hi) = bootstrap_mean_ci(&d, BOOTSTRAP_SEED, BOOTSTRAP_RESAMPLES, level);
            let (want_lo, want_hi) = (f(&case["low"]), f(&case["high"]));
            // Same data as the script (checks the generator too).
            let m = mean(&d).expect("some");
            assert!(
                (m - f(&case["mean"])).abs() <= 1e-12,
                "{}: mean {m}",
                case["name"]
            );
            let tol = BOOTSTRAP_TOLERANCE_SE * se;
            eprintln!(
                "bootstrap {}: agentlock ({lo:.6}, {hi:.6}) scipy ({want_lo:.6}, {want_hi:.6}) \
                 |Δ|/SE = ({:.3}, {:.3})",
                case["name"],
                (lo - want_lo).abs() / se,
                (hi - want_hi).abs() / se
            );
            assert!(
                (lo - want_lo).abs() <= tol,
                "{}: low {lo} vs {want_lo}",
                case["name"]
            );
            assert!(
                (hi - want_hi).abs() <= tol,
                "{}: high {hi} vs {want_hi}",
                case["name"]
            );
            assert!(lo <= hi);
        }
    }

    /// With 20,000 resamples our Monte Carlo deviation drops to 0.019·SE (0.021·SE combined
    /// with scipy's): 0.12·SE is again about 5.8 standard deviations, a much tighter check that
    /// the interval is scipy's percentile interval and not merely close to it.
    #[test]
    fn bootstrap_converges_to_scipy_with_more_resamples() {
        let doc = expected();
        for case in cases(&doc, "bootstrap") {
            let d = case_values(case, "diffs");
            if d.len() > 1000 {
                continue; // keep the debug-mode test fast
            }
            let se = f(&case["standard_error"]);
            let (lo, hi) = bootstrap_mean_ci(&d, 7, 20_000, f(&case["level"]));
            let (want_lo, want_hi) = (f(&case["low"]), f(&case["high"]));
            assert!(
                (lo - want_lo).abs() <= 0.12 * se && (hi - want_hi).abs() <= 0.12 * se,
                "{}: ({lo}, {hi}) vs scipy ({want_lo}, {want_hi}), SE {se}",
                case["name"]
            );
        }
    }

    #[test]
    fn bootstrap_is_deterministic_across_threads_and_seeds() {
        let doc = expected();
        let d = case_values(&cases(&doc, "bootstrap")[2], "diffs");
        let run = |threads: usize, seed: u64| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| bootstrap_mean_ci(&d, seed, BOOTSTRAP_RESAMPLES, 0.95))
        };
        let one = run(1, BOOTSTRAP_SEED);
        let two = run(2, BOOTSTRAP_SEED);
        let four = run(4, BOOTSTRAP_SEED);
        assert_eq!(one.0.to_bits(), two.0.to_bits());
        assert_eq!(one.1.to_bits(), two.1.to_bits());
        assert_eq!(one.0.to_bits(), four.0.to_bits());
        assert_eq!(one.1.to_bits(), four.1.to_bits());
        assert_eq!(
            one,
            bootstrap_mean_ci(&d, BOOTSTRAP_SEED, BOOTSTRAP_RESAMPLES, 0.95)
        );
        assert_ne!(one, run(2, BOOTSTRAP_SEED ^ 1));
        // Odd sizes (every remainder of n mod 4) are deterministic too.
        for n in 1..=7 {
            let d: Vec<f64> = (0..n).map(|i| f64::from(i).sqrt()).collect();
            let a = bootstrap_mean_ci(&d, 3, 300, 0.9);
            let b = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .expect("pool")
                .install(|| bootstrap_mean_ci(&d, 3, 300, 0.9));
            assert_eq!(
                (a.0.to_bits(), a.1.to_bits()),
                (b.0.to_bits(), b.1.to_bits())
            );
            assert!(a.0 <= a.1 && a.0 >= 0.0 && a.1 <= f64::from(n - 1).sqrt());
        }
    }

    #[test]
    fn bootstrap_edge_cases() {
        let nan = |(a, b): (f64, f64)| a.is_nan() && b.is_nan();
        assert!(nan(bootstrap_mean_ci(&[], 1, 100, 0.95)));
        assert!(nan(bootstrap_mean_ci(&[f64::NAN], 1, 100, 0.95)));
        assert!(nan(bootstrap_mean_ci(&[1.0, 2.0], 1, 0, 0.95)));
        assert!(nan(bootstrap_mean_ci(&[1.0, 2.0], 1, 100, 1.0)));
        assert!(nan(bootstrap_mean_ci(&[1.0, 2.0], 1, 100, f64::NAN)));
        assert_eq!(bootstrap_mean_ci(&[0.25], 1, 100, 0.95), (0.25, 0.25));
        assert_eq!(bootstrap_mean_ci(&[-1.0; 50], 1, 100, 0.95), (-1.0, -1.0));
        let (lo, hi) = bootstrap_mean_ci(&[1.0, f64::INFINITY, 3.0], 9, 500, 0.9);
        assert!((1.0..=3.0).contains(&lo) && (1.0..=3.0).contains(&hi) && lo <= hi);
    }

    #[test]
    fn uniform_index_is_unbiased_enough() {
        let mut rng = SplitMix64(42);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[rng.below(3) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
        assert_eq!(SplitMix64(7).below(1), 0);
    }

    #[test]
    fn erfc_and_ndtr_match_mpmath() {
        let doc = expected();
        let special = &doc["special"];
        let mut worst = 0.0f64;
        for case in special["erfc"].as_array().expect("erfc") {
            let x = f(&case["x"]);
            let want = f(&case["erfc"]);
            let got = erfc(x);
            if want >= f64::MIN_POSITIVE {
                let rel = relative_error(got, want);
                worst = worst.max(rel);
                assert!(
                    rel <= 1e-14,
                    "erfc({x}) = {got:e}, want {want:e} (rel {rel:e})"
                );
                let want_erf = 1.0 - want;
                if x.abs() > 0.5 {
                    assert!((erf(x) - want_erf).abs() <= 1e-15, "erf({x})");
                }
            } else {
                assert!(
                    (got - want).abs() <= 1e-300,
                    "erfc({x}) = {got:e}, want {want:e}"
                );
            }
        }
        eprintln!("erfc: max relative error {worst:e}");
        for case in special["ndtr"].as_array().expect("ndtr") {
            let z = f(&case["z"]);
            let want = f(&case["ndtr"]);
            let got = ndtr(z);
            // ndtr(z) = erfc(-z/√2)/2: rounding z/√2 alone costs ~z²·1.1e-16 relative.
            let tol = 1e-14 * z.abs().powi(2).max(1.0);
            let ok = if want >= f64::MIN_POSITIVE {
                relative_error(got, want) <= tol
            } else {
                (got - want).abs() <= 1e-300 // subnormal: few significant bits either way
            };
            assert!(ok, "ndtr({z}) = {got:e}, want {want:e}");
        }
        assert!(erfc(f64::NAN).is_nan() && erf(f64::NAN).is_nan() && ndtr(f64::NAN).is_nan());
        assert_eq!(erfc(f64::INFINITY), 0.0);
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
        assert_eq!(erf(f64::INFINITY), 1.0);
        assert_eq!(ndtr(f64::NEG_INFINITY), 0.0);
        assert_eq!(ndtr(f64::INFINITY), 1.0);
    }
}
