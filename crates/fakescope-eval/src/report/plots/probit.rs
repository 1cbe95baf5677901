//! The probit function Φ⁻¹ (inverse of the standard normal CDF), for the axes of DET plots.
//!
//! A DET plot draws miss rate against false alarm rate on *normal deviate* scales: a rate `p` is
//! placed at `Φ⁻¹(p)`. Two Gaussian score distributions then give a straight line, and the tails
//! (0.1 %, 1 %) get as much room as the middle.
//!
//! This is Wichura's algorithm AS 241 (`PPND16`, Applied Statistics 37, 1988): three rational
//! approximations, one for the centre (|p − ½| ≤ 0.425) and two for the tails in the variable
//! `r = √(−ln min(p, 1 − p))`, good to about 1e-16 relative.

/// Evaluates the polynomial with coefficients `c` (lowest degree first) at `x`, by Horner's rule.
fn poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
}

/// Centre, |p − ½| ≤ 0.425: Φ⁻¹(p) = q · A(r) / B(r) with q = p − ½ and r = 0.180625 − q².
const A: [f64; 8] = [
    3.3871328727963665,
    133.14166789178438,
    1971.5909503065513,
    13731.69376550946,
    45921.95393154987,
    67265.7709270087,
    33430.57558358813,
    2509.0809287301227,
];
const B: [f64; 8] = [
    1.0,
    42.31333070160091,
    687.1870074920579,
    5394.196021424751,
    21213.794301586597,
    39307.89580009271,
    28729.085735721943,
    5226.495278852854,
];
/// Near tail, r ≤ 5 (p down to about 1e-11): Φ⁻¹ = ±C(r − 1.6) / D(r − 1.6).
const C: [f64; 8] = [
    1.4234371107496835,
    4.630337846156546,
    5.769497221460691,
    3.6478483247632045,
    1.2704582524523684,
    0.2417807251774506,
    0.022723844989269184,
    0.0007745450142783414,
];
const D: [f64; 8] = [
    1.0,
    2.053191626637759,
    1.6763848301838038,
    0.6897673349851,
    0.14810397642748008,
    0.015198666563616457,
    0.0005475938084995345,
    1.0507500716444169e-09,
];
/// Far tail, r > 5: Φ⁻¹ = ±E(r − 5) / F(r − 5).
const E: [f64; 8] = [
    6.657904643501103,
    5.463784911164114,
    1.7848265399172913,
    0.29656057182850487,
    0.026532189526576124,
    0.0012426609473880784,
    2.7115555687434876e-05,
    2.0103343992922881e-07,
];
const F: [f64; 8] = [
    1.0,
    0.599832206555888,
    0.1369298809227358,
    0.014875361290850615,
    0.0007868691311456133,
    1.8463183175100548e-05,
    1.421511758316446e-07,
    2.0442631033899397e-15,
];

/// Φ⁻¹(p): the standard normal deviate below which a fraction `p` of the mass lies.
///
/// `probit(0.975) ≈ 1.959964`; `probit(0) = −∞`, `probit(1) = +∞`, and NaN (or `p` outside
/// [0, 1]) gives NaN. Callers that plot rates clamp them away from 0 and 1 first.
pub(crate) fn probit(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    if tail == 0.0 {
        return if q < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let r = (-tail.ln()).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -z } else { z }
}

#[cfg(test)]
mod tests {
    use super::probit;

    /// (p, Φ⁻¹(p)) from SciPy 1.x, printed with repr by
    /// `python -c "from scipy.special import ndtri; print(float(ndtri(p)))"`.
    const SCIPY_NDTRI: [(f64, f64); 22] = [
        (1e-300, -37.0470962993612),
        (1e-20, -9.262340089798409),
        (1e-10, -6.361340902404056),
        (1e-05, -4.264890793922825),
        (0.001, -3.090232306167813),
        (0.005, -2.575829303548901),
        (0.01, -2.3263478740408408),
        (0.02, -2.053748910631823),
        (0.025, -1.9599639845400545),
        (0.05, -1.6448536269514729),
        (0.1, -1.2815515655446004),
        (0.2, -0.8416212335729142),
        (0.3, -0.5244005127080409),
        (0.4, -0.2533471031357997),
        (0.425, -0.18911842627279252),
        (0.5, 0.0),
        (0.6, 0.2533471031357997),
        (0.75, 0.6744897501960817),
        (0.9, 1.2815515655446004),
        (0.975, 1.959963984540054),
        (0.999, 3.090232306167813),
        (0.9999999999, 6.361340889697422),
    ];

    #[test]
    fn matches_scipy_ndtri() {
        for (p, want) in SCIPY_NDTRI {
            let got = probit(p);
            let tol = 1e-14 * want.abs().max(1.0);
            assert!(
                (got - want).abs() <= tol,
                "probit({p}) = {got}, scipy {want}"
            );
        }
    }

    #[test]
    fn known_quantile_and_symmetry() {
        assert!((probit(0.975) - 1.959963984540054).abs() < 1e-15);
        // Powers of two, so that 1 − p is exact and both halves see the same tail.
        for p in [
            2f64.powi(-40),
            2f64.powi(-20),
            2f64.powi(-10),
            0.03125,
            0.25,
            0.375,
        ] {
            let (lo, hi) = (probit(p), probit(1.0 - p));
            assert!((lo + hi).abs() <= 1e-15 * lo.abs(), "{p}: {lo} vs {hi}");
        }
    }

    #[test]
    fn edges() {
        assert_eq!(probit(0.0), f64::NEG_INFINITY);
        assert_eq!(probit(1.0), f64::INFINITY);
        assert!(probit(-0.1).is_nan());
        assert!(probit(1.5).is_nan());
        assert!(probit(f64::NAN).is_nan());
    }
}
