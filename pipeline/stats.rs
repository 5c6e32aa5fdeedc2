//! The statistics of DESIGN §5, as plain functions on numbers: Wilson score
//! intervals (raw and on a Kish effective size), post-stratified rates, the
//! Mann-Kendall trend test with Sen's slope, and Benjamini-Hochberg q-values
//! for many tests at once. Each matches an independent reference
//! (statsmodels, pymannkendall) in the tests below or in `tests/it`.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959963984540054;

/// Wilson score interval for `successes` of `n` (n may be an effective,
/// non-integer size). None when n is 0: no rate, no interval.
pub fn wilson(successes: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n <= 0.0 {
        return None;
    }
    let p = successes / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

/// Kish's effective sample size of weights: (Σw)² / Σw².
pub fn kish(weights: impl IntoIterator<Item = f64>) -> f64 {
    let (s, s2) = weights
        .into_iter()
        .fold((0.0, 0.0), |(s, s2), w| (s + w, s2 + w * w));
    if s2 == 0.0 {
        0.0
    } else {
        s * s / s2
    }
}

/// One quota group of a subject-period: its quota share, valid ratings and
/// satisfied ratings.
#[derive(Debug, Clone, Copy)]
pub struct Stratum {
    pub quota: f64,
    pub valid: f64,
    pub satisfied: f64,
}

/// Post-stratified rate `Σ Q_g p_g / Σ_{g present} Q_g`, the coverage
/// `Σ_{g present} Q_g` and Kish's effective size of the weights
/// `w = Q_g / n_g`. None when no group has a valid rating.
pub fn post_stratified(strata: &[Stratum]) -> Option<(f64, f64, f64)> {
    let present: Vec<&Stratum> = strata.iter().filter(|s| s.valid > 0.0).collect();
    let coverage: f64 = present.iter().map(|s| s.quota).sum();
    if present.is_empty() || coverage <= 0.0 {
        return None;
    }
    let rate = present
        .iter()
        .map(|s| s.quota * s.satisfied / s.valid)
        .sum::<f64>()
        / coverage;
    // Each of the n_g ratings of a group weighs Q_g / n_g.
    let (sw, sw2) = present.iter().fold((0.0, 0.0), |(a, b), s| {
        let w = s.quota / s.valid;
        (a + w * s.valid, b + w * w * s.valid)
    });
    Some((rate, coverage, sw * sw / sw2))
}

/// The Mann-Kendall test as `pymannkendall.original_test` computes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    pub s: f64,
    pub var_s: f64,
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
    pub tau: f64,
    pub sen_slope: f64,
}

/// None for fewer than two values (the caller asks for at least four).
pub fn mann_kendall(x: &[f64]) -> Option<MannKendall> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let mut s = 0.0;
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    for k in 0..n {
        for j in k + 1..n {
            s += sign(x[j] - x[k]);
            slopes.push((x[j] - x[k]) / (j - k) as f64);
        }
    }
    let nf = n as f64;
    let mut sorted = x.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("no NaN in a trend series"));
    // Tie correction: Σ t(t-1)(2t+5) over groups of equal values.
    let mut ties = 0.0;
    let mut i = 0;
    while i < n {
        let t = sorted[i..].iter().take_while(|v| **v == sorted[i]).count();
        let tf = t as f64;
        ties += tf * (tf - 1.0) * (2.0 * tf + 5.0);
        i += t;
    }
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    let z = if var_s <= 0.0 {
        0.0
    } else if s > 0.0 {
        (s - 1.0) / var_s.sqrt()
    } else if s < 0.0 {
        (s + 1.0) / var_s.sqrt()
    } else {
        0.0
    };
    let p = libm::erfc(z.abs() / std::f64::consts::SQRT_2);
    Some(MannKendall {
        s,
        var_s,
        z,
        p,
        tau: s / (0.5 * nf * (nf - 1.0)),
        sen_slope: median(&mut slopes),
    })
}

fn sign(d: f64) -> f64 {
    if d > 0.0 {
        1.0
    } else if d < 0.0 {
        -1.0
    } else {
        0.0
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Benjamini-Hochberg q-values of a family of p-values, in their order, as
/// statsmodels' `multipletests(p, method="fdr_bh")`: with the m p-values
/// sorted ascending, q_(i) = min over j ≥ i of m·p_(j)/j, at most 1. Tied
/// p-values get the same q whatever their order (the minimum over the tie
/// reaches its last member). A flag on q < 0.05 keeps the expected share of
/// false flags among all flags at 5%, however many series are tested.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![0.0; m];
    let mut running = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running;
    }
    q
}

/// P(X ≥ x) for X ~ Binomial(n, p): the one-sided binomial test's p-value
/// (scipy `binom.sf(x - 1, n, p)`). The terms are summed in log space,
/// scaled by the largest, from x up (or 1 − the lower sum when x lies
/// below the mode, so neither side loses the digits of the other).
pub fn binomial_upper_tail(x: u64, n: u64, p: f64) -> f64 {
    if x == 0 || p >= 1.0 {
        return 1.0;
    }
    if x > n || p <= 0.0 {
        return 0.0;
    }
    let (nf, lp, lq) = (n as f64, p.ln(), (-p).ln_1p());
    let log_pmf = |k: u64| -> f64 {
        let k = k as f64;
        libm::lgamma(nf + 1.0) - libm::lgamma(k + 1.0) - libm::lgamma(nf - k + 1.0)
            + k * lp
            + (nf - k) * lq
    };
    let log_sum = |ks: &mut dyn Iterator<Item = u64>| -> f64 {
        let logs: Vec<f64> = ks.map(log_pmf).collect();
        let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        top + logs.iter().map(|l| (l - top).exp()).sum::<f64>().ln()
    };
    let mode = ((nf + 1.0) * p).floor() as u64;
    if x > mode {
        log_sum(&mut (x..=n)).exp().min(1.0)
    } else {
        (1.0 - log_sum(&mut (0..x)).exp()).clamp(0.0, 1.0)
    }
}

/// P(Z ≥ z) for a standard normal Z (scipy `norm.sf(z)`).
pub fn normal_upper_tail(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// Splits `total` in proportion to integer `weights` (exact arithmetic): each
/// gets floor(total·w/W); the remaining units go to the largest remainders,
/// ties to the lower index. The sum is exactly `total`.
pub fn largest_remainder(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let share = |w: u64| u128::from(total) * u128::from(w);
    let mut counts: Vec<u64> = weights.iter().map(|&w| (share(w) / sum) as u64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(share(weights[i]) % sum), i));
    let short = total - counts.iter().sum::<u64>();
    for &i in order.iter().take(short as usize) {
        counts[i] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_sums_exactly() {
        assert_eq!(largest_remainder(10, &[2, 7, 1]), vec![2, 7, 1]);
        // 4.4, 15.4, 2.2: one unit left, the 0.4 tie goes to the lower index.
        assert_eq!(largest_remainder(22, &[2, 7, 1]), vec![5, 15, 2]);
        assert_eq!(largest_remainder(0, &[2, 7, 1]), vec![0, 0, 0]);
    }

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels.stats.proportion.proportion_confint(count, nobs, method="wilson")
        let (lo, hi) = wilson(1867.0, 1977.0, Z95).unwrap();
        close(lo, 0.9333671689, 1e-9);
        close(hi, 0.9536296133, 1e-9);
        let (lo, hi) = wilson(18.0, 20.0, Z95).unwrap();
        close(lo, 0.6989663548, 1e-9);
        close(hi, 0.9721335188, 1e-9);
        assert_eq!(wilson(0.0, 0.0, Z95), None);
        let (lo, hi) = wilson(0.0, 10.0, Z95).unwrap();
        assert_eq!(lo, 0.0);
        assert!(hi > 0.0 && hi < 0.35);
    }

    #[test]
    fn mann_kendall_matches_pymannkendall_on_the_published_example() {
        let x = [
            12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7,
        ];
        let mk = mann_kendall(&x).unwrap();
        assert_eq!(mk.s, 54.0);
        close(mk.var_s, 332.6667, 1e-4);
        close(mk.z, 2.905837, 1e-6);
        close(mk.p, 0.003663, 1e-6);
        close(mk.sen_slope, 0.566667, 1e-6);
        close(mk.tau, 54.0 / 91.0, 1e-12);
    }

    #[test]
    fn mann_kendall_matches_pymannkendall_with_ties_and_declines() {
        // pymannkendall 1.4 original_test, run on these series.
        /// A series and pymannkendall's s, var_s, z, p, tau and slope of it.
        type Case = (&'static [f64], f64, f64, f64, f64, f64, f64);
        let cases: [Case; 3] = [
            (
                &[0.95, 0.93, 0.93, 0.90, 0.88, 0.88, 0.85, 0.80],
                -26.0,
                63.333333,
                -3.141404312187716,
                0.0016813974144125332,
                -0.9285714285714286,
                -0.017083333333333332,
            ),
            (
                &[0.7, 0.7, 0.8, 0.7, 0.9, 0.7, 0.8, 0.8, 0.9],
                16.0,
                78.666667,
                1.6912035630063649,
                0.09079793075239517,
                0.4444444444444444,
                0.01666666666666668,
            ),
            (
                &[0.91, 0.92, 0.90, 0.93],
                2.0,
                8.666667,
                0.3396831102433787,
                0.7340951823194757,
                0.3333333333333333,
                0.005833333333333338,
            ),
        ];
        for (x, s, var_s, z, p, tau, slope) in cases {
            let mk = mann_kendall(x).unwrap();
            assert_eq!(mk.s, s);
            close(mk.var_s, var_s, 1e-6);
            close(mk.z, z, 1e-12);
            close(mk.p, p, 1e-12);
            close(mk.tau, tau, 1e-12);
            close(mk.sen_slope, slope, 1e-12);
        }
    }

    #[test]
    fn wilson_matches_statsmodels_on_more_counts() {
        for (c, n, lo, hi) in [
            (7.0, 15.0, 0.24809535365737387, 0.698830199745016),
            (100.0, 101.0, 0.9460328420055449, 0.9982500887510318),
            (5.5, 12.3, 0.2168517800107573, 0.7026102702016226),
        ] {
            let (l, h) = wilson(c, n, Z95).unwrap();
            close(l, lo, 1e-12);
            close(h, hi, 1e-12);
        }
    }

    #[test]
    fn mann_kendall_edge_cases() {
        let flat = mann_kendall(&[0.8, 0.8, 0.8, 0.8]).unwrap();
        assert_eq!(
            (flat.s, flat.z, flat.p, flat.sen_slope),
            (0.0, 0.0, 1.0, 0.0)
        );
        assert!(mann_kendall(&[0.9]).is_none());
    }

    #[test]
    fn post_stratification_by_hand() {
        // 机关 quota 55/35/10; groups rated 40 (36 satisfied), 10 (9), none.
        let strata = [
            Stratum {
                quota: 0.55,
                valid: 40.0,
                satisfied: 36.0,
            },
            Stratum {
                quota: 0.35,
                valid: 10.0,
                satisfied: 9.0,
            },
            Stratum {
                quota: 0.10,
                valid: 0.0,
                satisfied: 0.0,
            },
        ];
        let (rate, coverage, n_eff) = post_stratified(&strata).unwrap();
        close(rate, (0.55 * 0.9 + 0.35 * 0.9) / 0.90, 1e-12);
        close(coverage, 0.90, 1e-12);
        // w = 0.55/40 (40 times), 0.35/10 (10 times): (0.9)² / (0.55²/40 + 0.35²/10)
        close(n_eff, 0.81 / (0.3025 / 40.0 + 0.1225 / 10.0), 1e-9);
        assert!(post_stratified(&[Stratum {
            quota: 1.0,
            valid: 0.0,
            satisfied: 0.0
        }])
        .is_none());
        close(kish([1.0, 1.0, 1.0, 1.0]), 4.0, 1e-12);
    }

    #[test]
    fn binomial_and_normal_tails_match_scipy() {
        // tests/reference/tails.py wrote this with scipy once.
        let text = include_str!("../tests/reference/tails.csv");
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let want: f64 = f[4].parse().unwrap();
            let got = match f[0] {
                "binom" => binomial_upper_tail(
                    f[1].parse().unwrap(),
                    f[2].parse().unwrap(),
                    f[3].parse().unwrap(),
                ),
                _ => normal_upper_tail(f[3].parse().unwrap()),
            };
            let tol = 1e-9 * want.abs().max(1e-300);
            assert!((got - want).abs() <= tol.max(1e-15), "{line}: got {got:e}");
        }
    }
}
