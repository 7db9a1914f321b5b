//! Student's t distribution: its survival function and its quantile function, for any real
//! number of degrees of freedom (Welch's test gives fractional ones).

use super::gamma::{MAX_TERMS, gamma_q_over_front, ln_beta, ln_gamma};
use super::normal::normal_ppf;

/// Below this, the continued fraction treats a denominator as this instead of 0 (Lentz).
const TINY: f64 = 1e-300;

/// `P(T > t)` for T with `df > 0` degrees of freedom, to about 1e-14 relative in both tails.
///
/// `P(T > t) = ½·I_x(df/2, ½)` with `x = df/(df + t²)`, the regularized incomplete beta
/// function, evaluated:
/// - for `df >= 30` and `t² < df/9` (x near 1), by DiDonato and Morris's asymptotic expansion
///   for `I_x(a, b)` with `a >= 15 >= 1 >= b` (their BGRAT, ACM TOMS 708, §9), in terms of
///   `Q(½, z)` with `z = -(a - ¼)·ln x`: the continued fraction below loses about `df·1e-16`
///   of its value there (1e-9 at 10^7 degrees of freedom), while the expansion needs
///   `ln x` small;
/// - otherwise by the continued fraction (Numerical Recipes §6.4, modified Lentz) of
///   `I_x(a, b)` or `1 - I_(1-x)(b, a)`, whichever converges.
///
/// The logarithms `ln x = -ln_1p(t²/df)` and `ln (1-x) = -ln_1p(df/t²)` are formed without
/// computing `1 - x`, and `B(a, ½)` by [`ln_beta`], which stays accurate for large `a`.
pub(crate) fn student_t_sf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t < 0.0 {
        return 1.0 - student_t_sf(-t, df);
    }
    let t2 = t * t;
    // x = df/(df + t²) and y = 1 - x = t²/(df + t²), each computed without a subtraction.
    let x = 1.0 / (1.0 + t2 / df);
    let y = 1.0 / (1.0 + df / t2);
    if y == 0.0 || t == 0.0 {
        return 0.5;
    }
    if x == 0.0 {
        return 0.0;
    }
    let (a, b) = (0.5 * df, 0.5);
    let ln_x = -(t2 / df).ln_1p();
    if a >= 15.0 && y < 0.1 {
        return 0.5 * beta_large_a_small_b(a, b, ln_x);
    }
    let ln_front = a * ln_x - b * (df / t2).ln_1p() - ln_beta(a, b);
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        0.5 * front * beta_fraction(a, b, x) / a
    } else {
        0.5 * (1.0 - front * beta_fraction(b, a, y) / b)
    }
}

/// `I_x(a, b)` for `a >= 15` and `b <= 1`, from `ln x`, by DiDonato and Morris's expansion
/// (BGRAT): with `ν = a + (b - 1)/2` and `z = -ν·ln x`,
/// `I_x(a, b) = Γ(a+b)/Γ(a)·ν^-b · z^b·e^-z/Γ(b) · Σ p_n·J_n`, where `J_0 = Q(b, z)·Γ(b)·e^z/z^b`,
/// `J_n = ((b+2n-2)(b+2n-1)·J_(n-1) + (z+b+2n-1)·(ln x / 2)^(2n-2)) / (4ν²)`, `p_0 = 1` and
/// `p_n = (b-1)/(2n+1)! + (1/n)·Σ_(m=1)^(n-1) (mb - n)·p_(n-m)/(2m+1)!`. The terms shrink like
/// `(ln x / 2ν)^2n`, so a few suffice.
fn beta_large_a_small_b(a: f64, b: f64, ln_x: f64) -> f64 {
    const TERMS: usize = 30;
    let b_minus_1 = b - 1.0;
    let nu = a + 0.5 * b_minus_1;
    let z = -nu * ln_x;
    // 1/(2n+1)! and p_n, for n = 0..TERMS.
    let mut inverse_factorials = [1.0; TERMS];
    let mut p = [1.0; TERMS];
    let mut j = gamma_q_over_front(b, z);
    let mut sum = j;
    let v = 0.25 / (nu * nu);
    let ln_x_half_squared = 0.25 * ln_x * ln_x;
    let mut power = 1.0;
    for n in 1..TERMS {
        let n_f = n as f64;
        let b_2n = b + 2.0 * (n_f - 1.0);
        j = (b_2n * (b_2n + 1.0) * j + (z + b_2n + 1.0) * power) * v;
        power *= ln_x_half_squared;
        inverse_factorials[n] = inverse_factorials[n - 1] / ((2.0 * n_f) * (2.0 * n_f + 1.0));
        let mut s = 0.0;
        for m in 1..n {
            s += (m as f64 * b - n_f) * inverse_factorials[m] * p[n - m];
        }
        p[n] = b_minus_1 * inverse_factorials[n] + s / n_f;
        let term = p[n] * j;
        sum += term;
        if term.abs() <= f64::EPSILON / 2.0 * sum.abs() {
            break;
        }
    }
    // Γ(a+b)/Γ(a)·ν^-b·z^b·e^-z/Γ(b) in logarithms: z^b·e^-z underflows beyond z ≈ 745
    // while J_0 grows to match.
    let ln_gamma_ratio = ln_gamma(b) - ln_beta(a, b);
    let ln_prefix = ln_gamma_ratio - b * nu.ln() + b * z.ln() - z - ln_gamma(b);
    (ln_prefix + sum.ln()).exp()
}

/// The density of T at `t`, for the Newton steps of [`student_t_isf`].
fn student_t_pdf(t: f64, df: f64) -> f64 {
    (-0.5 * (df + 1.0) * (t * t / df).ln_1p() - 0.5 * df.ln() - ln_beta(0.5 * df, 0.5)).exp()
}

/// The continued fraction of the incomplete beta function, `I_x(a, b)·a·B(a, b) / (x^a (1-x)^b)`
/// (Numerical Recipes' `betacf`, modified Lentz); it converges fast for `x < (a+1)/(a+b+2)`.
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let clamp = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / clamp(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..MAX_TERMS {
        let m = m as f64;
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / clamp(1.0 + even * d);
        c = clamp(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / clamp(1.0 + odd * d);
        c = clamp(1.0 + odd / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < f64::EPSILON / 2.0 {
            break;
        }
    }
    h
}

/// The quantile `t` with `P(T <= t) = p`, for `0 < p < 1` and `df > 0`.
pub(crate) fn student_t_ppf(p: f64, df: f64) -> f64 {
    if p.is_nan() || df.is_nan() || p <= 0.0 || p >= 1.0 || df <= 0.0 {
        return f64::NAN;
    }
    // 1 - p is exact for p >= ½, and the lower quantiles mirror the upper ones.
    if p < 0.5 {
        -student_t_isf(p, df)
    } else {
        student_t_isf(1.0 - p, df)
    }
}

/// The `t >= 0` with `P(T > t) = q`, for `0 < q <= ½`.
///
/// Method: the Cornish-Fisher expansion of t about the normal quantile (exact formulas for one
/// and two degrees of freedom) as a start, then Newton's method on [`student_t_sf`] inside a
/// bracket that every step narrows (bisecting when a step would leave it), until a step is
/// within 4 ulp.
fn student_t_isf(q: f64, df: f64) -> f64 {
    if q >= 0.5 {
        return 0.0;
    }
    let mut t = if df == 1.0 {
        1.0 / (std::f64::consts::PI * q).tan()
    } else if df == 2.0 {
        (1.0 - 2.0 * q) / (2.0 * q * (1.0 - q)).sqrt()
    } else {
        let z = -normal_ppf(q);
        let z2 = z * z;
        z + z * (z2 + 1.0) / (4.0 * df)
            + z * ((5.0 * z2 + 16.0) * z2 + 3.0) / (96.0 * df * df)
            + z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / (384.0 * df * df * df)
    };
    let (mut low, mut high) = (0.0, f64::INFINITY);
    for _ in 0..200 {
        let excess = student_t_sf(t, df) - q;
        if excess == 0.0 {
            break;
        }
        if excess > 0.0 {
            low = t;
        } else {
            high = t;
        }
        let mut next = t + excess / student_t_pdf(t, df);
        if !(next > low && next < high) {
            next = if high.is_finite() {
                0.5 * (low + high)
            } else {
                2.0 * t.max(1.0)
            };
        }
        let step = next - t;
        t = next;
        if step.abs() <= 4.0 * f64::EPSILON * t.abs() || low == high {
            break;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn close(got: f64, want: f64, relative: f64) {
        assert!(
            (got - want).abs() <= relative * want.abs(),
            "{got} vs {want}"
        );
    }

    // References: scipy.stats.t.
    #[test]
    fn survival() {
        assert_eq!(student_t_sf(0.0, 3.0), 0.5);
        close(student_t_sf(1.0, 1.0), 0.25, 1e-14);
        close(student_t_sf(-1.0, 1.0), 0.75, 1e-14);
        close(student_t_sf(2.5, 7.3), 0.019_825_117_332_800_214, 1e-14);
        close(student_t_sf(40.0, 3.0), 1.719_034_039_457_925_3e-5, 1e-13);
        close(student_t_sf(1.5, 2e7), 0.066_807_209_161_336_42, 1e-13);
        close(student_t_sf(30.0, 2e7), 4.956_756_720_393_075e-198, 1e-12);
        // Where the continued fraction lost 1e-9 (mpmath), and either side of the switch
        // to DiDonato and Morris's expansion at t² = df/9.
        close(student_t_sf(1.75, 2e7), 0.040_059_164_531_039_77, 1e-13);
        close(student_t_sf(2.58, 60.0), 0.006_173_075_761_397_544, 1e-14);
        close(student_t_sf(2.59, 60.0), 0.006_014_434_920_936_243, 1e-14);
        close(
            student_t_sf(100.0, 105.0),
            2.922_728_422_004_978e-106,
            1e-12,
        );
        close(
            student_t_sf(591.0, 105.0),
            4.766_997_957_220_851e-187,
            1e-12,
        );
        close(
            student_t_sf(1e4, 100.0),
            3.979_264_851_957_763_7e-302,
            1e-12,
        );
        assert_eq!(student_t_sf(f64::INFINITY, 3.0), 0.0);
        assert!(student_t_sf(1.0, 0.0).is_nan() && student_t_sf(f64::NAN, 2.0).is_nan());
    }

    #[test]
    fn quantile() {
        close(student_t_ppf(0.975, 1.0), 12.706_204_736_174_694, 1e-14);
        close(student_t_ppf(0.975, 2.0), 4.302_652_729_749_462, 1e-14);
        close(student_t_ppf(0.9995, 3.0), 12.923_978_636_687_961, 1e-14);
        close(student_t_ppf(0.025, 9.0), -2.262_157_162_798_205_3, 1e-14);
        close(
            student_t_ppf(0.95, 9_999_999.0),
            1.644_853_779_328_416_4,
            1e-14,
        );
        assert_eq!(student_t_ppf(0.5, 4.0), 0.0);
        assert!(student_t_ppf(1.0, 4.0).is_nan() && student_t_ppf(0.5, -1.0).is_nan());
    }
}
