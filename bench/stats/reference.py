#!/usr/bin/env python3
"""Reference numbers for `src/evidence/stats.rs`, computed with scipy / numpy / statsmodels
(and mpmath, for a 50-60 digit check of the binomial tail and of erfc / the normal CDF).

Writes `expected.json` beside this script. The Rust unit tests of `evidence::stats` read that
file with `include_str!`, so running them needs no Python. Regenerate with

    python3 -m venv /tmp/statsvenv && /tmp/statsvenv/bin/pip install scipy statsmodels mpmath
    /tmp/statsvenv/bin/python bench/stats/reference.py

Every input is deterministic: numpy draws come from `np.random.default_rng(SEED)`, and the big
cases are described by a generator spec (`gen`) that the Rust tests reimplement bit for bit
(SplitMix64, see `splitmix_values`). Inputs written literally are rounded to 12 significant
digits so that any decimal-to-binary parser (serde_json without `float_roundtrip` included)
reads back exactly the double this script used.
"""

import json
import math
import platform
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import scipy
from scipy import stats

try:
    import mpmath
except ImportError:  # pragma: no cover - documented fallback
    mpmath = None

try:
    import statsmodels
    from statsmodels.stats.multitest import multipletests
except ImportError:  # pragma: no cover - documented fallback
    statsmodels = None
    multipletests = None

SEED = 20240611
MASK = (1 << 64) - 1
OUT = Path(__file__).with_name("expected.json")


# ---------------------------------------------------------------------------------------------
# SplitMix64 generator, reimplemented identically in the Rust tests (`splitmix_values`).
# ---------------------------------------------------------------------------------------------
def splitmix64_stream(seed):
    state = seed & MASK
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def splitmix_values(spec):
    """Values described by a generator spec; every operation is exact or a single IEEE op.

    kinds:
      - "quarters": ((z % 21) - 11) / 4      -> many ties and some zeros, mean -0.25
      - "uniform":  (z >> 11) * 2**-53 - shift -> continuous, effectively no ties
      - "ternary":  -1 if z % 100 < lo, +1 if z % 100 >= 100 - hi, else 0 (paired pass/fail)
    """
    gen = splitmix64_stream(spec["seed"])
    out = []
    for _ in range(spec["n"]):
        z = next(gen)
        kind = spec["kind"]
        if kind == "quarters":
            out.append(float((z % 21) - 11) / 4.0)
        elif kind == "uniform":
            out.append(float(z >> 11) * 2.0**-53 - spec["shift"])
        elif kind == "ternary":
            r = z % 100
            if r < spec["lo"]:
                out.append(-1.0)
            elif r >= 100 - spec["hi"]:
                out.append(1.0)
            else:
                out.append(0.0)
        else:
            raise ValueError(kind)
    return np.array(out, dtype=np.float64)


def r12(x):
    """Round to 12 significant digits (exact round trip through any float parser)."""
    return [float(f"{v:.12g}") for v in np.asarray(x, dtype=np.float64)]


def num(x):
    """A float for JSON: finite floats as is (repr round-trips), non-finite as strings."""
    x = float(x)
    if math.isfinite(x):
        return x
    return str(x)


# ---------------------------------------------------------------------------------------------
# McNemar (exact, one-sided): P(X >= b), X ~ Binomial(b + c, 1/2)
# ---------------------------------------------------------------------------------------------
def mcnemar_cases():
    pairs = [
        (0, 0), (1, 0), (0, 1), (1, 1), (2, 1), (3, 7), (7, 3), (5, 0), (0, 5), (10, 10),
        (15, 5), (30, 50), (50, 30), (100, 0), (0, 100), (60, 40), (1000, 0), (1074, 0),
        (1100, 0), (50100, 49900), (51000, 49000), (52500, 47500), (49000, 51000),
        (50000, 50000), (60000, 40000), (500000, 500000), (500500, 499500),
        (501000, 499000), (510000, 490000), (518600, 481400), (400000, 600000),
        (999999, 1), (12, 3), (40, 17), (123, 77),
        (50005000, 49995000), (50000000, 50000000), (50040000, 49960000),
    ]
    cases = []
    for b, c in pairs:
        if b + c == 0:
            p, source = 1.0, "convention (binomtest needs n >= 1)"
        else:
            p = stats.binomtest(b, b + c, 0.5, alternative="greater").pvalue
            source = "scipy.stats.binomtest(b, b+c, 0.5, alternative='greater').pvalue"
        case = {
            "name": f"b={b},c={c}", "regressed": b, "improved": c, "p": num(p), "source": source,
        }
        if mpmath is not None:
            case["p_mpmath"] = num(binomial_half_tail_mpmath(b, b + c))
        cases.append(case)
    return cases


def binomial_half_tail_mpmath(b, n):
    """P(X >= b), X ~ Binomial(n, 1/2), summed term by term with 60-digit mpmath.

    An independent check of the binomial tail: in the far tails of n ~ 10^6 boost's incomplete
    beta (behind scipy's binomtest) is off by up to a few 1e-12 relative; this is not.
    """
    if b <= 0:
        return 1.0
    if 2 * b <= n:  # complement: the summed tail is then the smaller one
        return float(1 - _upper_tail_mpmath(n - b + 1, n))
    return float(_upper_tail_mpmath(b, n))


def _upper_tail_mpmath(b, n):
    with mpmath.workdps(60):
        k, big_n = mpmath.mpf(b), mpmath.mpf(n)
        term = mpmath.exp(mpmath.loggamma(big_n + 1) - mpmath.loggamma(k + 1)
                          - mpmath.loggamma(big_n - k + 1) - big_n * mpmath.log(2))
        total, j, eps = mpmath.mpf(0), b, mpmath.mpf(10) ** -40
        while j <= n:
            total += term
            if term < total * eps:
                break
            term = term * (big_n - j) / (j + 1)
            j += 1
        return total


# ---------------------------------------------------------------------------------------------
# Wilcoxon signed-rank, alternative='less', scipy defaults
# ---------------------------------------------------------------------------------------------
def wilcoxon_label(d):
    """The method scipy's method='auto' picks (scipy 1.17 `_wilcoxon._wilcoxon_nd`)."""
    n_all = d.size
    nz = d[d != 0]
    n_zero = n_all - nz.size
    has_ties = np.unique(np.abs(nz)).size != nz.size
    if n_all > 50:
        return "approx"
    if not (has_ties or n_zero > 0):
        return "exact"
    if n_all <= 13:
        return "permutation"
    return "approx"


def wilcoxon_expected(d):
    nz = d[d != 0]
    if nz.size == 0:
        return None
    res = stats.wilcoxon(d, alternative="less")
    label = wilcoxon_label(d)
    # Cross-check the rule: asking scipy for the method explicitly must give the same answer.
    if label == "exact":
        forced = stats.wilcoxon(d, alternative="less", method="exact")
    elif label == "approx":
        forced = stats.wilcoxon(d, alternative="less", method="asymptotic")
    else:
        forced = stats.wilcoxon(d, alternative="less", method=stats.PermutationMethod())
    assert forced.pvalue == res.pvalue and forced.statistic == res.statistic, (d, label)
    out = {
        "n": int(nz.size),
        "statistic": float(res.statistic),
        "p_value": num(res.pvalue),
        "method": label,
    }
    if label != "approx":
        # Exact and permutation p-values are dyadic: p = p_numerator / 2**n exactly. Stored as
        # an integer so the Rust test can check bit-exactness independently of float parsing.
        scaled = Fraction(float(res.pvalue)) * 2 ** int(nz.size)
        assert scaled.denominator == 1, (d, res.pvalue)
        out["p_numerator"] = int(scaled)
    return out


def wilcoxon_cases(rng):
    cases = []

    def add(name, d=None, gen=None):
        if gen is not None:
            values = splitmix_values(gen)
            entry = {"name": name, "gen": gen}
        else:
            values = np.array(r12(d), dtype=np.float64)
            entry = {"name": name, "diffs": [float(v) for v in values]}
        entry["expected"] = wilcoxon_expected(values)
        cases.append(entry)

    # exact: n = 1..30, no ties, no zeros, mild negative shift
    for n in list(range(1, 31)):
        add(f"exact n={n}", rng.normal(-0.3, 1.0, n))
    add("exact n=50 (largest exact)", rng.normal(-0.2, 1.0, 50))
    add("exact n=40 strong drop", rng.normal(-1.5, 1.0, 40))
    add("exact n=12 improvement", rng.normal(0.8, 1.0, 12))
    add("all positive n=10", np.abs(rng.normal(0, 1, 10)) + 0.01)
    add("all negative n=10", -np.abs(rng.normal(0, 1, 10)) - 0.01)
    add("all negative n=40", -np.abs(rng.normal(0, 1, 40)) - 0.01)
    add("all positive n=40", np.abs(rng.normal(0, 1, 40)) + 0.01)
    # zeros and ties
    add("zeros n=10 (permutation)", [0.0, -0.5, 0.3, -1.2, 0.0, -0.7, 0.9, -0.1, -2.0, 0.4])
    add("ties n=8 (permutation)", [-1, -1, 0.5, -2, 2, -0.5, -1, 3])
    add("ties+zeros n=13 (permutation)", [-1, -1, 0, 0.5, -2, 2, -0.5, -1, 3, 0, -2, -2, 1])
    add("ties n=14 (approx)", [-1, -1, 0.5, -2, 2, -0.5, -1, 3, -2, -2, 1, -3, 0.5, -1])
    add("one zero n=14 (approx)", [0.0] + list(rng.normal(-0.4, 1, 13)))
    add("zeros n=40 (approx)", np.where(rng.random(40) < 0.2, 0.0, rng.normal(-0.3, 1, 40)))
    add("ties n=50 (approx)", np.round(rng.normal(-0.3, 1, 50) * 2) / 2)
    add("scores in {0,0.5,1} n=30", rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], 30,
                                                p=[0.2, 0.2, 0.3, 0.2, 0.1]))
    add("all zero except one n=6", [0, 0, 0, -0.25, 0, 0])
    add("all zero n=5 (none)", [0.0, 0.0, 0.0, 0.0, 0.0])
    add("n=1 positive", [0.7])
    add("n=1 negative", [-0.7])
    # above the exact threshold
    add("no ties n=51 (approx)", rng.normal(-0.2, 1.0, 51))
    add("no ties n=60 (approx)", rng.normal(-0.3, 1.0, 60))
    add("no ties n=200 (approx)", rng.normal(0.05, 1.0, 200))
    add("all negative n=200 (approx, tiny p)", -np.abs(rng.normal(0, 1, 200)) - 0.01)
    add("all negative n=800 (approx, far tail)", -np.abs(rng.normal(0, 1, 800)) - 0.01)
    add("all negative n=1800 (approx, p near 1e-295)", -np.abs(rng.normal(0, 1, 1800)) - 0.01)
    add("all negative n=2000 (approx, underflows to 0)", -np.abs(rng.normal(0, 1, 2000)) - 0.01)
    # large n via generator
    add("quarters n=5000 (ties+zeros)", gen={"kind": "quarters", "seed": 7, "n": 5000})
    add("uniform n=5000 (no ties)",
        gen={"kind": "uniform", "seed": 11, "n": 5000, "shift": 0.51})
    add("ternary n=5000 (pass/fail diffs)",
        gen={"kind": "ternary", "seed": 13, "n": 5000, "lo": 12, "hi": 10})
    return cases


# ---------------------------------------------------------------------------------------------
# Holm
# ---------------------------------------------------------------------------------------------
def holm_python(p):
    """Independent straightforward Holm step-down (used when statsmodels is missing)."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, p[i] * (m - rank))
        out[i] = min(1.0, running)
    return out


def holm_cases(rng):
    vectors = [
        [],
        [0.01],
        [0.01, 0.04, 0.03],
        [0.01, 0.01, 0.02],
        [0.04, 0.3, 0.001, 0.02, 0.8],
        [1.0, 0.5, 1.0, 0.01],
        [0.5, 0.5, 0.5, 0.5, 0.5],
        [0.0, 0.2, 0.0, 0.049],
        [1.0, 1.0, 1.0],
        [0.003, 0.003, 0.003, 0.2, 0.011, 0.0125],
        r12(rng.random(20) ** 3),
        r12(rng.random(7) * 0.1),
    ]
    cases = []
    for p in vectors:
        simple = holm_python(p)
        if p and multipletests is not None:
            adj = [float(v) for v in multipletests(p, method="holm")[1]]
            assert np.allclose(adj, simple, rtol=1e-15, atol=0), (p, adj, simple)
            source = "statsmodels multipletests(p, method='holm')[1]"
        else:
            adj = simple
            source = "holm_python (statsmodels rejects empty input)" if not p else "holm_python"
        cases.append({"name": f"m={len(p)}", "p": p, "adjusted": adj, "source": source})
    return cases


# ---------------------------------------------------------------------------------------------
# Percentile (numpy default 'linear') and mean
# ---------------------------------------------------------------------------------------------
def percentile_cases(rng):
    latency = r12(np.exp(rng.normal(5.0, 0.6, 1000)))
    small = r12(rng.normal(0, 1, 17))
    specs = [
        ("single value", [42.5], 95.0),
        ("two values p95", [1.0, 2.0], 95.0),
        ("two values p50", [3.0, 1.0], 50.0),
        ("ties", [5, 1, 5, 5, 2, 5, 9], 95.0),
        ("latency n=1000 p95", latency, 95.0),
        ("latency n=1000 p99", latency, 99.0),
        ("latency n=1000 p50", latency, 50.0),
        ("n=17 p0", small, 0.0),
        ("n=17 p100", small, 100.0),
        ("n=17 p2.5", small, 2.5),
        ("n=17 p33.3", small, 33.3),
        ("n=20 p95 unsorted ints", [float(v) for v in rng.integers(0, 1000, 20)], 95.0),
    ]
    cases = []
    for name, values, q in specs:
        v = np.array(values, dtype=np.float64)
        cases.append({
            "name": name,
            "values": [float(x) for x in v],
            "q": q,
            "expected": float(np.percentile(v, q)),
            "mean": float(np.mean(v)),
        })
    return cases


# ---------------------------------------------------------------------------------------------
# Bootstrap (percentile interval of the mean)
# ---------------------------------------------------------------------------------------------
BOOT_RESAMPLES = 100_000


def bootstrap_cases(rng):
    cases = []

    def add(name, d=None, gen=None):
        if gen is not None:
            values = splitmix_values(gen)
            entry = {"name": name, "gen": gen}
        else:
            values = np.array(r12(d), dtype=np.float64)
            entry = {"name": name, "diffs": [float(v) for v in values]}
        res = stats.bootstrap(
            (values,), np.mean, method="percentile", confidence_level=0.95,
            n_resamples=BOOT_RESAMPLES, batch=2000, rng=np.random.default_rng(SEED + len(cases)),
        )
        entry.update({
            "level": 0.95,
            "scipy_n_resamples": BOOT_RESAMPLES,
            "low": float(res.confidence_interval.low),
            "high": float(res.confidence_interval.high),
            "standard_error": float(res.standard_error),
            "mean": float(np.mean(values)),
        })
        cases.append(entry)

    add("normal n=10", rng.normal(-0.1, 1.0, 10))
    add("normal n=30", rng.normal(0.0, 0.5, 30))
    add("normal n=100", rng.normal(-0.05, 0.3, 100))
    add("skewed n=100", rng.exponential(1.0, 100) - 1.0)
    add("normal n=1000", rng.normal(0.02, 1.0, 1000))
    add("ternary n=2000 (pass/fail diffs)",
        gen={"kind": "ternary", "seed": 17, "n": 2000, "lo": 8, "hi": 5})
    add("uniform n=5000", gen={"kind": "uniform", "seed": 19, "n": 5000, "shift": 0.5})
    return cases


# ---------------------------------------------------------------------------------------------
# erfc and the normal CDF (the module's own special function), against 50-digit mpmath
# ---------------------------------------------------------------------------------------------
ERF_POINTS = [
    -6.0, -3.0, -1.0, -0.5, -0.46875, -0.2, -1e-10, 0.0, 1e-300, 1e-17, 1e-8, 0.1, 0.3,
    0.46875, 0.46876, 0.5, 0.7, 0.7071, 0.9, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 3.99, 4.0, 4.01, 5.0,
    6.0, 8.0, 10.0, 12.5, 15.0, 20.0, 25.0, 26.0, 26.5, 26.6, 27.0,
]
NDTR_POINTS = [
    -38.4, -37.5, -35.0, -30.0, -20.0, -10.0, -8.0, -5.0, -3.0, -1.959963984540054, -1.0,
    -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 1.5, 3.0, 8.0,
]


def special_cases():
    if mpmath is not None:
        mpmath.mp.dps = 50
        erfc = lambda x: float(mpmath.erfc(mpmath.mpf(x)))
        ndtr = lambda z: float(mpmath.ncdf(mpmath.mpf(z)))
        source = f"mpmath {mpmath.__version__}, 50 digits"
    else:  # pragma: no cover
        from scipy import special
        erfc, ndtr, source = special.erfc, special.ndtr, "scipy.special"
    return {
        "source": source,
        "erfc": [{"x": x, "erfc": erfc(x)} for x in ERF_POINTS],
        "ndtr": [{"z": z, "ndtr": ndtr(z)} for z in NDTR_POINTS],
    }


def main():
    rng = np.random.default_rng(SEED)
    doc = {
        "meta": {
            "generated_by": "bench/stats/reference.py",
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "statsmodels": statsmodels.__version__ if statsmodels else None,
            "mpmath": mpmath.__version__ if mpmath else None,
            "seed": SEED,
        },
        "mcnemar": mcnemar_cases(),
        "wilcoxon": wilcoxon_cases(rng),
        "holm": holm_cases(rng),
        "percentile": percentile_cases(rng),
        "bootstrap": bootstrap_cases(rng),
        "special": special_cases(),
    }
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    OUT.write_text(text)
    counts = {k: len(v) for k, v in doc.items() if isinstance(v, list)}
    counts["erfc"] = len(doc["special"]["erfc"])
    counts["ndtr"] = len(doc["special"]["ndtr"])
    print(f"wrote {OUT} ({len(text)} bytes): {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
