//! # Probabilistically bounded staleness: how eventual is eventual consistency?
//!
//! Dynamo-style stores (Cassandra, Riak, Voldemort) keep N replicas of each key, send every
//! write to all N and acknowledge it after W replies, send every read to all N (or R) and
//! answer with the newest of the first R replies. With **R + W > N** every read quorum meets
//! every write quorum and a read issued after a write commits sees it. With **R + W ≤ N**
//! (partial quorums, e.g. N = 3, R = W = 1, Cassandra's default `ONE`) it may not: the store
//! is only *eventually* consistent. Bailis et al. asked *how* eventual, and answered with
//! **PBS** (probabilistically bounded staleness):
//!
//! * **k-staleness** — how many versions behind? With non-expanding partial quorums (a write
//!   reaches exactly W random replicas, a read asks R random replicas), a read misses a write
//!   with probability C(N−W, R) / C(N, R); it misses the last k writes with probability
//!
//!   p_sk = ( C(N−W, R) / C(N, R) )^k        (PBS §3.2, Eq. 4: [`prob_stale`]).
//!
//! * **t-visibility** — how long after commit? The **WARS** model (PBS §4) follows one write
//!   and one read through replica i: the write request takes W_i to reach it, the ack A_i to
//!   come back; the read request takes R_i, the response S_i. The write commits at
//!   w_t = the W-th smallest of W_i + A_i. A read issued t ms after commit receives its first
//!   R responses (the R smallest R_i + S_i); a response from replica i is fresh when the write
//!   had reached it before the read request did, w_t + t + R_i ≥ W_i. The read is consistent
//!   when any of its R responses is fresh. Writes keep propagating after commit (expanding
//!   quorums), so P(consistent) grows with t: the **consistency delay window**.
//!
//! P(consistent | t) = P(t ≥ T*), where T* = min over the first R responders j of
//! (W_j − w_t − R_j): one Monte Carlo sample of T* answers the question for every t at once
//! ([`consistency_curve`], [`t_visibility`]) and its quantiles are the waiting times
//! ([`time_to_visibility`]).
//!
//! ## Latency profiles
//! [`LatencyProfile`] holds the four delay distributions. The published fits (PBS Table 3,
//! Pareto(x_m, α) mixed with exponentials of rate λ per ms) come from LinkedIn (Voldemort on
//! SSDs and on disks) and Yammer (Riak): [`LatencyProfile::lnkd_ssd`], [`lnkd_disk`],
//! [`ymmr`], and [`wan`] (LNKD-DISK across N datacentres, +75 ms per message crossing
//! between datacentres). Build your own with [`LatencyProfile::new`] from any [`Dist`], or
//! from measured delays with [`LatencyProfile::from_csv`].
//!
//! [`lnkd_disk`]: LatencyProfile::lnkd_disk
//! [`ymmr`]: LatencyProfile::ymmr
//! [`wan`]: LatencyProfile::wan
//!
//! ```
//! use course_lib::staleness::{prob_stale, t_visibility, LatencyProfile};
//! // N = 3, R = W = 1: a random read misses the last write 2/3 of the time ...
//! assert!((prob_stale(3, 1, 1, 1)? - 2.0 / 3.0).abs() < 1e-12);
//! // ... but writes propagate to all replicas, and with LinkedIn's SSD latencies a read
//! // issued right at commit is consistent most of the time.
//! let p0 = t_visibility(&LatencyProfile::lnkd_ssd(), 3, 1, 1, 0.0, 200_000, 1)?;
//! assert!(p0 > 0.9);
//! // R + W > N: always consistent.
//! assert_eq!(t_visibility(&LatencyProfile::lnkd_ssd(), 3, 2, 2, 0.0, 10_000, 1)?, 1.0);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## The published numbers, reproduced
//! `tests/pbs_published.rs` checks this model against the numbers Bailis et al. print
//! (CACM 2014 version, §5), with the allowance their Monte Carlo and ours leave:
//!
//! | N = 3, R = W = 1 unless stated | paper | this model (10⁶ trials) |
//! |---|---:|---:|
//! | P(consistent) at commit, LNKD-SSD | 97.4 % | 97.36 % |
//! | P(consistent) at commit, LNKD-DISK | 43.9 % | 43.67 % |
//! | P(consistent) 10 ms after commit, LNKD-DISK | 92.5 % | 92.64 % |
//! | P(consistent) at commit, YMMR | 89.3 % | 89.29 % |
//! | P(consistent) at commit, LNKD-DISK, N = 2 / N = 10 | 57.5 % / 21.1 % | 57.61 % / 21.03 % |
//! | P(consistent) 5 ms after commit, LNKD-SSD | > 99.999 % | 99.9996 % |
//! | 99.9th-percentile read / write latency (ms), e.g. LNKD-DISK, YMMR R = 3 | 0.66 / 10.99, 219.27 / 10.79 | 0.65 / 10.91, 218.2 / 10.64 |
//! | Δ for 99.9 % consistent reads (ms): LNKD-SSD, LNKD-DISK, YMMR, YMMR R = 2 | 1.85, 45.5, 1364, 202 | 1.97, 52.7, 1462, 219 |
//!
//! The windows differ most, and for a reason worth knowing: the paper finds Δ by sweeping t
//! over a grid with 50 000 fresh trials per point and reporting the first point whose
//! estimate reaches 99.9 %. Near a heavy tail many points sit just above 0.1 % stale, and the
//! first one that happens to draw few stale reads ends the sweep, so that procedure reports
//! windows shorter than the true 99.9 % point (our column). The test computes, from this
//! model, the exact distribution of what the paper's procedure would report; every published
//! Δ lies inside its central 99 %.
//!
//! ## Speed and reproducibility
//! The Monte Carlo draws 4N delays per trial. Each is drawn by inverse-transform sampling
//! from a precomputed table of the distribution's quantile function ([`InverseCdfTable`]):
//! 1 024 cells per level with linear interpolation, four levels that zoom geometrically into
//! the right tail (down to tail probability 2⁻⁴⁰), so a draw costs one 64-bit random number, a
//! few integer operations and one multiply–add. Trials run in chunks of [`CHUNK_TRIALS`];
//! chunk i uses the stream `Stream::Trial(i)` of the seed whatever thread runs it, so the answer depends only
//! on the arguments, not on the number of cores.
//!
//! ## Reading
//! * P. Bailis, S. Venkataraman, M. J. Franklin, J. M. Hellerstein, I. Stoica,
//!   "Probabilistically Bounded Staleness for Practical Partial Quorums", *PVLDB* 5(8), 2012;
//!   extended as "Quantifying Eventual Consistency with PBS", *VLDB Journal* 23(2), 2014 and
//!   *CACM* 57(8), 2014. The simulator the authors published defines the WARS model used
//!   here (including the YMMR write shape α = 3.5 where the paper's table prints 3.35, and the
//!   WAN variant, for which the CACM version reports no figures).
//! * D. Malkhi, M. Reiter, A. Wool, R. Wright, "Probabilistic Quorum Systems", *Information
//!   and Computation* 170(2), 2001 (the k-staleness arithmetic's ancestor).
//! * G. DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store", SOSP 2007.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::Stream;

/// Trials per Monte Carlo chunk (chunk i uses the stream `Stream::Trial(i)` of the seed). Part of the
/// reproducibility promise: changing it changes every estimate.
pub const CHUNK_TRIALS: usize = 1 << 15;

/// Cells per level of an [`InverseCdfTable`] (as a power of two).
const CELL_BITS: u32 = 10;
const CELLS: usize = 1 << CELL_BITS;
/// Levels of an [`InverseCdfTable`]: level k covers u in [1 − 2^(−10k), 1 − 2^(−10(k+1))).
const LEVELS: usize = 4;

/// A fast sampler for one distribution: its quantile function tabulated on 1 024 cells per
/// level, four levels zooming into the right tail, with linear interpolation inside a cell.
///
/// A 64-bit random number x is read 10 bits at a time from the top: while the 10 bits are all
/// ones (u is in the last cell) and levels remain, move one level deeper; the 10 bits then
/// pick the cell and the remaining bits the position inside it. The draw has the law of the
/// piecewise-linear interpolation of the quantile function, which differs from the exact law
/// by far less than the Monte Carlo noise of any run of this module (a test compares it with
/// exact sampling); the last cell of the deepest level (probability 2⁻⁴⁰) is drawn exactly.
#[derive(Clone, Debug)]
pub struct InverseCdfTable {
    /// (value at the left knot, slope per unit of in-cell position), per level and cell.
    cells: Vec<(f64, f64)>,
    dist: Dist,
}

impl InverseCdfTable {
    /// Tabulates `dist`'s quantile function (a few thousand quantile evaluations).
    pub fn new(dist: &Dist) -> Result<Self> {
        let mut cells = Vec::with_capacity(LEVELS * CELLS);
        for level in 0..LEVELS {
            let lo = 1.0 - 2f64.powi(-(CELL_BITS as i32) * level as i32);
            let width = 2f64.powi(-(CELL_BITS as i32) * level as i32);
            let knot = |i: usize| -> Result<f64> {
                let p = lo + width * i as f64 / CELLS as f64;
                dist.quantile(p.min(1.0))
            };
            let mut left = knot(0)?;
            for i in 0..CELLS {
                let right = if level + 1 == LEVELS && i + 1 == CELLS {
                    left // drawn exactly, see `sample`
                } else {
                    knot(i + 1)?
                };
                let (l, r) = (left.max(0.0), right.max(0.0));
                cells.push((l, r - l));
                left = right;
            }
        }
        Ok(InverseCdfTable { cells, dist: dist.clone() })
    }

    /// One draw from 64 random bits.
    #[inline(always)]
    pub fn sample(&self, x: u64) -> f64 {
        let mut bits = x;
        let mut level = 0;
        while level + 1 < LEVELS && bits >> (64 - CELL_BITS) == (CELLS as u64 - 1) {
            bits <<= CELL_BITS;
            level += 1;
        }
        let cell = (bits >> (64 - CELL_BITS)) as usize;
        let idx = level * CELLS + cell;
        let frac = ((bits << CELL_BITS) >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        if idx + 1 == LEVELS * CELLS {
            return self.exact_tail(frac);
        }
        // SAFETY-free fast path: idx < LEVELS * CELLS by construction.
        let (base, slope) = self.cells[idx];
        base + slope * frac
    }

    #[cold]
    fn exact_tail(&self, frac: f64) -> f64 {
        let p = 1.0 - 2f64.powi(-(CELL_BITS as i32) * LEVELS as i32) * (1.0 - frac);
        self.dist.quantile(p.min(1.0)).unwrap_or(f64::MAX).max(0.0)
    }
}

/// The four delay distributions of the WARS model, in ms, and where replicas sit.
#[derive(Clone, Debug)]
pub struct LatencyProfile {
    name: String,
    w: Dist,
    a: Dist,
    r: Dist,
    s: Dist,
    wan_ms: Option<f64>,
    tables: Arc<[InverseCdfTable; 4]>,
}

fn mix(p_pareto: f64, scale: f64, shape: f64, rate: f64) -> Dist {
    Dist::mixture(vec![
        (p_pareto, Dist::pareto(scale, shape).expect("published parameters are valid")),
        (1.0 - p_pareto, Dist::exponential(rate).expect("published parameters are valid")),
    ])
    .expect("published parameters are valid")
}

impl LatencyProfile {
    /// A profile from four distributions: write request W, write ack A, read request R, read
    /// response S (ms). Tabulates them for fast sampling.
    pub fn new(name: impl Into<String>, w: Dist, a: Dist, r: Dist, s: Dist) -> Result<Self> {
        for (n, d) in [("W", &w), ("A", &a), ("R", &r), ("S", &s)] {
            d.check()?;
            if !d.is_non_negative() {
                return Err(Error::invalid(
                    format!("latency profile ({n} distribution)"),
                    format!("{d} can produce negative delays; use a non-negative distribution"),
                ));
            }
        }
        let t = |d: &Dist, same: &[(&Dist, &InverseCdfTable)]| -> Result<InverseCdfTable> {
            match same.iter().find(|(o, _)| *o == d) {
                Some((_, t)) => Ok((*t).clone()),
                None => InverseCdfTable::new(d),
            }
        };
        let tw = InverseCdfTable::new(&w)?;
        let ta = t(&a, &[(&w, &tw)])?;
        let tr = t(&r, &[(&w, &tw), (&a, &ta)])?;
        let ts = t(&s, &[(&w, &tw), (&a, &ta), (&r, &tr)])?;
        Ok(LatencyProfile {
            name: name.into(),
            w,
            a,
            r,
            s,
            wan_ms: None,
            tables: Arc::new([tw, ta, tr, ts]),
        })
    }

    /// LinkedIn's Voldemort on SSDs (PBS Table 3): W, A, R and S all 91.22 %
    /// Pareto(x_m = 0.235 ms, α = 10) + 8.78 % Exp(λ = 1.66 per ms).
    pub fn lnkd_ssd() -> Self {
        let d = mix(0.9122, 0.235, 10.0, 1.66);
        LatencyProfile::new("LNKD-SSD", d.clone(), d.clone(), d.clone(), d)
            .expect("published parameters are valid")
    }

    /// LinkedIn's Voldemort on spinning disks (PBS Table 3): W 38 % Pareto(1.05, 1.51) + 62 %
    /// Exp(0.183); A, R, S as LNKD-SSD (only writes touch the disk).
    pub fn lnkd_disk() -> Self {
        let fast = mix(0.9122, 0.235, 10.0, 1.66);
        LatencyProfile::new(
            "LNKD-DISK",
            mix(0.38, 1.05, 1.51, 0.183),
            fast.clone(),
            fast.clone(),
            fast,
        )
        .expect("published parameters are valid")
    }

    /// Yammer's Riak (PBS Table 3): W 93.9 % Pareto(3, 3.5) + 6.1 % Exp(0.0028); A, R, S
    /// 98.2 % Pareto(1.5, 3.8) + 1.8 % Exp(0.0217). (The paper prints α = 3.35 for W; the
    /// authors' simulator uses 3.5, as here.)
    pub fn ymmr() -> Self {
        let ars = mix(0.982, 1.5, 3.8, 0.0217);
        LatencyProfile::new("YMMR", mix(0.939, 3.0, 3.5, 0.0028), ars.clone(), ars.clone(), ars)
            .expect("published parameters are valid")
    }

    /// LNKD-DISK across datacentres (PBS §5.2): the N replicas sit in N different
    /// datacentres; a write and a read each start in an independently, uniformly chosen one,
    /// and every message to or from a replica in another datacentre takes 75 ms more.
    pub fn wan() -> Self {
        let mut p = LatencyProfile::lnkd_disk();
        p.name = "WAN".into();
        p.wan_ms = Some(75.0);
        p
    }

    /// A profile whose four delays are all the measured delays in column `column` of the CSV
    /// file at `path`, multiplied by `ms_per_unit` (e.g. 0.001 for microseconds, 0.0005 for
    /// round trips in microseconds taken as twice a one-way delay).
    ///
    /// # Errors
    /// The file cannot be read or parsed (see [`Dist::empirical_from_csv`]); `ms_per_unit` is
    /// not finite and > 0; a value is negative.
    pub fn from_csv(
        name: impl Into<String>,
        path: impl AsRef<std::path::Path>,
        column: &str,
        ms_per_unit: f64,
    ) -> Result<Self> {
        let scale = validate::positive("ms_per_unit", ms_per_unit)?;
        let Dist::Empirical(e) = Dist::empirical_from_csv(path, column)? else {
            unreachable!("empirical_from_csv returns an empirical distribution")
        };
        let d = Dist::empirical(e.samples().iter().map(|x| x * scale).collect())?;
        LatencyProfile::new(name, d.clone(), d.clone(), d.clone(), d)
    }

    /// The same profile with replicas in different datacentres: `delay_ms` (≥ 0) added to each
    /// message crossing between datacentres (see [`LatencyProfile::wan`]).
    pub fn across_datacenters(mut self, delay_ms: f64) -> Result<Self> {
        self.wan_ms = Some(validate::non_negative("delay_ms", delay_ms)?);
        self.name = format!("{} across datacentres (+{delay_ms} ms)", self.name);
        Ok(self)
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The write-request delay W.
    pub fn w(&self) -> &Dist {
        &self.w
    }

    /// The write-acknowledgement delay A.
    pub fn a(&self) -> &Dist {
        &self.a
    }

    /// The read-request delay R.
    pub fn r(&self) -> &Dist {
        &self.r
    }

    /// The read-response delay S.
    pub fn s(&self) -> &Dist {
        &self.s
    }

    /// The extra cross-datacentre delay, if replicas are spread over datacentres.
    pub fn wan_ms(&self) -> Option<f64> {
        self.wan_ms
    }
}

impl std::fmt::Display for LatencyProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: W = {}, A = {}, R = {}, S = {}", self.name, self.w, self.a, self.r, self.s)?;
        if let Some(d) = self.wan_ms {
            write!(f, ", +{d} ms between datacentres")?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Parameter checks

fn check_nrw(n: usize, r: usize, w: usize) -> Result<()> {
    validate::at_least("N", n, 1)?;
    for (name, v) in [("R", r), ("W", w)] {
        if v == 0 || v > n {
            return Err(Error::out_of_range(name, v, format!("must be between 1 and N = {n}")));
        }
    }
    Ok(())
}

fn check_trials(trials: usize) -> Result<usize> {
    validate::at_least("trials", trials, 1)
}

fn check_t(t_ms: f64) -> Result<f64> {
    validate::non_negative("t_ms", t_ms)
}

/// Largest N the simulation accepts (replicas per key).
pub const MAX_N: usize = 64;

// ---------------------------------------------------------------------------------------------
// The WARS kernel

/// Runs `len` trials, calling `f(T*, w_t, read latency)` for each. T* = min over the first R
/// read responders j of (W_j − w_t − R_j): the read is consistent iff it is issued at
/// t ≥ T* after commit; w_t is the write latency and the read latency is the R-th fastest
/// response. Dispatches once on N to a loop over fixed-size arrays.
#[inline]
fn for_each_trial(
    p: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    rng: &mut SimRng,
    len: usize,
    f: impl FnMut(f64, f64, f64),
) {
    match n {
        1 => trials_fixed::<1>(p, r, w, rng, len, f),
        2 => trials_fixed::<2>(p, r, w, rng, len, f),
        3 => trials_fixed::<3>(p, r, w, rng, len, f),
        4 => trials_fixed::<4>(p, r, w, rng, len, f),
        5 => trials_fixed::<5>(p, r, w, rng, len, f),
        6..=8 => trials_var::<8>(p, n, r, w, rng, len, f),
        9..=16 => trials_var::<16>(p, n, r, w, rng, len, f),
        _ => trials_var::<MAX_N>(p, n, r, w, rng, len, f),
    }
}

#[inline(always)]
fn trials_fixed<const N: usize>(
    p: &LatencyProfile,
    r: usize,
    w: usize,
    rng: &mut SimRng,
    len: usize,
    f: impl FnMut(f64, f64, f64),
) {
    trials_var::<N>(p, N, r, w, rng, len, f)
}

/// The kernel, on arrays of capacity `CAP` of which the first `n` are used.
#[inline(always)]
fn trials_var<const CAP: usize>(
    p: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    rng: &mut SimRng,
    len: usize,
    mut f: impl FnMut(f64, f64, f64),
) {
    let [tw, ta, tr, ts] = &*p.tables;
    let mut ws = [0.0f64; CAP];
    let mut wl = [0.0f64; CAP];
    let mut rs = [0.0f64; CAP];
    let mut rl = [0.0f64; CAP];
    for _ in 0..len {
        let (wdc, rdc, extra) = match p.wan_ms {
            Some(d) => {
                let x = rng.next_u64();
                (
                    (((x >> 32) * n as u64) >> 32) as usize,
                    (((x & 0xFFFF_FFFF) * n as u64) >> 32) as usize,
                    d,
                )
            }
            None => (usize::MAX, usize::MAX, 0.0),
        };
        for i in 0..n {
            let mut wi = tw.sample(rng.next_u64());
            let mut ai = ta.sample(rng.next_u64());
            let mut ri = tr.sample(rng.next_u64());
            let mut si = ts.sample(rng.next_u64());
            if wdc != usize::MAX {
                if i != wdc {
                    wi += extra;
                    ai += extra;
                }
                if i != rdc {
                    ri += extra;
                    si += extra;
                }
            }
            ws[i] = wi;
            wl[i] = wi + ai;
            rs[i] = ri;
            rl[i] = ri + si;
        }
        // w_t: the W-th smallest write round trip
        let w_t = kth_smallest(&mut wl[..n], w - 1);
        // the first R read responders: repeatedly take the fastest remaining
        let mut t_star = f64::INFINITY;
        let mut read_latency = 0.0;
        for _ in 0..r {
            let mut best = 0;
            while !rl[best].is_finite() {
                best += 1;
            }
            for i in best + 1..n {
                if rl[i] < rl[best] {
                    best = i;
                }
            }
            t_star = t_star.min(ws[best] - w_t - rs[best]);
            read_latency = rl[best];
            rl[best] = f64::INFINITY;
        }
        f(t_star, w_t, read_latency);
    }
}

/// The k-th smallest (0-based) of `xs` (reorders `xs`).
#[inline(always)]
fn kth_smallest(xs: &mut [f64], k: usize) -> f64 {
    if k == 0 {
        return xs.iter().copied().fold(f64::INFINITY, f64::min);
    }
    if xs.len() <= 8 {
        // insertion sort: tiny arrays
        for i in 1..xs.len() {
            let mut j = i;
            while j > 0 && xs[j - 1] > xs[j] {
                xs.swap(j - 1, j);
                j -= 1;
            }
        }
        return xs[k];
    }
    *xs.select_nth_unstable_by(k, f64::total_cmp).1
}

/// Runs `trials` trials in chunks on `threads` threads; `per_chunk` folds one chunk into a
/// value and `merge` combines chunk values in chunk order.
fn run_chunks<T: Send>(
    trials: usize,
    seed: u64,
    threads: usize,
    per_chunk: impl Fn(&mut SimRng, usize) -> T + Sync,
) -> Vec<T> {
    let chunks = trials.div_ceil(CHUNK_TRIALS);
    let next = AtomicU64::new(0);
    let work = || {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed) as usize;
            if i >= chunks {
                break out;
            }
            let len = CHUNK_TRIALS.min(trials - i * CHUNK_TRIALS);
            out.push((i, per_chunk(&mut Stream::Trial(i as u64).rng(seed), len)));
        }
    };
    let threads = threads.clamp(1, chunks.max(1));
    let mut all: Vec<(usize, T)> = if threads == 1 {
        work()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("Monte Carlo worker panicked"))
                .collect()
        })
    };
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Like [`t_visibility`] with an explicit number of threads (the result does not depend on it).
#[allow(clippy::too_many_arguments)]
pub fn t_visibility_with_threads(
    profile: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    t_ms: f64,
    trials: usize,
    seed: u64,
    threads: usize,
) -> Result<f64> {
    let trials = check_all(n, r, w, trials)?;
    let t = check_t(t_ms)?;
    validate::at_least("threads", threads, 1)?;
    if r + w > n {
        return Ok(1.0); // strict quorums: every read quorum meets the write quorum
    }
    let counts = run_chunks(trials, seed, threads, |rng, len| {
        let mut ok = 0u64;
        for_each_trial(profile, n, r, w, rng, len, |t_star, _, _| ok += u64::from(t_star <= t));
        ok
    });
    Ok(counts.iter().sum::<u64>() as f64 / trials as f64)
}

/// The probability that a read issued `t_ms` after a write commits returns that write (or a
/// newer one), for N replicas, read quorum R and write quorum W, under `profile`: a Monte
/// Carlo estimate from `trials` trials of the WARS model on all cores. Same arguments, same
/// answer, on any machine. R + W > N gives exactly 1.
///
/// # Errors
/// N = 0 or N > [`MAX_N`]; R or W of 0 or above N; `t_ms` negative or not finite;
/// `trials` = 0.
///
/// ```
/// use course_lib::staleness::{t_visibility, LatencyProfile};
/// let p = LatencyProfile::lnkd_disk();
/// let now = t_visibility(&p, 3, 1, 1, 0.0, 100_000, 7)?;
/// let later = t_visibility(&p, 3, 1, 1, 50.0, 100_000, 7)?;
/// assert!(later > now);
/// assert!(t_visibility(&p, 3, 0, 1, 0.0, 10, 7).is_err());
/// assert!(t_visibility(&p, 3, 1, 1, -1.0, 10, 7).is_err());
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn t_visibility(
    profile: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    t_ms: f64,
    trials: usize,
    seed: u64,
) -> Result<f64> {
    t_visibility_with_threads(profile, n, r, w, t_ms, trials, seed, cores())
}

/// Samples of T* (the earliest time after commit at which a read would be consistent, ≤ 0
/// when it already is at commit), in chunk order.
fn t_star_samples(
    profile: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    trials: usize,
    seed: u64,
) -> Vec<f64> {
    run_chunks(trials, seed, cores(), |rng, len| {
        let mut v = Vec::with_capacity(len);
        for_each_trial(profile, n, r, w, rng, len, |t_star, _, _| v.push(t_star));
        v
    })
    .concat()
}

fn check_all(n: usize, r: usize, w: usize, trials: usize) -> Result<usize> {
    check_nrw(n, r, w)?;
    if n > MAX_N {
        return Err(Error::out_of_range(
            "N",
            n,
            format!("must be at most {MAX_N} for the simulation"),
        ));
    }
    check_trials(trials)
}

/// P(consistent) at each time in `ts_ms` (ms after commit, each ≥ 0), all from the same
/// `trials` trials: the consistency delay window curve. Each value equals
/// [`t_visibility`] at that t with the same seed.
///
/// # Errors
/// As [`t_visibility`], for every t.
pub fn consistency_curve(
    profile: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    ts_ms: &[f64],
    trials: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    let trials = check_all(n, r, w, trials)?;
    for &t in ts_ms {
        check_t(t)?;
    }
    if r + w > n {
        return Ok(vec![1.0; ts_ms.len()]);
    }
    let mut sorted: Vec<(f64, usize)> = ts_ms.iter().copied().zip(0..).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let grid: Vec<f64> = sorted.iter().map(|p| p.0).collect();
    // counts[k] = trials whose T* falls at or below grid[k] but above grid[k-1]
    let counts = run_chunks(trials, seed, cores(), |rng, len| {
        let mut c = vec![0u64; grid.len() + 1];
        for_each_trial(profile, n, r, w, rng, len, |t, _, _| {
            c[grid.partition_point(|&g| g < t)] += 1
        });
        c
    });
    let mut total = vec![0u64; grid.len() + 1];
    for c in counts {
        for (t, x) in total.iter_mut().zip(c) {
            *t += x;
        }
    }
    let mut out = vec![0.0; ts_ms.len()];
    let mut acc = 0u64;
    for (k, &(_, orig)) in sorted.iter().enumerate() {
        acc += total[k];
        out[orig] = acc as f64 / trials as f64;
    }
    Ok(out)
}

/// The smallest t ≥ 0 (ms after commit) at which P(consistent) ≥ `target`, estimated from
/// `trials` trials: the `target`-quantile of T*. 0 when reads are already that consistent at
/// commit (always for R + W > N).
///
/// "Smallest t" is the contract, so this is the inverse of the trials' step CDF, the
/// ⌈target · trials⌉-th smallest T* (the estimate P̂(T* ≤ t) reaches `target` exactly there),
/// not the interpolated sample quantile of [`crate::stats::quantile`], which can fall between
/// two trials, where P̂ is still below `target`.
///
/// # Errors
/// As [`t_visibility`]; `target` outside (0, 1).
///
/// ```
/// use course_lib::staleness::{time_to_visibility, LatencyProfile};
/// let t999 = time_to_visibility(&LatencyProfile::lnkd_disk(), 3, 1, 1, 0.999, 200_000, 3)?;
/// assert!(t999 > 10.0 && t999 < 100.0);
/// assert!(time_to_visibility(&LatencyProfile::lnkd_disk(), 3, 1, 1, 1.0, 10, 3).is_err());
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn time_to_visibility(
    profile: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    target: f64,
    trials: usize,
    seed: u64,
) -> Result<f64> {
    let trials = check_all(n, r, w, trials)?;
    if !(target > 0.0 && target < 1.0) {
        return Err(Error::out_of_range("target", target, "must be strictly between 0 and 1"));
    }
    if r + w > n {
        return Ok(0.0);
    }
    let mut t = t_star_samples(profile, n, r, w, trials, seed);
    // the k-th smallest T* with k = ceil(target · trials): P̂(T* ≤ t) ≥ target from there on
    let k = ((target * trials as f64).ceil() as usize).clamp(1, trials);
    let v = *t.select_nth_unstable_by(k - 1, f64::total_cmp).1;
    Ok(v.max(0.0))
}

/// Write latencies (w_t: the W-th fastest write round trip) and read latencies (the R-th
/// fastest read round trip), in ms, from `trials` trials of the WARS model: what a client
/// waits for each choice of (R, W). Used for the latency side of the trade-off.
///
/// # Errors
/// As [`t_visibility`].
pub fn operation_latencies(
    profile: &LatencyProfile,
    n: usize,
    r: usize,
    w: usize,
    trials: usize,
    seed: u64,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let trials = check_all(n, r, w, trials)?;
    let parts = run_chunks(trials, seed, cores(), |rng, len| {
        let mut wl = Vec::with_capacity(len);
        let mut rl = Vec::with_capacity(len);
        for_each_trial(profile, n, r, w, rng, len, |_, w_t, r_t| {
            wl.push(w_t);
            rl.push(r_t);
        });
        (wl, rl)
    });
    let (mut wl, mut rl) = (Vec::with_capacity(trials), Vec::with_capacity(trials));
    for (a, b) in parts {
        wl.extend(a);
        rl.extend(b);
    }
    Ok((wl, rl))
}

/// C(n, k) as an `f64` (exact for the sizes used here).
fn choose(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    let k = k.min(n - k);
    let mut c = 1.0f64;
    for i in 0..k {
        c = c * (n - i) as f64 / (i + 1) as f64;
    }
    c
}

/// k-staleness (PBS §3.2, Eq. 4): the probability that a read misses *all* of the last `k`
/// writes, i.e. returns a value more than k versions old, with non-expanding partial quorums
/// (each write reaches exactly W of the N replicas, chosen at random; a read asks R random
/// replicas):
///
/// p_sk = ( C(N−W, R) / C(N, R) )^k.
///
/// 0 when R + W > N. `1 - prob_stale(n, r, w, k)` is the probability of *k-staleness*: the read
/// returns one of the last k versions.
///
/// # Errors
/// N = 0; R or W of 0 or above N; k = 0.
///
/// ```
/// use course_lib::staleness::prob_stale;
/// assert!((prob_stale(3, 1, 1, 1)? - 2.0 / 3.0).abs() < 1e-15);
/// assert!((prob_stale(3, 1, 1, 3)? - 8.0 / 27.0).abs() < 1e-15);
/// assert_eq!(prob_stale(3, 2, 2, 1)?, 0.0);
/// assert!(prob_stale(3, 4, 1, 1).is_err());
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn prob_stale(n: usize, r: usize, w: usize, k: u32) -> Result<f64> {
    check_nrw(n, r, w)?;
    if k == 0 {
        return Err(Error::out_of_range("k", 0, "must be at least 1 (versions)"));
    }
    let miss = choose(n - w, r) / choose(n, r);
    Ok(miss.powi(k.min(i32::MAX as u32) as i32))
}

/// The probability that a read sees a committed write when the network loses messages and
/// nothing repairs the loss (no anti-entropy, no read repair): the write is sent to all N
/// replicas and reaches each independently with probability 1 − `loss`; it commits when at
/// least W received it; a read asks R replicas chosen at random. Conditioned on the write
/// having committed,
///
/// P(consistent) = Σ_{k=W}^{N} b(k) · (1 − C(N−k, R) / C(N, R)) / Σ_{k=W}^{N} b(k),
///
/// with b(k) = C(N, k) (1 − loss)^k loss^(N−k). With no loss every replica has the write; with
/// R + W > N the read always meets it.
///
/// # Errors
/// N = 0; R or W of 0 or above N; `loss` outside [0, 1) (with loss = 1 no write commits).
///
/// ```
/// use course_lib::staleness::prob_consistent_with_loss;
/// assert_eq!(prob_consistent_with_loss(3, 1, 1, 0.0)?, 1.0);
/// assert_eq!(prob_consistent_with_loss(3, 2, 2, 0.3)?, 1.0);
/// assert!(prob_consistent_with_loss(3, 1, 1, 0.3)? < 0.9);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn prob_consistent_with_loss(n: usize, r: usize, w: usize, loss: f64) -> Result<f64> {
    check_nrw(n, r, w)?;
    let loss = validate::probability("loss", loss)?;
    if loss >= 1.0 {
        return Err(Error::out_of_range(
            "loss",
            loss,
            "must be below 1 (with loss = 1 no write commits)",
        ));
    }
    let q = 1.0 - loss;
    let (mut num, mut den) = (0.0, 0.0);
    for k in w..=n {
        let b = choose(n, k) * q.powi(k as i32) * loss.powi((n - k) as i32);
        den += b;
        num += b * (1.0 - choose(n - k, r) / choose(n, r));
    }
    Ok((num / den).clamp(0.0, 1.0))
}

/// One curve of a delay-window figure ([`WindowSeries::delay_window_figure`]): a label, a
/// profile, and (N, R, W).
#[derive(Clone, Debug)]
pub struct WindowSeries {
    /// Legend text.
    pub label: String,
    /// Latency profile.
    pub profile: LatencyProfile,
    /// Replicas.
    pub n: usize,
    /// Read quorum.
    pub r: usize,
    /// Write quorum.
    pub w: usize,
}

impl WindowSeries {
    /// A curve labelled "`profile` N=.. R=.. W=..".
    pub fn new(profile: &LatencyProfile, n: usize, r: usize, w: usize) -> Result<Self> {
        check_nrw(n, r, w)?;
        Ok(WindowSeries {
            label: format!("{} N={n} R={r} W={w}", profile.name()),
            profile: profile.clone(),
            n,
            r,
            w,
        })
    }
}

#[cfg(test)]
mod tests;
