//! # Sample quantiles: one definition for the whole crate
//!
//! "The p99 of these latencies" needs a rule: a sample of n numbers has no value that exactly
//! 99 % of it lies below unless n is a multiple of 100, and the common rules differ in what they
//! do in between. This crate uses **one** rule everywhere a sample's quantile is reported
//! ([`quantile`], [`quantiles`]): the median, p99 and p99.9 of
//! [`reliability::tail_summary`], the chat lab's [`chat::ChatReport::p99_delivery_ms`], the
//! p50/p99 of [`replication::RunReport::write_latency_percentile`] and of
//! [`replication::sweep_rw`], and [`Dist::quantile`](crate::dist::Dist::quantile) of an
//! empirical distribution ([`Dist::empirical`](crate::dist::Dist::empirical)).
//!
//! ## The definition: Hyndman & Fan type 7
//! Sort the n values, x₍₀₎ ≤ x₍₁₎ ≤ … ≤ x₍ₙ₋₁₎ (0-based order statistics), and for
//! 0 ≤ q ≤ 1 interpolate linearly between the two order statistics around position h:
//!
//! ```text
//! h = (n − 1) · q,    Q(q) = x₍⌊h⌋₎ + (h − ⌊h⌋) · (x₍⌊h⌋+1₎ − x₍⌊h⌋₎)
//! ```
//!
//! (when ⌊h⌋ = n − 1, Q(q) = x₍ₙ₋₁₎). This is definition 7 of Hyndman & Fan (1996), the
//! default of numpy (`np.quantile`, `method="linear"`), R (`quantile(type = 7)`), Julia
//! (`Statistics.quantile`) and spreadsheets' `PERCENTILE`/`PERCENTILE.INC`, and the one
//! notebook 00 teaches. Why this one:
//!
//! * **It is what the students' tools compute**, so a number from a notebook can be checked
//!   against numpy or R without a footnote.
//! * **Q(0) is the minimum, Q(1) the maximum, Q(0.5) the usual median** (the mean of the two
//!   middle values when n is even).
//! * **It is continuous** in q and in the data: nudging one sample or q moves the result a
//!   little, never by a whole gap between order statistics. The nearest-rank rule
//!   (x₍⌈nq⌉₎, 1-based) jumps instead, and with fewer than 100 samples its p99 is always the
//!   maximum.
//!
//! It is not the inverse of the sample's step CDF (the smallest x with F̂(x) ≥ q): a type-7
//! p99 can sit between two observations. Functions whose *contract* is that inverse, the
//! first time at which an estimated probability reaches a target, keep it and say so
//! ([`staleness::time_to_visibility`]).
//!
//! ```
//! use course_lib::stats::{quantile, quantiles};
//! let xs = [4.0, 1.0, 3.0, 2.0]; // any order
//! assert_eq!(quantile(&xs, 0.5)?, 2.5); // numpy: np.quantile([4, 1, 3, 2], 0.5) = 2.5
//! assert_eq!(quantile(&xs, 0.0)?, 1.0);
//! assert_eq!(quantile(&xs, 1.0)?, 4.0);
//! // 1, 2, …, 100: h = 99 · 0.99 = 98.01, so p99 = 99 + 0.01 · (100 − 99) = 99.01
//! let one_to_100: Vec<f64> = (1..=100).map(f64::from).collect();
//! assert!((quantile(&one_to_100, 0.99)? - 99.01).abs() < 1e-12);
//! // several quantiles of one sample, sorted once
//! assert_eq!(quantiles(&xs, &[0.0, 0.25, 0.5])?, vec![1.0, 1.75, 2.5]);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Errors
//! An empty sample is [`Error::Empty`]; a `q` that is NaN or outside `[0, 1]` is
//! [`Error::OutOfRange`] naming `q`; a NaN or infinite value in the sample is
//! [`Error::OutOfRange`] naming it (`values[3]`): a sample with a NaN has no order, and an
//! infinite latency is a request that never finished, which belongs in an availability
//! number, not in a percentile.
//!
//! ```
//! use course_lib::stats::quantile;
//! use course_lib::Error;
//! assert!(matches!(quantile(&[], 0.5), Err(Error::Empty { .. })));
//! let e = quantile(&[1.0, 2.0], 1.5).unwrap_err();
//! assert!(matches!(&e, Error::OutOfRange { name, .. } if name == "q"), "{e}");
//! let e = quantile(&[1.0, f64::NAN], 0.5).unwrap_err();
//! assert_eq!(e.to_string(), "values[1] = NaN is out of range: must be a finite number");
//! ```
//!
//! ## References
//! * R. J. Hyndman, Y. Fan, "Sample quantiles in statistical packages", *The American
//!   Statistician* 50(4), 1996.
//!
//! [`reliability::tail_summary`]: crate::reliability::tail_summary
//! [`replication::RunReport::write_latency_percentile`]: crate::replication::RunReport::write_latency_percentile
//! [`replication::sweep_rw`]: crate::replication::sweep_rw
//! [`chat::ChatReport::p99_delivery_ms`]: crate::chat::ChatReport::p99_delivery_ms
//! [`staleness::time_to_visibility`]: crate::staleness::time_to_visibility

use crate::error::{validate, Error, Result};

/// The `q`-quantile (0 ≤ q ≤ 1) of `values`, in any order: Hyndman & Fan type 7, linear
/// interpolation between order statistics, numpy's and R's default (see the [module
/// documentation](self) for the formula and why this definition).
///
/// # Errors
/// [`Error::Empty`] for an empty slice; [`Error::OutOfRange`] naming `q` if it is NaN or
/// outside `[0, 1]`, or naming `values[i]` if that value is NaN or infinite.
pub fn quantile(values: &[f64], q: f64) -> Result<f64> {
    Ok(quantiles(values, &[q])?[0])
}

/// The quantiles of `values` at every `qs[k]` (each in `[0, 1]`), in the order of `qs`: the
/// same numbers as [`quantile`] for each, with the sample sorted once.
///
/// # Errors
/// As [`quantile`]; for `qs`, [`Error::OutOfRange`] names the first bad one (`qs[2]`).
pub fn quantiles(values: &[f64], qs: &[f64]) -> Result<Vec<f64>> {
    if qs.len() == 1 {
        validate::probability("q", qs[0])?;
    } else {
        for (k, &q) in qs.iter().enumerate() {
            validate::probability(&format!("qs[{k}]"), q)?;
        }
    }
    let sorted = sorted_sample(values)?;
    Ok(qs.iter().map(|&q| type7_sorted(&sorted, q)).collect())
}

/// `values` checked (non-empty, all finite) and sorted ascending: the input of
/// [`type7_sorted`], for a caller that needs several quantiles or the sorted sample itself.
pub(crate) fn sorted_sample(values: &[f64]) -> Result<Vec<f64>> {
    if values.is_empty() {
        return Err(Error::empty("the sample", "a quantile needs at least one value"));
    }
    for (i, &x) in values.iter().enumerate() {
        validate::finite(&format!("values[{i}]"), x)?;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Ok(sorted)
}

/// The type-7 quantile of an already sorted, non-empty, finite sample, for `q` already
/// checked to be in `[0, 1]`. The one implementation: [`quantile`] and the empirical
/// distribution ([`crate::dist::Dist::quantile`]) both end here.
pub(crate) fn type7_sorted(sorted: &[f64], q: f64) -> f64 {
    debug_assert!(!sorted.is_empty() && (0.0..=1.0).contains(&q));
    let h = (sorted.len() - 1) as f64 * q;
    let i = h.floor() as usize;
    let lo = sorted[i];
    match sorted.get(i + 1) {
        Some(&hi) => {
            let frac = h - i as f64;
            let gap = hi - lo;
            let x = if gap.is_finite() {
                lo + frac * gap
            } else {
                // |hi − lo| overflows (values near ±f64::MAX): interpolate without the difference
                (1.0 - frac) * lo + frac * hi
            };
            // rounding must not step outside the two order statistics
            x.clamp(lo, hi)
        }
        None => lo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Known values, each worked out by hand from h = (n − 1)·q (they are also what numpy's
    /// `np.quantile(xs, q)` prints).
    #[test]
    fn known_values() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        // h = 3q: q = 0.5 → h = 1.5 → 2 + 0.5·(3 − 2)
        assert_eq!(quantile(&xs, 0.5).unwrap(), 2.5);
        assert_eq!(quantile(&xs, 0.0).unwrap(), 1.0);
        assert_eq!(quantile(&xs, 1.0).unwrap(), 4.0);
        // q = 0.25 → h = 0.75 → 1 + 0.75; q = 0.9 → h = 2.7 → 3 + 0.7
        assert_eq!(quantile(&xs, 0.25).unwrap(), 1.75);
        assert!((quantile(&xs, 0.9).unwrap() - 3.7).abs() < 1e-12);
        // unsorted input, odd n: the middle value
        assert_eq!(quantile(&[5.0, -1.0, 3.0], 0.5).unwrap(), 3.0);
        // one value: every quantile is that value
        for q in [0.0, 0.3, 0.99, 1.0] {
            assert_eq!(quantile(&[7.5], q).unwrap(), 7.5);
        }
        // 1..=100: p99 → h = 98.01 → 99.01; p50 → h = 49.5 → 50.5; p99.9 → h = 98.901 → 99.901
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!((quantile(&hundred, 0.99).unwrap() - 99.01).abs() < 1e-12);
        assert!((quantile(&hundred, 0.5).unwrap() - 50.5).abs() < 1e-12);
        assert!((quantile(&hundred, 0.999).unwrap() - 99.901).abs() < 1e-12);
        // ten values 0, 10, …, 90: p95 → h = 8.55 → 80 + 0.55·10 = 85.5 (nearest rank: 90)
        let tens: Vec<f64> = (0..10).map(|k| 10.0 * k as f64).collect();
        assert!((quantile(&tens, 0.95).unwrap() - 85.5).abs() < 1e-12);
        // ties
        assert_eq!(quantile(&[2.0, 2.0, 2.0, 9.0], 0.5).unwrap(), 2.0);
        assert_eq!(quantiles(&xs, &[1.0, 0.0, 0.5]).unwrap(), vec![4.0, 1.0, 2.5]);
        assert_eq!(quantiles(&xs, &[]).unwrap(), Vec::<f64>::new());
    }

    #[test]
    fn agrees_with_the_empirical_distribution() {
        let xs = [0.3, 9.0, 1.5, 2.25, 4.0, 0.0, 7.0];
        let d = crate::dist::Dist::empirical(xs.to_vec()).unwrap();
        for q in [0.0, 0.1, 0.5, 0.77, 0.99, 1.0] {
            assert_eq!(quantile(&xs, q).unwrap(), d.quantile(q).unwrap(), "q = {q}");
        }
    }

    #[test]
    fn extreme_magnitudes_do_not_overflow() {
        let xs = [-f64::MAX, f64::MAX];
        assert_eq!(quantile(&xs, 0.5).unwrap(), 0.0);
        assert_eq!(quantile(&xs, 0.0).unwrap(), -f64::MAX);
        assert_eq!(quantile(&xs, 1.0).unwrap(), f64::MAX);
    }

    #[test]
    fn errors_are_typed() {
        let e = quantile(&[], 0.5).unwrap_err();
        assert!(matches!(e, Error::Empty { .. }), "{e:?}");
        assert_eq!(e.to_string(), "the sample is empty: a quantile needs at least one value");
        for q in [-0.1, 1.000_001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = quantile(&[1.0], q).unwrap_err();
            assert!(matches!(&e, Error::OutOfRange { name, .. } if name == "q"), "{e:?}");
            assert!(e.to_string().contains("between 0 and 1"), "{e}");
        }
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let e = quantile(&[1.0, 2.0, bad], 0.5).unwrap_err();
            assert!(matches!(&e, Error::OutOfRange { name, .. } if name == "values[2]"), "{e:?}");
        }
        let e = quantiles(&[1.0], &[0.5, 2.0]).unwrap_err();
        assert!(matches!(&e, Error::OutOfRange { name, .. } if name == "qs[1]"), "{e:?}");
        // q is checked before the sample
        let e = quantile(&[], 2.0).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { .. }), "{e:?}");
    }

    proptest! {
        #[test]
        fn monotone_in_q_and_between_min_and_max(
            xs in proptest::collection::vec(-1e6..1e6f64, 1..60),
            mut qs in proptest::collection::vec(0.0..=1.0f64, 1..30),
        ) {
            qs.extend([0.0, 1.0]);
            qs.sort_by(f64::total_cmp);
            let got = quantiles(&xs, &qs).unwrap();
            let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert_eq!(got[0], min);
            prop_assert_eq!(got[got.len() - 1], max);
            for (w, q) in got.windows(2).zip(&qs) {
                prop_assert!(w[0] <= w[1], "not monotone at q = {}: {:?}", q, got);
            }
            for (&g, &q) in got.iter().zip(&qs) {
                prop_assert!(min <= g && g <= max, "q = {}: {} outside [{}, {}]", q, g, min, max);
                prop_assert_eq!(g, quantile(&xs, q).unwrap());
            }
        }

        #[test]
        fn does_not_depend_on_the_order_of_the_sample(
            xs in proptest::collection::vec(-1e3..1e3f64, 1..40),
            q in 0.0..=1.0f64,
        ) {
            let mut reversed = xs.clone();
            reversed.reverse();
            prop_assert_eq!(quantile(&xs, q).unwrap(), quantile(&reversed, q).unwrap());
        }
    }
}
