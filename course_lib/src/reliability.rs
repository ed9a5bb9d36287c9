//! # Reliability from unreliable parts: availability algebra, nines, MTBF/MTTR, hedging
//!
//! A component's **availability** $A$ is the fraction of time it works (or the probability
//! that it works when you ask). With failures and repairs alternating,
//! $A = \text{MTBF} / (\text{MTBF} + \text{MTTR})$: mean time between failures over mean
//! cycle length ([`availability_from_mtbf_mttr`]). Availabilities are quoted in **nines**,
//! $-\log_{10}(1 - A)$: 99.9 % is three nines, 8.76 hours of downtime a year
//! ([`nines`], [`downtime_per_year`], [`nines_table`]).
//!
//! ## The algebra (independent failures)
//! * **series** (all parts needed): $A = \prod_i A_i$, worse than the worst part;
//! * **parallel** (any part suffices): $A = 1 - \prod_i (1 - A_i)$;
//! * **k-of-n** (identical parts, k needed): $\sum_{j \ge k} \binom{n}{j} A^j (1-A)^{n-j}$,
//!   [`k_of_n`], which is [`crate::quorum::at_least_k_of_n`] (notebook 15);
//! * **correlated groups**: parts that share a failure domain (a rack, a zone, a config
//!   push) fail together. Model it as a series of the domain and the group:
//!   $A = A_{\text{domain}} \cdot A_{\text{group}}$ ([`Block::shared`]). Three replicas at
//!   99 % in one zone at 99.9 % give $0.999 \cdot (1 - 0.01^3) \approx 0.999$: the zone, not
//!   the replicas, sets the ceiling.
//!
//! [`Block`] composes these into a reliability block diagram and evaluates it exactly (each
//! block must fail independently of the others; put shared causes in [`Block::shared`]).
//!
//! ```
//! use course_lib::reliability::Block;
//! let replica = Block::unit(0.99)?;
//! // three replicas in one zone vs one replica in each of three zones
//! let one_zone = Block::shared(0.999, Block::parallel(vec![replica.clone(); 3])?)?;
//! let spread = Block::parallel(vec![Block::shared(0.999, replica.clone())?; 3])?;
//! assert!(one_zone.availability() < 0.999);
//! assert!(spread.availability() > 0.99999);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Retries and hedged requests
//! A retry turns a per-attempt success probability $p$ into $1 - (1 - p)^k$ over $k$
//! attempts, *if* attempts fail independently ([`with_retries`]); a correlated failure (the
//! server is down) defeats it. A **hedged request** (Dean & Barroso 2013) sends a second copy
//! of a request if the first has not answered after a delay $d$, and takes whichever answer
//! comes first: latency $\min(X_1, d + X_2)$, at the cost of a fraction $P(X_1 > d)$ of extra
//! requests. With $d$ at the 95th percentile the extra load is about 5 % and the tail shrinks
//! dramatically ([`hedged_latencies`], [`tail_summary`]).
//!
//! ## Reading
//! * M. Rausand and A. Høyland, *System Reliability Theory*, 2nd ed., Wiley 2004, ch. 3–4
//!   (reliability block diagrams, k-out-of-n structures).
//! * B. Beyer et al. (eds.), *Site Reliability Engineering*, O'Reilly 2016, ch. 3 "Embracing
//!   Risk" (the nines and what they cost).
//! * J. Dean and L. A. Barroso, "The Tail at Scale", *CACM* 56(2), 2013 (hedged requests).
//! * D. Ford et al., "Availability in Globally Distributed Storage Systems", OSDI 2010
//!   (correlated failures dominate).

use std::time::Duration;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::stats;

/// Hours in the (365-day) year the nines tables use.
pub const HOURS_PER_YEAR: f64 = 365.0 * 24.0;
/// Hours in the 30-day month the nines tables use.
pub const HOURS_PER_MONTH: f64 = 30.0 * 24.0;

fn probs(name: &str, values: &[f64]) -> Result<()> {
    if values.is_empty() {
        return Err(Error::empty(name, "give at least one availability"));
    }
    for (i, &a) in values.iter().enumerate() {
        validate::probability(&format!("{name}[{i}]"), a)?;
    }
    Ok(())
}

/// Availability of parts in series (every one is needed): the product.
///
/// ```
/// # use course_lib::reliability::series;
/// assert!((series(&[0.99, 0.99, 0.99])? - 0.970299).abs() < 1e-12);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn series(availabilities: &[f64]) -> Result<f64> {
    probs("availabilities", availabilities)?;
    Ok(availabilities.iter().product())
}

/// Availability of parts in parallel (any one suffices): one minus the product of the
/// unavailabilities.
///
/// ```
/// # use course_lib::reliability::parallel;
/// assert!((parallel(&[0.99, 0.99])? - 0.9999).abs() < 1e-12);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn parallel(availabilities: &[f64]) -> Result<f64> {
    probs("availabilities", availabilities)?;
    Ok(1.0 - availabilities.iter().map(|a| 1.0 - a).product::<f64>())
}

/// At least `k` of `n` identical independent parts, each available with probability `a`.
/// This is [`crate::quorum::at_least_k_of_n`] (same function, reliability vocabulary).
pub fn k_of_n(k: usize, n: usize, a: f64) -> Result<f64> {
    crate::quorum::at_least_k_of_n(k, n, a)
}

/// $A = \text{MTBF} / (\text{MTBF} + \text{MTTR})$. Both in the same unit, MTBF > 0,
/// MTTR ≥ 0.
///
/// ```
/// # use course_lib::reliability::availability_from_mtbf_mttr;
/// // fails every 30 days, 43.2 minutes to repair: three nines
/// let a = availability_from_mtbf_mttr(30.0 * 24.0 * 60.0, 43.2)?;
/// assert!((a - 0.999).abs() < 1e-6);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn availability_from_mtbf_mttr(mtbf: f64, mttr: f64) -> Result<f64> {
    let mtbf = validate::positive("mtbf", mtbf)?;
    let mttr = validate::non_negative("mttr", mttr)?;
    Ok(mtbf / (mtbf + mttr))
}

/// The mean time to repair that reaches availability `a` for a given MTBF:
/// $\text{MTTR} = \text{MTBF}\,(1 - A)/A$. `a` in (0, 1].
pub fn mttr_for(availability: f64, mtbf: f64) -> Result<f64> {
    let a = positive_probability("availability", availability)?;
    let mtbf = validate::positive("mtbf", mtbf)?;
    Ok(mtbf * (1.0 - a) / a)
}

/// The mean time between failures needed for availability `a` with a given MTTR:
/// $\text{MTBF} = \text{MTTR}\,A/(1 - A)$. `a` in [0, 1).
pub fn mtbf_for(availability: f64, mttr: f64) -> Result<f64> {
    let a = validate::probability("availability", availability)?;
    if a >= 1.0 {
        return Err(Error::out_of_range(
            "availability",
            a,
            "must be below 1 (100 % needs no failures at all)",
        ));
    }
    let mttr = validate::non_negative("mttr", mttr)?;
    Ok(mttr * a / (1.0 - a))
}

fn positive_probability(name: &str, p: f64) -> Result<f64> {
    let p = validate::probability(name, p)?;
    if p == 0.0 {
        return Err(Error::out_of_range(name, p, "must be greater than 0"));
    }
    Ok(p)
}

/// Number of nines: $-\log_{10}(1 - A)$ (infinite for A = 1).
///
/// ```
/// # use course_lib::reliability::nines;
/// assert!((nines(0.999)? - 3.0).abs() < 1e-9);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn nines(availability: f64) -> Result<f64> {
    let a = validate::probability("availability", availability)?;
    Ok(-libm::log10(1.0 - a))
}

/// The availability with `nines` nines: $1 - 10^{-n}$. `nines` ≥ 0.
pub fn availability_from_nines(nines: f64) -> Result<f64> {
    let n = validate::non_negative("nines", nines)?;
    Ok(1.0 - libm::pow(10.0, -n))
}

/// Downtime a year (365 days) at availability `a`: 8.76 h at 99.9 %.
pub fn downtime_per_year(availability: f64) -> Result<Duration> {
    let a = validate::probability("availability", availability)?;
    Ok(Duration::from_secs_f64((1.0 - a) * HOURS_PER_YEAR * 3600.0))
}

/// Downtime a (30-day) month at availability `a`: 43.2 min at 99.9 %.
pub fn downtime_per_month(availability: f64) -> Result<Duration> {
    let a = validate::probability("availability", availability)?;
    Ok(Duration::from_secs_f64((1.0 - a) * HOURS_PER_MONTH * 3600.0))
}

/// One row of the nines table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NinesRow {
    /// Availability.
    pub availability: f64,
    /// Downtime per 365-day year.
    pub per_year: Duration,
    /// Downtime per 30-day month.
    pub per_month: Duration,
    /// Downtime per day.
    pub per_day: Duration,
}

/// The classic table for 90 %, 99 %, 99.9 %, 99.95 %, 99.99 %, 99.999 %, 99.9999 %.
pub fn nines_table() -> Vec<NinesRow> {
    [0.9, 0.99, 0.999, 0.9995, 0.9999, 0.99999, 0.999999]
        .iter()
        .map(|&a| NinesRow {
            availability: a,
            per_year: Duration::from_secs_f64((1.0 - a) * HOURS_PER_YEAR * 3600.0),
            per_month: Duration::from_secs_f64((1.0 - a) * HOURS_PER_MONTH * 3600.0),
            per_day: Duration::from_secs_f64((1.0 - a) * 86_400.0),
        })
        .collect()
}

/// Success probability after up to `attempts` independent attempts, each succeeding with
/// probability `p`: $1 - (1 - p)^k$.
pub fn with_retries(p: f64, attempts: u32) -> Result<f64> {
    let p = validate::probability("p", p)?;
    validate::at_least("attempts", attempts as usize, 1)?;
    Ok(1.0 - libm::pow(1.0 - p, f64::from(attempts)))
}

/// Success probability with retries when a fraction `correlated` of failures are persistent
/// (the server is down, so every retry fails too) and the rest are independent blips:
/// $p + (1 - p)(1 - c)\,(1 - (1 - p')^{k-1})$ where $p'$ is the success probability of a
/// retry after a blip, taken equal to $p$.
pub fn with_retries_correlated(p: f64, attempts: u32, correlated: f64) -> Result<f64> {
    let p = validate::probability("p", p)?;
    let c = validate::probability("correlated", correlated)?;
    validate::at_least("attempts", attempts as usize, 1)?;
    let later = 1.0 - libm::pow(1.0 - p, f64::from(attempts - 1));
    Ok(p + (1.0 - p) * (1.0 - c) * later)
}

// ---------------------------------------------------------------------------------------------
// Reliability block diagrams

/// A reliability block diagram: units composed in series, in parallel, k-of-n, and under
/// shared failure domains. Blocks fail independently of each other; a shared cause is
/// modelled by [`Block::shared`], which puts a domain in series with everything inside it.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A part with its own availability.
    Unit(f64),
    /// All children needed.
    Series(Vec<Block>),
    /// Any child suffices.
    Parallel(Vec<Block>),
    /// At least `k` children needed.
    KOfN(usize, Vec<Block>),
    /// The inner block works only while its failure domain (availability `domain`) is up.
    Shared(f64, Box<Block>),
}

impl Block {
    /// A unit with availability `a` in [0, 1].
    pub fn unit(a: f64) -> Result<Block> {
        Ok(Block::Unit(validate::probability("availability", a)?))
    }

    /// All of `blocks` needed (at least one block).
    pub fn series(blocks: Vec<Block>) -> Result<Block> {
        non_empty(&blocks)?;
        Ok(Block::Series(blocks))
    }

    /// Any of `blocks` suffices (at least one block).
    pub fn parallel(blocks: Vec<Block>) -> Result<Block> {
        non_empty(&blocks)?;
        Ok(Block::Parallel(blocks))
    }

    /// At least `k` of `blocks` needed, 0 ≤ k ≤ len.
    pub fn k_of_n(k: usize, blocks: Vec<Block>) -> Result<Block> {
        non_empty(&blocks)?;
        if k > blocks.len() {
            return Err(Error::out_of_range(
                "k",
                k,
                format!("must be between 0 and n = {}", blocks.len()),
            ));
        }
        Ok(Block::KOfN(k, blocks))
    }

    /// `inner` inside a failure domain that is up with probability `domain`.
    pub fn shared(domain: f64, inner: Block) -> Result<Block> {
        Ok(Block::Shared(validate::probability("domain", domain)?, Box::new(inner)))
    }

    /// The probability that the whole block works.
    pub fn availability(&self) -> f64 {
        match self {
            Block::Unit(a) => *a,
            Block::Series(bs) => bs.iter().map(Block::availability).product(),
            Block::Parallel(bs) => 1.0 - bs.iter().map(|b| 1.0 - b.availability()).product::<f64>(),
            Block::KOfN(k, bs) => {
                let ps: Vec<f64> = bs.iter().map(Block::availability).collect();
                if ps.iter().all(|&p| p == ps[0]) {
                    if let Ok(v) = crate::quorum::at_least_k_of_n(*k, ps.len(), ps[0]) {
                        return v;
                    }
                }
                at_least_k_heterogeneous(*k, &ps)
            }
            Block::Shared(d, inner) => d * inner.availability(),
        }
    }
}

fn non_empty(blocks: &[Block]) -> Result<()> {
    if blocks.is_empty() {
        Err(Error::empty("the list of blocks", "give at least one block"))
    } else {
        Ok(())
    }
}

/// P(at least k of independent parts up) for different availabilities (Poisson-binomial,
/// by dynamic programming over the parts).
fn at_least_k_heterogeneous(k: usize, ps: &[f64]) -> f64 {
    let mut dist = vec![0.0; ps.len() + 1];
    dist[0] = 1.0;
    for (i, &p) in ps.iter().enumerate() {
        for j in (0..=i + 1).rev() {
            let up = if j > 0 { dist[j - 1] * p } else { 0.0 };
            dist[j] = dist[j] * (1.0 - p) + up;
        }
    }
    dist[k..].iter().sum::<f64>().clamp(0.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Hedged requests

/// Latencies of `n` requests (ms) when a second copy is sent after `hedge_after_ms` if the
/// first has not answered, both copies' latencies drawn independently from `latency`:
/// $\min(X_1, d + X_2)$ for $X_1 > d$, $X_1$ otherwise. `hedge_after_ms = ∞` means no
/// hedging. Returns the latencies and the fraction of requests that sent a second copy.
///
/// ```
/// use course_lib::prelude::*;
/// use course_lib::reliability::{hedged_latencies, tail_summary};
/// // 95 % of requests take ~10 ms, 5 % hit a 200 ms stall
/// let d = Dist::mixture(vec![(0.95, Dist::exponential_mean(10.0)?), (0.05, Dist::constant(200.0)?)])?;
/// let (plain, _) = hedged_latencies(&d, f64::INFINITY, 20_000, 1)?;
/// let (hedged, extra) = hedged_latencies(&d, 50.0, 20_000, 1)?;
/// assert!(tail_summary(&hedged)?.p99 < tail_summary(&plain)?.p99 / 2.0);
/// assert!(extra < 0.07);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn hedged_latencies(
    latency: &Dist,
    hedge_after_ms: f64,
    n: usize,
    seed: u64,
) -> Result<(Vec<f64>, f64)> {
    validate::at_least("n", n, 1)?;
    if hedge_after_ms.is_nan() || hedge_after_ms < 0.0 {
        return Err(Error::out_of_range(
            "hedge_after_ms",
            hedge_after_ms,
            "must be >= 0 (∞ for no hedging)",
        ));
    }
    let mut rng = SimRng::new(seed);
    let mut hedges = 0usize;
    let out = (0..n)
        .map(|_| {
            let x1 = latency.sample_delay(&mut rng);
            let x2 = latency.sample_delay(&mut rng);
            if x1 > hedge_after_ms {
                hedges += 1;
                x1.min(hedge_after_ms + x2)
            } else {
                x1
            }
        })
        .collect();
    Ok((out, hedges as f64 / n as f64))
}

/// Median, p99, p99.9 and mean of a latency sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TailSummary {
    /// 50th percentile.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Mean.
    pub mean: f64,
}

/// Median, p99, p99.9 and mean of a latency sample, in any order. The percentiles are the
/// crate's one sample quantile, [`stats::quantile`] (Hyndman & Fan type 7: linear
/// interpolation between order statistics, numpy's and R's default).
///
/// ```
/// use course_lib::reliability::tail_summary;
/// let s = tail_summary(&[4.0, 1.0, 3.0, 2.0])?;
/// assert_eq!((s.p50, s.mean), (2.5, 2.5));
/// assert!((s.p99 - 3.97).abs() < 1e-12); // h = 3 · 0.99 = 2.97: 3 + 0.97 · (4 − 3)
/// # Ok::<(), course_lib::Error>(())
/// ```
///
/// # Errors
/// As [`stats::quantile`]: an empty sample, or a NaN or infinite value in it.
pub fn tail_summary(sample: &[f64]) -> Result<TailSummary> {
    let s = stats::sorted_sample(sample)?;
    Ok(TailSummary {
        p50: stats::type7_sorted(&s, 0.5),
        p99: stats::type7_sorted(&s, 0.99),
        p999: stats::type7_sorted(&s, 0.999),
        mean: s.iter().sum::<f64>() / s.len() as f64,
    })
}

// ---------------------------------------------------------------------------------------------
// Failure domains

/// A system S = (N, E, F) seen through its failure domains (seed 001, module 1.1): nodes N
/// placed in a hierarchy of locations (region / zone / rack / node), and failure modes F, one
/// per location: "rack eu/a/r1 loses power" takes down every node under that rack. The
/// **impact** of a mode is the set of nodes it takes down; its **blast radius** is the
/// fraction of N that is. (Edges E, the network, fail the same way: a switch is a rack-level
/// mode.)
///
/// ```
/// use course_lib::reliability::FailureDomains;
/// let s = FailureDomains::new(vec![
///     vec!["eu", "a", "r1"], vec!["eu", "a", "r1"], vec!["eu", "a", "r2"],
///     vec!["eu", "b", "r1"], vec!["us", "a", "r1"], vec!["us", "a", "r2"],
/// ])?;
/// assert_eq!(s.impact("eu/a")?, vec![0, 1, 2]);
/// assert!((s.blast_radius("eu")? - 4.0 / 6.0).abs() < 1e-12);
/// // a majority of replicas {0, 3, 4} survives any single zone failure
/// assert!(s.modes().iter().filter(|m| m.matches('/').count() == 1)
///     .all(|m| s.survives(m, &[0, 3, 4], 2).unwrap()));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureDomains {
    /// Location path of every node (outermost first); the node itself is appended as `nK`.
    paths: Vec<Vec<String>>,
}

impl FailureDomains {
    /// Nodes given by their location paths, outermost first (`["eu", "a", "r1"]`). All paths
    /// must have the same depth (at least 1); node `k` gets the extra last level `nK`.
    pub fn new<S: Into<String>>(locations: Vec<Vec<S>>) -> Result<FailureDomains> {
        if locations.is_empty() {
            return Err(Error::empty("the node list", "give at least one node location"));
        }
        let mut paths: Vec<Vec<String>> = Vec::new();
        for (k, loc) in locations.into_iter().enumerate() {
            let mut p: Vec<String> = loc.into_iter().map(Into::into).collect();
            if p.is_empty() || p.iter().any(|l| l.is_empty() || l.contains('/')) {
                return Err(Error::invalid(
                    format!("location of node {k}"),
                    "needs at least one level, each a non-empty name without '/'",
                ));
            }
            if let Some(first) = paths.first() {
                if first.len() != p.len() + 1 {
                    return Err(Error::invalid(
                        format!("location of node {k}"),
                        format!(
                            "has {} levels, node 0 has {}: give every node the same depth",
                            p.len(),
                            first.len() - 1
                        ),
                    ));
                }
            }
            p.push(format!("n{k}"));
            paths.push(p);
        }
        Ok(FailureDomains { paths })
    }

    /// Number of nodes |N|.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Never true (there is at least one node).
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Every failure mode, outermost first: one per distinct location prefix
    /// (`"eu"`, `"eu/a"`, `"eu/a/r1"`, `"eu/a/r1/n0"`, …), in order of first appearance.
    pub fn modes(&self) -> Vec<String> {
        let depth = self.paths[0].len();
        let mut out: Vec<String> = Vec::new();
        for level in 1..=depth {
            for p in &self.paths {
                let m = p[..level].join("/");
                if !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        out
    }

    /// The nodes a failure of location `mode` (e.g. `"eu/a"`) takes down.
    ///
    /// # Errors
    /// A mode that matches no node.
    pub fn impact(&self, mode: &str) -> Result<Vec<usize>> {
        let parts: Vec<&str> = mode.split('/').collect();
        let hit: Vec<usize> = self
            .paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.len() >= parts.len() && p.iter().zip(&parts).all(|(a, b)| a == b))
            .map(|(k, _)| k)
            .collect();
        if hit.is_empty() {
            return Err(Error::invalid(
                format!("failure mode \"{mode}\""),
                "no node is at that location: use one of modes()",
            ));
        }
        Ok(hit)
    }

    /// |impact(mode)| / |N|.
    pub fn blast_radius(&self, mode: &str) -> Result<f64> {
        Ok(self.impact(mode)?.len() as f64 / self.len() as f64)
    }

    /// Whether at least `k` of the `replicas` (node ids) stay up when `mode` fails.
    pub fn survives(&self, mode: &str, replicas: &[usize], k: usize) -> Result<bool> {
        for &r in replicas {
            if r >= self.len() {
                return Err(Error::UnknownNode {
                    node: r,
                    cluster_size: self.len(),
                    context: "the replica set".into(),
                });
            }
        }
        let down = self.impact(mode)?;
        Ok(replicas.iter().filter(|r| !down.contains(r)).count() >= k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn series_parallel_and_k_of_n() {
        assert!(close(series(&[0.9, 0.8]).unwrap(), 0.72, 1e-15));
        assert!(close(parallel(&[0.9, 0.8]).unwrap(), 0.98, 1e-15));
        // 2-of-3 at p: 3p² − 2p³
        let p: f64 = 0.95;
        assert!(close(k_of_n(2, 3, p).unwrap(), 3.0 * p * p - 2.0 * p.powi(3), 1e-15));
        let b = Block::k_of_n(2, vec![Block::Unit(p); 3]).unwrap();
        assert!(close(b.availability(), 3.0 * p * p - 2.0 * p.powi(3), 1e-15));
        // heterogeneous k-of-n by DP equals enumeration
        let ps = [0.9, 0.8, 0.7];
        let blocks = ps.iter().map(|&a| Block::Unit(a)).collect();
        let dp = Block::k_of_n(2, blocks).unwrap().availability();
        let mut brute = 0.0;
        for mask in 0u32..8 {
            let mut pr = 1.0;
            for (i, a) in ps.iter().enumerate() {
                pr *= if mask >> i & 1 == 1 { *a } else { 1.0 - a };
            }
            if mask.count_ones() >= 2 {
                brute += pr;
            }
        }
        assert!(close(dp, brute, 1e-15), "{dp} vs {brute}");
        // 1-of-n is parallel, n-of-n is series
        let bs = vec![Block::Unit(0.9), Block::Unit(0.8)];
        assert!(close(Block::k_of_n(1, bs.clone()).unwrap().availability(), 0.98, 1e-15));
        assert!(close(Block::k_of_n(2, bs).unwrap().availability(), 0.72, 1e-15));
    }

    #[test]
    fn correlation_caps_redundancy() {
        let r = Block::unit(0.99).unwrap();
        let one_zone = Block::shared(0.999, Block::parallel(vec![r.clone(); 3]).unwrap()).unwrap();
        assert!(close(one_zone.availability(), 0.999 * (1.0 - 1e-6), 1e-15));
        let spread = Block::parallel(vec![Block::shared(0.999, r).unwrap(); 3]).unwrap();
        let per = 0.999 * 0.99;
        assert!(close(spread.availability(), 1.0 - (1.0_f64 - per).powi(3), 1e-15));
    }

    /// The nines table of *Site Reliability Engineering* ch. 3 / common practice: 99.9 % →
    /// 8.76 h a year and 43.2 min a 30-day month; 99.99 % → 52.56 min a year; 99.999 % →
    /// 5.26 min a year.
    #[test]
    fn nines_and_downtime() {
        let h = |d: Duration| d.as_secs_f64() / 3600.0;
        let m = |d: Duration| d.as_secs_f64() / 60.0;
        assert!(close(h(downtime_per_year(0.999).unwrap()), 8.76, 1e-9));
        assert!(close(m(downtime_per_month(0.999).unwrap()), 43.2, 1e-9));
        assert!(close(m(downtime_per_year(0.9999).unwrap()), 52.56, 1e-6));
        assert!(close(m(downtime_per_year(0.99999).unwrap()), 5.256, 1e-6));
        assert!(close(nines(0.99999).unwrap(), 5.0, 1e-9));
        assert!(close(availability_from_nines(3.0).unwrap(), 0.999, 1e-15));
        assert_eq!(nines_table().len(), 7);
    }

    #[test]
    fn mtbf_mttr_round_trip() {
        let a = availability_from_mtbf_mttr(1000.0, 1.0).unwrap();
        assert!(close(a, 1000.0 / 1001.0, 1e-15));
        assert!(close(mttr_for(a, 1000.0).unwrap(), 1.0, 1e-9));
        assert!(close(mtbf_for(a, 1.0).unwrap(), 1000.0, 1e-6));
    }

    #[test]
    fn bad_inputs_name_the_parameter() {
        assert!(series(&[0.5, 1.5]).unwrap_err().to_string().starts_with("availabilities[1]"));
        assert!(parallel(&[]).is_err());
        assert!(availability_from_mtbf_mttr(0.0, 1.0).unwrap_err().to_string().starts_with("mtbf"));
        assert!(availability_from_mtbf_mttr(1.0, -1.0)
            .unwrap_err()
            .to_string()
            .starts_with("mttr"));
        assert!(mtbf_for(1.0, 1.0).unwrap_err().to_string().starts_with("availability"));
        assert!(Block::k_of_n(3, vec![Block::Unit(0.5)])
            .unwrap_err()
            .to_string()
            .starts_with("k = 3"));
        assert!(Block::shared(2.0, Block::Unit(0.5))
            .unwrap_err()
            .to_string()
            .starts_with("domain"));
        assert!(with_retries(0.5, 0).unwrap_err().to_string().starts_with("attempts"));
        let d = Dist::constant(1.0).unwrap();
        assert!(hedged_latencies(&d, -1.0, 10, 1)
            .unwrap_err()
            .to_string()
            .starts_with("hedge_after_ms"));
    }

    #[test]
    fn failure_domains_impact_and_survival() {
        let s = FailureDomains::new(vec![
            vec!["z1", "r1"],
            vec!["z1", "r1"],
            vec!["z1", "r2"],
            vec!["z2", "r1"],
        ])
        .unwrap();
        assert_eq!(s.modes()[..3], ["z1", "z2", "z1/r1"]);
        assert_eq!(s.modes().len(), 2 + 3 + 4);
        assert_eq!(s.impact("z1/r1").unwrap(), vec![0, 1]);
        assert_eq!(s.impact("z2/r1/n3").unwrap(), vec![3]);
        assert!(!s.survives("z1/r1", &[0, 1, 3], 2).unwrap());
        assert!(s.survives("z1/r1", &[0, 2, 3], 2).unwrap());
        assert!(s.impact("z9").is_err());
        assert!(FailureDomains::new(vec![vec!["a"], vec!["a", "b"]]).is_err());
        assert!(s.survives("z1", &[7], 1).is_err());
    }

    #[test]
    fn retries_help_only_against_independent_failures() {
        assert!(close(with_retries(0.9, 3).unwrap(), 0.999, 1e-12));
        assert!(close(with_retries_correlated(0.9, 3, 0.0).unwrap(), 0.999, 1e-12));
        assert!(close(with_retries_correlated(0.9, 3, 1.0).unwrap(), 0.9, 1e-12));
    }

    #[test]
    fn hedging_cuts_the_tail_and_costs_the_hedged_fraction() {
        let d = Dist::mixture(vec![
            (0.97, Dist::exponential_mean(10.0).unwrap()),
            (0.03, Dist::constant(300.0).unwrap()),
        ])
        .unwrap();
        let (plain, none) = hedged_latencies(&d, f64::INFINITY, 50_000, 9).unwrap();
        let (hedged, extra) = hedged_latencies(&d, 60.0, 50_000, 9).unwrap();
        assert_eq!(none, 0.0);
        let (p, h) = (tail_summary(&plain).unwrap(), tail_summary(&hedged).unwrap());
        assert!(close(p.p99, 300.0, 1e-9));
        assert!(h.p99 < 100.0, "{h:?}");
        // extra load = P(X > 60) = 0.97 e^{-6} + 0.03
        let expect = 0.97 * (-6.0f64).exp() + 0.03;
        assert!(close(extra, expect, 0.004), "{extra} vs {expect}");
        // deterministic
        assert_eq!(hedged, hedged_latencies(&d, 60.0, 50_000, 9).unwrap().0);
    }
}
