//! # The double-spend race (Nakamoto 2008, §11)
//!
//! A merchant accepts a payment once it is buried under z blocks. An attacker with a fraction
//! q of the hash power (the honest network has p = 1 − q) has meanwhile been mining a secret
//! chain in which the payment goes back to himself; if his chain ever becomes as long as the
//! honest one he publishes it and the payment disappears.
//!
//! * **Catching up from z behind** is a gambler's ruin: each block is the attacker's with
//!   probability q, so the probability of ever closing a gap of z is q_z = 1 if p ≤ q and
//!   (q/p)^z otherwise.
//! * **Nakamoto's calculation.** While the honest network mined z blocks, the attacker's
//!   progress is taken to be Poisson with mean λ = z q/p, so
//!
//!   P = 1 − Σ_{k=0}^{z} (λ^k e^{−λ} / k!) · (1 − (q/p)^{z−k})
//!
//!   ([`attacker_success_probability`]). The paper prints this for q = 0.1 and q = 0.3 and
//!   the smallest z with P < 0.1 % for q from 0.10 to 0.45; the tests reproduce every printed
//!   digit ([`blocks_for_attacker_probability`] gives the second table).
//! * **The exact race.** The attacker's block count while the honest network mines z blocks is
//!   in fact negative binomial, P(k) = C(k + z − 1, k) p^z q^k (Rosenfeld 2014; Grunspan and
//!   Pérez-Marco 2018), so
//!
//!   P = 1 − Σ_{k=0}^{z−1} C(k + z − 1, k) p^z q^k (1 − (q/p)^{z−k})
//!
//!   ([`attacker_success_probability_exact`]). Once z exceeds a few blocks the Poisson
//!   shortcut *under*-states the risk, increasingly with z (at q = 0.1: by a factor 2 at
//!   z = 5, 6 at z = 10).
//! * **Monte Carlo** ([`double_spend_monte_carlo`]) plays the race block by block (each block
//!   the attacker's with probability q) and agrees with the exact formula, not with the
//!   Poisson one, within its confidence interval.
//!
//! ## Reading
//! * S. Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash System", 2008, §11.
//! * M. Rosenfeld, "Analysis of Hashrate-Based Double Spending", arXiv:1402.2009, 2014.
//! * C. Grunspan and R. Pérez-Marco, "Double spend races", *Int. J. Theoretical and Applied
//!   Finance* 21(8), 2018 (arXiv:1702.02867).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{validate, Error, Result};
use crate::quorum::Estimate;
use crate::rng::SimRng;
use crate::sim::Stream;

/// Largest `z` the closed forms accept (the sums have z + 1 terms).
pub const MAX_CONFIRMATIONS: u32 = 1_000_000;

/// Trials per Monte Carlo chunk; chunk i draws from the stream `Stream::Trial(i)` of the seed, so results do
/// not depend on the number of threads.
pub const RACE_CHUNK_TRIALS: u64 = 1 << 14;

fn check_qz(q: f64, z: u32) -> Result<f64> {
    let q = validate::probability("q", q)?;
    if z > MAX_CONFIRMATIONS {
        return Err(Error::out_of_range(
            "z",
            z,
            format!("must be at most {MAX_CONFIRMATIONS} confirmations"),
        ));
    }
    Ok(q)
}

/// Nakamoto's probability that an attacker with hash-power share `q` ever catches up after the
/// merchant waited for `z` blocks (Bitcoin paper §11, with the Poisson approximation),
/// computed as in the paper's C program but in log space so that large `z` does not
/// underflow. `q` in [0, 1] (for q ≥ 0.5 the answer is 1), `z` ≤ [`MAX_CONFIRMATIONS`].
///
/// ```
/// # use course_lib::chain::attacker_success_probability;
/// // the paper's table, q = 0.1: z = 5 → 0.0009137
/// assert!((attacker_success_probability(0.1, 5)? - 0.0009137).abs() < 5e-8);
/// assert!(attacker_success_probability(1.5, 5).unwrap_err().to_string().starts_with("q = 1.5"));
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn attacker_success_probability(q: f64, z: u32) -> Result<f64, Error> {
    let q = check_qz(q, z)?;
    let p = 1.0 - q;
    if q >= p {
        return Ok(1.0);
    }
    if z == 0 {
        return Ok(1.0);
    }
    if q == 0.0 {
        return Ok(0.0);
    }
    // P = Σ_{k≤z} Pois(k)·r^(z−k) + Σ_{k>z} Pois(k), with r = q/p: the same number as the
    // paper's 1 − Σ_{k≤z} Pois(k)(1 − r^(z−k)), but a sum of positive terms, so it keeps its
    // digits when P is tiny (large z) instead of cancelling to 0.
    let lambda = z as f64 * (q / p);
    let ln_lambda = libm::log(lambda);
    let ln_r = libm::log(q / p);
    let ln_poisson = |k: u64, ln_k_factorial: f64| -lambda + k as f64 * ln_lambda - ln_k_factorial;
    let mut sum = 0.0;
    let mut ln_k_factorial = 0.0;
    for k in 0..=z as u64 {
        if k > 0 {
            ln_k_factorial += libm::log(k as f64);
        }
        sum += libm::exp(ln_poisson(k, ln_k_factorial) + (z as u64 - k) as f64 * ln_r);
    }
    // upper tail: λ < z, so the terms decrease from k = z + 1 on
    let mut k = z as u64;
    loop {
        k += 1;
        ln_k_factorial += libm::log(k as f64);
        let term = libm::exp(ln_poisson(k, ln_k_factorial));
        sum += term;
        if term <= sum * 1e-18 || term == 0.0 {
            break;
        }
    }
    Ok(sum.clamp(0.0, 1.0))
}

/// The exact probability for the same race: the attacker's block count while the honest
/// network mines `z` blocks is negative binomial (Rosenfeld 2014), and from a gap of z − k he
/// catches up with probability (q/p)^(z−k). Same domain as [`attacker_success_probability`].
///
/// ```
/// # use course_lib::chain::{attacker_success_probability, attacker_success_probability_exact};
/// let exact = attacker_success_probability_exact(0.1, 5)?;
/// assert!(exact > 1.9 * attacker_success_probability(0.1, 5)?); // Poisson under-states it
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn attacker_success_probability_exact(q: f64, z: u32) -> Result<f64> {
    let q = check_qz(q, z)?;
    let p = 1.0 - q;
    if q >= p || z == 0 {
        return Ok(1.0);
    }
    if q == 0.0 {
        return Ok(0.0);
    }
    // P = Σ_{k<z} NB(k)·r^(z−k) + P(K ≥ z): positive terms only (see above).
    let (ln_p, ln_q, ln_r) = (libm::log(p), libm::log(q), libm::log(q / p));
    let zf = z as f64;
    let mut ln_nb = zf * ln_p; // k = 0: p^z
    let mut sum = 0.0;
    let mut k: u64 = 0;
    loop {
        if k > 0 {
            let kf = k as f64;
            ln_nb += libm::log((kf + zf - 1.0) / kf) + ln_q;
        }
        if k < z as u64 {
            sum += libm::exp(ln_nb + (z as u64 - k) as f64 * ln_r);
        } else {
            // the tail P(K ≥ z); past its mode (z − 1)q/p < z the terms decrease
            let term = libm::exp(ln_nb);
            sum += term;
            if term <= sum * 1e-18 || term == 0.0 {
                break;
            }
        }
        k += 1;
    }
    Ok(sum.clamp(0.0, 1.0))
}

/// The smallest `z` for which [`attacker_success_probability`] is below `p_max`: the paper's
/// "solving for P less than 0.1 %" table. `q` in [0, 0.5), `p_max` in (0, 1).
///
/// ```
/// # use course_lib::chain::blocks_for_attacker_probability;
/// assert_eq!(blocks_for_attacker_probability(0.1, 0.001)?, 5);
/// assert_eq!(blocks_for_attacker_probability(0.45, 0.001)?, 340);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn blocks_for_attacker_probability(q: f64, p_max: f64) -> Result<u32> {
    fewest_confirmations(q, p_max, attacker_success_probability)
}

/// The smallest `z` for which [`attacker_success_probability_exact`] (the negative-binomial
/// race) is below `p_max`: the paper's second table redone with the exact model. As `q`
/// approaches ½ the Poisson shortcut's under-statement compounds, and the safe `z` grows to
/// well over the paper's (539 instead of 340 at q = 0.45). `q` in [0, 0.5), `p_max` in (0, 1).
///
/// ```
/// # use course_lib::chain::blocks_for_attacker_probability_exact;
/// assert_eq!(blocks_for_attacker_probability_exact(0.1, 0.001)?, 6);
/// assert_eq!(blocks_for_attacker_probability_exact(0.45, 0.001)?, 539);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn blocks_for_attacker_probability_exact(q: f64, p_max: f64) -> Result<u32> {
    fewest_confirmations(q, p_max, attacker_success_probability_exact)
}

/// The smallest z with `prob(q, z) < p_max`, for a `prob` that falls as z grows: doubling, then
/// bisection (a few dozen evaluations even when the answer is in the thousands).
fn fewest_confirmations(q: f64, p_max: f64, prob: fn(f64, u32) -> Result<f64>) -> Result<u32> {
    let q = validate::probability("q", q)?;
    if q >= 0.5 {
        return Err(Error::out_of_range(
            "q",
            q,
            "must be below 0.5: an attacker with half the hash power or more always catches up",
        ));
    }
    if !(p_max > 0.0 && p_max < 1.0) {
        return Err(Error::out_of_range("p_max", p_max, "must be strictly between 0 and 1"));
    }
    let below = |z: u32| prob(q, z).map(|pr| pr < p_max);
    // Invariant: prob(hi) < p_max, and prob(lo) ≥ p_max unless lo = 0.
    let (mut lo, mut hi) = (0u32, 1u32);
    if below(0)? {
        return Ok(0);
    }
    while !below(hi)? {
        if hi == MAX_CONFIRMATIONS {
            return Err(Error::invalid(
                "target",
                format!("no z up to {MAX_CONFIRMATIONS} brings the probability below {p_max}"),
            ));
        }
        lo = hi;
        hi = (hi * 2).min(MAX_CONFIRMATIONS);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if below(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// A Monte Carlo estimate of the double-spend success probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RaceEstimate {
    /// Successes out of trials, with a 95 % Wilson interval.
    pub estimate: Estimate,
    /// Blocks simulated in total (the benchmark's unit).
    pub blocks: u64,
    /// The gap at which a race is abandoned as lost (at least z + 1, and large enough that
    /// (q/p)^gap ≤ 10⁻¹²: abandoning biases the estimate by less than 10⁻¹²).
    pub give_up_gap: u64,
}

/// [`double_spend_monte_carlo_with_threads`] on all available cores.
pub fn double_spend_monte_carlo(q: f64, z: u32, trials: u64, seed: u64) -> Result<RaceEstimate> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    double_spend_monte_carlo_with_threads(q, z, trials, seed, threads)
}

/// Play the double-spend race `trials` times, block by block: every block is the attacker's
/// with probability `q`. Phase 1: the honest network mines `z` blocks while the attacker mines
/// k; phase 2: from a gap of z − k the race goes on until the attacker has caught up (success)
/// or falls `give_up_gap` blocks behind (counted as a failure; see [`RaceEstimate`]).
///
/// `q` must be in [0, 0.5) (at q ≥ 0.5 the attacker wins with probability 1 but a race has
/// no bounded length), `trials >= 1`, `threads >= 1`. The result depends only on
/// `(q, z, trials, seed)`.
pub fn double_spend_monte_carlo_with_threads(
    q: f64,
    z: u32,
    trials: u64,
    seed: u64,
    threads: usize,
) -> Result<RaceEstimate> {
    let q = check_qz(q, z)?;
    if q >= 0.5 {
        return Err(Error::out_of_range(
            "q",
            q,
            "the Monte Carlo race needs q < 0.5 (at q >= 0.5 the attacker always catches up, \
             but a race can last forever)",
        ));
    }
    if trials == 0 {
        return Err(Error::out_of_range("trials", 0, "must be at least 1"));
    }
    let threads = validate::at_least("threads", threads, 1)?;
    let give_up_gap = if q == 0.0 {
        1
    } else {
        (libm::log(1e-12) / libm::log(q / (1.0 - q))).ceil().max(1.0) as u64
    }
    .max(z as u64 + 1);
    // a block is the attacker's when a uniform 64-bit number is below q·2^64
    let threshold = (q * 18_446_744_073_709_551_616.0) as u64;
    let chunks = trials.div_ceil(RACE_CHUNK_TRIALS);
    let next = AtomicU64::new(0);
    let work = || {
        let (mut wins, mut blocks) = (0u64, 0u64);
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= chunks {
                break (wins, blocks);
            }
            let len = RACE_CHUNK_TRIALS.min(trials - i * RACE_CHUNK_TRIALS);
            let mut rng = Stream::Trial(i).rng(seed);
            for _ in 0..len {
                let (won, b) = race(&mut rng, threshold, z as u64, give_up_gap);
                wins += won as u64;
                blocks += b;
            }
        }
    };
    let threads = threads.min(chunks as usize).max(1);
    let parts: Vec<(u64, u64)> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            hs.into_iter().map(|h| h.join().expect("race worker panicked")).collect()
        })
    };
    let wins = parts.iter().map(|p| p.0).sum();
    let blocks = parts.iter().map(|p| p.1).sum();
    Ok(RaceEstimate { estimate: Estimate::from_counts(wins, trials)?, blocks, give_up_gap })
}

/// One race: returns (attacker caught up, blocks simulated).
#[inline]
fn race(rng: &mut SimRng, threshold: u64, z: u64, give_up_gap: u64) -> (bool, u64) {
    let (mut honest, mut attacker, mut blocks) = (0u64, 0u64, 0u64);
    while honest < z {
        blocks += 1;
        if rng.next_u64() < threshold {
            attacker += 1;
        } else {
            honest += 1;
        }
    }
    if attacker >= honest {
        return (true, blocks);
    }
    let mut gap = honest - attacker;
    loop {
        blocks += 1;
        if rng.next_u64() < threshold {
            gap -= 1;
            if gap == 0 {
                return (true, blocks);
            }
        } else {
            gap += 1;
            if gap >= give_up_gap {
                return (false, blocks);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nakamoto 2008, §11, the printed tables (7 decimal places).
    #[test]
    fn reproduces_the_bitcoin_paper_tables() {
        let q01 = [
            1.0000000, 0.2045873, 0.0509779, 0.0131722, 0.0034552, 0.0009137, 0.0002428, 0.0000647,
            0.0000173, 0.0000046, 0.0000012,
        ];
        for (z, want) in q01.iter().enumerate() {
            let got = attacker_success_probability(0.1, z as u32).unwrap();
            assert!((got - want).abs() <= 5e-8, "q=0.1 z={z}: {got:.7} vs {want}");
        }
        let q03 = [
            (0, 1.0000000),
            (5, 0.1773523),
            (10, 0.0416605),
            (15, 0.0101008),
            (20, 0.0024804),
            (25, 0.0006132),
            (30, 0.0001522),
            (35, 0.0000379),
            (40, 0.0000095),
            (45, 0.0000024),
            (50, 0.0000006),
        ];
        for (z, want) in q03 {
            let got = attacker_success_probability(0.3, z).unwrap();
            assert!((got - want).abs() <= 5e-8, "q=0.3 z={z}: {got:.7} vs {want}");
        }
        // "Solving for P less than 0.1%"
        let table = [
            (0.10, 5),
            (0.15, 8),
            (0.20, 11),
            (0.25, 15),
            (0.30, 24),
            (0.35, 41),
            (0.40, 89),
            (0.45, 340),
        ];
        for (q, z) in table {
            assert_eq!(blocks_for_attacker_probability(q, 0.001).unwrap(), z, "q = {q}");
        }
    }

    #[test]
    fn the_exact_race_needs_more_confirmations_than_the_paper_says() {
        // The exact (negative-binomial) model's "P < 0.1 %" table; each z checked against the
        // model directly (P(z) < 0.001 ≤ P(z − 1)), so the search is not its own witness.
        for (q, z) in [(0.25, 20), (0.30, 32), (0.40, 133), (0.45, 539)] {
            assert_eq!(blocks_for_attacker_probability_exact(q, 0.001).unwrap(), z, "q = {q}");
            assert!(attacker_success_probability_exact(q, z).unwrap() < 0.001);
            assert!(attacker_success_probability_exact(q, z - 1).unwrap() >= 0.001);
            assert!(z > blocks_for_attacker_probability(q, 0.001).unwrap());
        }
        assert!(blocks_for_attacker_probability_exact(0.5, 0.001).is_err());
        assert!(blocks_for_attacker_probability_exact(0.2, 1.0).is_err());
    }

    #[test]
    fn edge_cases_and_bad_input() {
        assert_eq!(attacker_success_probability(0.5, 100).unwrap(), 1.0);
        assert_eq!(attacker_success_probability(0.7, 3).unwrap(), 1.0);
        assert_eq!(attacker_success_probability(0.0, 3).unwrap(), 0.0);
        assert_eq!(attacker_success_probability(0.0, 0).unwrap(), 1.0);
        assert_eq!(attacker_success_probability_exact(0.2, 0).unwrap(), 1.0);
        for q in [-0.1, 1.1, f64::NAN] {
            let msg = attacker_success_probability(q, 3).unwrap_err().to_string();
            assert!(msg.starts_with("q = ") && msg.contains("between 0 and 1"), "{msg}");
            assert!(attacker_success_probability_exact(q, 3).is_err());
            assert!(double_spend_monte_carlo(q, 3, 10, 1).is_err());
        }
        assert!(attacker_success_probability(0.1, MAX_CONFIRMATIONS + 1).is_err());
        assert!(blocks_for_attacker_probability(0.5, 0.001).is_err());
        assert!(blocks_for_attacker_probability(0.1, 0.0).is_err());
        assert!(double_spend_monte_carlo(0.5, 3, 10, 1)
            .unwrap_err()
            .to_string()
            .contains("q < 0.5"));
        assert!(double_spend_monte_carlo(0.1, 3, 0, 1).is_err());
        // large z does not underflow to a wrong answer
        let big = attacker_success_probability(0.45, 2000).unwrap();
        assert!(big > 0.0 && big < 1e-10, "{big}");
        let big_exact = attacker_success_probability_exact(0.45, 2000).unwrap();
        assert!(big_exact > big && big_exact < 1e-8, "{big_exact}");
        // the positive-term sums agree with the paper's 1 − Σ form where both are accurate
        for (q, z) in [(0.1, 3), (0.25, 12), (0.4, 30)] {
            let (p, r) = (1.0 - q, q / (1.0 - q));
            let lambda = z as f64 * r;
            let mut poisson = (-lambda).exp();
            let mut paper = 1.0;
            for k in 0..=z {
                if k > 0 {
                    poisson *= lambda / k as f64;
                }
                paper -= poisson * (1.0 - r.powi(z - k));
            }
            let ours = attacker_success_probability(q, z as u32).unwrap();
            assert!((ours - paper).abs() < 1e-13, "q {q} z {z}: {ours} vs {paper}");
            let _ = p;
        }
    }

    #[test]
    fn exact_formula_is_above_poisson_and_both_fall_with_z() {
        // the Poisson shortcut under-states the risk once z exceeds a few blocks
        for (q, z_min) in [(0.05, 2), (0.1, 2), (0.2, 2), (0.3, 3), (0.4, 10)] {
            let mut prev = 1.0;
            for z in 1..60 {
                let poisson = attacker_success_probability(q, z).unwrap();
                let exact = attacker_success_probability_exact(q, z).unwrap();
                assert!(z < z_min || exact >= poisson, "q {q} z {z}: {exact} < {poisson}");
                assert!(exact <= prev + 1e-15);
                prev = exact;
            }
        }
        // hand check, q = 0.1, z = 1: 1 − p(1 − q/p) = 1 − (p − q) = 2q = 0.2
        let e = attacker_success_probability_exact(0.1, 1).unwrap();
        assert!((e - 0.2).abs() < 1e-15);
    }

    #[test]
    fn monte_carlo_agrees_with_the_exact_race_and_is_deterministic() {
        for (q, z) in [(0.1, 2), (0.3, 5), (0.2, 4)] {
            let mc = double_spend_monte_carlo_with_threads(q, z, 400_000, 11, 2).unwrap();
            let exact = attacker_success_probability_exact(q, z).unwrap();
            let e = mc.estimate;
            assert!(e.ci_low <= exact && exact <= e.ci_high, "q {q} z {z}: {exact} not in {e:?}");
            let one = double_spend_monte_carlo_with_threads(q, z, 400_000, 11, 1).unwrap();
            assert_eq!(one, mc, "thread count changed the result");
        }
        // at q = 0.3, z = 5 the Poisson value lies outside the interval: the shortcut is visible
        let mc = double_spend_monte_carlo_with_threads(0.3, 5, 400_000, 11, 2).unwrap();
        let poisson = attacker_success_probability(0.3, 5).unwrap();
        assert!(poisson < mc.estimate.ci_low, "{poisson} vs {:?}", mc.estimate);
    }
}
