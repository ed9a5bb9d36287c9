//! # Quorums: how many replicas must answer, and how often they can
//!
//! A replicated service keeps N copies of its data and asks only a *quorum* of them for each
//! operation: enough replicas that any two operations that must see each other share at least
//! one replica, few enough that the operation still succeeds while some replicas are down.
//! This module computes the two numbers that decide whether a quorum design is any good:
//! its **availability** (the probability that a quorum of live replicas exists) and its
//! **load** (how much of the traffic the busiest replica must carry).
//!
//! ## Definitions
//! * A **quorum system** over nodes U = {1, …, N} is a family of subsets (quorums) of U any
//!   two of which intersect. **Majority**: every set of ⌊N/2⌋ + 1 nodes.
//! * **Read/write quorums** (Gifford 1979): reads contact R nodes, writes W nodes. Every read
//!   sees the latest write iff every read quorum meets every write quorum, i.e. **R + W > N**
//!   ([`QuorumConfig::intersects`]).
//! * **Flexible Paxos** (Howard, Malkhi & Spiegelman 2016): Paxos is safe when every phase-1
//!   (leader election) quorum meets every phase-2 (replication) quorum, **Q1 + Q2 > N**; two
//!   phase-2 quorums need not meet ([`FlexibleQuorum`]).
//! * **Availability** under independent failures: each node is up with probability p,
//!   independently. The number of up nodes X is Binomial(N, p), and the probability that some
//!   quorum of size k is up is
//!
//!   P(X ≥ k) = Σ_{j=k}^{N} C(N, j) p^j (1 − p)^(N − j)   ([`at_least_k_of_n`]).
//!
//!   For majority with N = 3 this is 3p² − 2p³; at p = 0.99 it is 0.999702.
//! * **Correlated failures**: nodes sit in failure domains (zones, racks, data centres). Zone
//!   z is up with probability p_z and, when it is up, each of its m_z nodes is up independently
//!   with probability p; a down zone takes all its nodes down ([`Topology`]). The number of up
//!   nodes of a zone then has the law f_z(0) = (1 − p_z) + p_z (1 − p)^m_z and
//!   f_z(j) = p_z C(m_z, j) p^j (1 − p)^(m_z − j) for j ≥ 1, and the total is the convolution of
//!   the f_z: this is the sum over all 2^Z zone up/down patterns of the pattern's probability
//!   times a binomial tail, computed in O(N²) instead of O(2^Z) ([`Topology::at_least_k`]).
//! * **Load** (Naor & Wool 1998): an *access strategy* is a probability distribution over the
//!   quorums; the load of a node is the probability that it is in the quorum picked; the load
//!   of the system is the smallest, over all strategies, of the busiest node's load. Every
//!   access touches at least c nodes (c = the smallest quorum size), so some node has load
//!   ≥ c / N; when the uniform strategy spreads accesses evenly this bound is reached. Majority:
//!   (⌊N/2⌋ + 1) / N, never below one half ([`majority_load`]). Grids: see [`GridQuorum`].
//!
//! ```
//! use course_lib::quorum::{majority_availability, monte_carlo_at_least_k, QuorumConfig, Topology, Zone};
//!
//! // Three replicas, each up 99 % of the time: a majority is up 99.97 % of the time.
//! let a = majority_availability(3, 0.99)?;
//! assert!((a - (3.0 * 0.99f64.powi(2) - 2.0 * 0.99f64.powi(3))).abs() < 1e-15);
//!
//! // Dynamo-style N = 3, R = 1, W = 1 is fast and always available, but reads may miss writes.
//! let q = QuorumConfig::new(3, 1, 1)?;
//! assert!(!q.intersects());
//! assert!(QuorumConfig::new(3, 2, 2)?.intersects());
//!
//! // Put the three replicas into two zones that fail as a unit 1 % of the time each:
//! // correlated failures cost most of the extra nines.
//! let zones = Topology::zones(vec![Zone { nodes: 2, p_zone_up: 0.99 }, Zone { nodes: 1, p_zone_up: 0.99 }], 0.99)?;
//! let exact = zones.at_least_k(2)?;
//! assert!(exact < a);
//! let sim = monte_carlo_at_least_k(2, &zones, 1_000_000, 7)?;
//! assert!(sim.ci_low <= exact && exact <= sim.ci_high);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Monte Carlo
//! [`monte_carlo_at_least_k`] and [`monte_carlo_quorum`] estimate the same probabilities by
//! simulation and return an [`Estimate`] with a 95 % Wilson score interval. The trials are cut
//! into fixed chunks of [`CHUNK_TRIALS`]; chunk i draws from [`SimRng::stream`]`(seed, i)` and
//! the counts are summed, so the result is a function of `(topology, trials, seed)` alone,
//! whatever the number of threads. Each zone costs one 64-bit random number per trial: the
//! zone's up-count is drawn by inversion, comparing the number with precomputed integer
//! thresholds 2⁶⁴ · P(count ≥ j) (exact up to a resolution of 2⁻⁶⁴).
//!
//! ## Reading
//! * D. K. Gifford, "Weighted Voting for Replicated Data", SOSP 1979.
//! * M. Naor and A. Wool, "The Load, Capacity, and Availability of Quorum Systems",
//!   *SIAM J. Computing* 27(2), 1998 (load: Definition 3.3; the c/N lower bound: Prop. 4.1).
//! * S. Y. Cheung, M. H. Ammar and M. Ahamad, "The Grid Protocol: A High Performance Scheme
//!   for Maintaining Replicated Data", ICDE 1990 (the read/write grid used here, with rows and
//!   columns swapped).
//! * M. Maekawa, "A √N Algorithm for Mutual Exclusion in Decentralized Systems",
//!   *ACM TOCS* 3(2), 1985.
//! * H. Howard, D. Malkhi and A. Spiegelman, "Flexible Paxos: Quorum Intersection
//!   Revisited", OPODIS 2016 (arXiv:1608.06696).
//! * E. B. Wilson, "Probable Inference, the Law of Succession, and Statistical Inference",
//!   *JASA* 22(158), 1927 (the score interval).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::Stream;

/// z such that a standard normal lies in [−z, z] with probability 0.95: Φ⁻¹(0.975).
const Z_95: f64 = 1.959_963_984_540_054;

/// Trials per Monte Carlo chunk; chunk `i` uses the stream `Stream::Trial(i)` of the seed. Part of the
/// reproducibility promise: changing it changes every estimate.
pub const CHUNK_TRIALS: u64 = 1 << 16;

/// Largest grid that [`GridQuorum::availability_by_enumeration`] accepts (2²⁴ states).
pub const MAX_ENUMERATED_NODES: usize = 24;

// ---------------------------------------------------------------------------------------------
// Binomial arithmetic

fn check_n(name: &str, n: usize) -> Result<usize> {
    validate::at_least(name, n, 1)
}

fn check_between(name: &str, value: usize, lo: usize, hi_name: &str, hi: usize) -> Result<usize> {
    if (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(Error::out_of_range(name, value, format!("must be between {lo} and {hi_name} = {hi}")))
    }
}

/// C(n, j) p^j (1 − p)^(n − j), accurate to a few ulps for the sizes of this course.
fn binomial_pmf(n: usize, j: usize, p: f64) -> f64 {
    debug_assert!(j <= n);
    let q = 1.0 - p;
    if p == 0.0 {
        return if j == 0 { 1.0 } else { 0.0 };
    }
    if p == 1.0 {
        return if j == n { 1.0 } else { 0.0 };
    }
    if n <= 120 {
        // exact coefficient (fits in u128), exact integer powers up to rounding
        let mut c: u128 = 1;
        let j_small = j.min(n - j);
        for i in 0..j_small {
            c = c * (n - i) as u128 / (i as u128 + 1);
        }
        let v = (c as f64) * p.powi(j as i32) * q.powi((n - j) as i32);
        if v.is_normal() && v > 1e-280 {
            return v;
        }
    }
    let ln = statrs::function::factorial::ln_binomial(n as u64, j as u64)
        + j as f64 * p.ln()
        + (n - j) as f64 * (-p).ln_1p();
    ln.exp()
}

/// P(X ≥ k) for a law given by its probability mass function, summing whichever tail is the
/// smaller one (from its small end), so both tiny and nearly-1 results keep their digits.
fn tail_at_least(pmf: &[f64], k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k >= pmf.len() {
        return 0.0;
    }
    let upper: f64 = pmf[k..].iter().rev().sum();
    if upper < 0.5 {
        upper
    } else {
        let lower: f64 = pmf[..k].iter().sum();
        (1.0 - lower).clamp(0.0, 1.0)
    }
}

fn binomial_pmf_vec(n: usize, p: f64) -> Vec<f64> {
    (0..=n).map(|j| binomial_pmf(n, j, p)).collect()
}

/// Probability that at least `k` of `n` independent nodes, each up with probability `p`, are
/// up: P(X ≥ k) for X ~ Binomial(n, p).
///
/// `n >= 1`, `0 <= k <= n`, `p` in `[0, 1]`. The sum is taken over the smaller tail, so results
/// near 1 (many nines) and near 0 are both accurate to a few ulps.
///
/// ```
/// # use course_lib::quorum::at_least_k_of_n;
/// assert_eq!(at_least_k_of_n(0, 5, 0.3)?, 1.0);
/// assert!((at_least_k_of_n(5, 5, 0.9)? - 0.9f64.powi(5)).abs() < 1e-15);
/// assert!(at_least_k_of_n(4, 3, 0.9).unwrap_err().to_string().contains("between 0 and n = 3"));
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn at_least_k_of_n(k: usize, n: usize, p: f64) -> Result<f64> {
    let n = check_n("n", n)?;
    let k = check_between("k", k, 0, "n", n)?;
    let p = validate::probability("p", p)?;
    Ok(tail_at_least(&binomial_pmf_vec(n, p), k))
}

/// Probability that a strict majority, ⌊n/2⌋ + 1 of `n` independent nodes each up with
/// probability `p`, is up. `n >= 1`, `p` in `[0, 1]`.
///
/// ```
/// # use course_lib::quorum::majority_availability;
/// let p = 0.9;
/// assert!((majority_availability(3, p)? - (3.0 * p * p - 2.0 * p * p * p)).abs() < 1e-15);
/// assert_eq!(majority_availability(1, p)?, p);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn majority_availability(n: usize, p: f64) -> Result<f64> {
    let n = check_n("n", n)?;
    at_least_k_of_n(n / 2 + 1, n, p)
}

/// Naor–Wool load of the majority system on `n` nodes: (⌊n/2⌋ + 1) / n. `n >= 1`.
///
/// Every majority has ⌊n/2⌋ + 1 members, so some node is in at least that fraction of the
/// accesses; picking a majority uniformly at random reaches the bound (Naor & Wool 1998,
/// Prop. 4.1 and the fairness argument after it).
pub fn majority_load(n: usize) -> Result<f64> {
    let n = check_n("n", n)?;
    Ok((n / 2 + 1) as f64 / n as f64)
}

// ---------------------------------------------------------------------------------------------
// Read/write quorums

/// An (N, R, W) replication configuration: N replicas, reads wait for R replies, writes for W
/// (Dynamo, Cassandra, Riak). Build it with [`QuorumConfig::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumConfig {
    /// Number of replicas, N ≥ 1.
    pub n: usize,
    /// Read quorum size R, 1 ≤ R ≤ N: how many replies a read waits for.
    pub r: usize,
    /// Write quorum size W, 1 ≤ W ≤ N: how many acknowledgements a write waits for.
    pub w: usize,
}

impl QuorumConfig {
    /// Checks `N >= 1`, `1 <= R <= N`, `1 <= W <= N`; the error names the parameter.
    ///
    /// ```
    /// # use course_lib::quorum::QuorumConfig;
    /// let msg = QuorumConfig::new(3, 4, 2).unwrap_err().to_string();
    /// assert_eq!(msg, "R = 4 is out of range: must be between 1 and N = 3");
    /// ```
    pub fn new(n: usize, r: usize, w: usize) -> Result<Self> {
        let n = check_n("N", n)?;
        let r = check_between("R", r, 1, "N", n)?;
        let w = check_between("W", w, 1, "N", n)?;
        Ok(QuorumConfig { n, r, w })
    }

    /// Every read quorum meets every write quorum: R + W > N (a read sees the latest
    /// acknowledged write).
    pub fn intersects(&self) -> bool {
        self.r + self.w > self.n
    }

    /// Two write quorums always meet: 2W > N (concurrent writes cannot both succeed unseen).
    pub fn writes_intersect(&self) -> bool {
        2 * self.w > self.n
    }

    /// Probability that R replicas are up, each independently with probability `p`.
    pub fn read_availability(&self, p: f64) -> Result<f64> {
        at_least_k_of_n(self.r, self.n, p)
    }

    /// Probability that W replicas are up, each independently with probability `p`.
    pub fn write_availability(&self, p: f64) -> Result<f64> {
        at_least_k_of_n(self.w, self.n, p)
    }

    /// Naor–Wool load of the reads alone: R / N (uniformly random R-subsets are optimal).
    pub fn read_load(&self) -> f64 {
        self.r as f64 / self.n as f64
    }

    /// Naor–Wool load of the writes alone: W / N.
    pub fn write_load(&self) -> f64 {
        self.w as f64 / self.n as f64
    }
}

impl fmt::Display for QuorumConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "N = {}, R = {}, W = {}", self.n, self.r, self.w)
    }
}

// ---------------------------------------------------------------------------------------------
// Flexible Paxos

/// Flexible Paxos quorums (Howard, Malkhi & Spiegelman 2016): phase 1 (leader election) waits
/// for Q1 of N acceptors, phase 2 (replication) for Q2. Safety needs only Q1 + Q2 > N
/// (their Theorem 1): a leader may replicate to, say, 2 of 10 acceptors if elections wait
/// for 9.
///
/// [`FlexibleQuorum::new`] checks the sizes; [`FlexibleQuorum::check_intersection`] checks the
/// safety requirement, so a notebook can build an unsafe configuration and watch it fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlexibleQuorum {
    /// Number of acceptors N ≥ 1.
    pub n: usize,
    /// Phase-1 (prepare/promise) quorum size, 1 ≤ Q1 ≤ N.
    pub q1: usize,
    /// Phase-2 (accept/accepted) quorum size, 1 ≤ Q2 ≤ N.
    pub q2: usize,
}

impl FlexibleQuorum {
    /// Checks `N >= 1`, `1 <= Q1 <= N`, `1 <= Q2 <= N` (not the intersection requirement).
    pub fn new(n: usize, q1: usize, q2: usize) -> Result<Self> {
        let n = check_n("N", n)?;
        let q1 = check_between("Q1", q1, 1, "N", n)?;
        let q2 = check_between("Q2", q2, 1, "N", n)?;
        Ok(FlexibleQuorum { n, q1, q2 })
    }

    /// Classic Paxos: both phases use a majority.
    pub fn majority(n: usize) -> Result<Self> {
        let n = check_n("N", n)?;
        Self::new(n, n / 2 + 1, n / 2 + 1)
    }

    /// Q1 + Q2 > N: every phase-1 quorum meets every phase-2 quorum.
    pub fn is_safe(&self) -> bool {
        self.q1 + self.q2 > self.n
    }

    /// `Ok(())` if Q1 + Q2 > N, otherwise an error that names Q1, Q2 and N.
    ///
    /// ```
    /// # use course_lib::quorum::FlexibleQuorum;
    /// assert!(FlexibleQuorum::new(10, 9, 2)?.check_intersection().is_ok());
    /// let msg = FlexibleQuorum::new(10, 8, 2)?.check_intersection().unwrap_err().to_string();
    /// assert!(msg.contains("Q1 + Q2 = 8 + 2 = 10 must be greater than N = 10"), "{msg}");
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn check_intersection(&self) -> Result<()> {
        if self.is_safe() {
            Ok(())
        } else {
            Err(Error::invalid(
                "flexible quorum",
                format!(
                    "Q1 + Q2 = {} + {} = {} must be greater than N = {} (Q1 + Q2 > N), or a \
                     new leader can miss a chosen value",
                    self.q1,
                    self.q2,
                    self.q1 + self.q2,
                    self.n
                ),
            ))
        }
    }

    /// Probability that a leader can complete phase 1 (Q1 acceptors up, each with prob. `p`).
    pub fn phase1_availability(&self, p: f64) -> Result<f64> {
        at_least_k_of_n(self.q1, self.n, p)
    }

    /// Probability that a leader can complete phase 2 (Q2 acceptors up, each with prob. `p`).
    pub fn phase2_availability(&self, p: f64) -> Result<f64> {
        at_least_k_of_n(self.q2, self.n, p)
    }

    /// Naor–Wool load of phase 1: Q1 / N.
    pub fn phase1_load(&self) -> f64 {
        self.q1 as f64 / self.n as f64
    }

    /// Naor–Wool load of phase 2: Q2 / N (the steady-state cost of every command).
    pub fn phase2_load(&self) -> f64 {
        self.q2 as f64 / self.n as f64
    }
}

// ---------------------------------------------------------------------------------------------
// Grid quorums

/// The read/write grid protocol on `rows × cols` nodes (Cheung, Ammar & Ahamad 1990, with
/// rows and columns swapped):
///
/// * a **read quorum** is one node from every row (a *row cover*, r nodes);
/// * a **write quorum** is one full row plus one node from every other row (c + r − 1 nodes).
///
/// A write quorum meets every read quorum (the read has a node in the write's full row) and
/// every other write quorum (ditto), so reads see the latest write and writes are ordered.
/// On a √N × √N grid a write touches 2√N − 1 nodes instead of the ⌊N/2⌋ + 1 of majority.
///
/// **Availability**, nodes up independently with probability p, q = 1 − p: a row is *full*
/// with probability p^c, *empty* with q^c, in between with 1 − p^c − q^c, so
///
/// * read: (1 − q^c)^r,
/// * write: (1 − q^c)^r − (1 − q^c − p^c)^r (every row non-empty, minus: none of them full).
///
/// **Load** (Naor & Wool 1998): read (1/c), write (r + c − 1)/(r c) (for √N × √N:
/// (2√N − 1)/N). Both are reached by the uniform strategy and match the lower bound
/// (smallest quorum size)/N, so they are optimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridQuorum {
    /// Number of rows r ≥ 1.
    pub rows: usize,
    /// Nodes per row c ≥ 1.
    pub cols: usize,
}

impl GridQuorum {
    /// A `rows × cols` grid; both at least 1.
    pub fn new(rows: usize, cols: usize) -> Result<Self> {
        Ok(GridQuorum { rows: check_n("rows", rows)?, cols: check_n("cols", cols)? })
    }

    /// Number of nodes r · c.
    pub fn n(&self) -> usize {
        self.rows * self.cols
    }

    /// Size of a read quorum: r.
    pub fn read_quorum_size(&self) -> usize {
        self.rows
    }

    /// Size of a write quorum: c + r − 1.
    pub fn write_quorum_size(&self) -> usize {
        self.cols + self.rows - 1
    }

    /// (1 − q^c)^r: every row has a live node.
    pub fn read_availability(&self, p: f64) -> Result<f64> {
        let p = validate::probability("p", p)?;
        let row_nonempty = 1.0 - (1.0 - p).powi(self.cols as i32);
        Ok(row_nonempty.powi(self.rows as i32))
    }

    /// (1 − q^c)^r − (1 − q^c − p^c)^r: every row has a live node and some row is all live.
    pub fn write_availability(&self, p: f64) -> Result<f64> {
        let p = validate::probability("p", p)?;
        let c = self.cols as i32;
        let empty = (1.0 - p).powi(c);
        let full = p.powi(c);
        let partial = (1.0 - empty - full).max(0.0);
        let v = (1.0 - empty).powi(self.rows as i32) - partial.powi(self.rows as i32);
        Ok(v.clamp(0.0, 1.0))
    }

    /// Read and write availability by brute force over all 2^(r·c) up/down states, for
    /// checking the closed forms: `(read, write)`. At most [`MAX_ENUMERATED_NODES`] nodes.
    pub fn availability_by_enumeration(&self, p: f64) -> Result<(f64, f64)> {
        let p = validate::probability("p", p)?;
        let n = self.n();
        if n > MAX_ENUMERATED_NODES {
            return Err(Error::out_of_range(
                "rows × cols",
                n,
                format!("enumeration needs at most {MAX_ENUMERATED_NODES} nodes"),
            ));
        }
        let (mut read, mut write) = (0.0, 0.0);
        let row_mask = (1u32 << self.cols) - 1;
        for state in 0u32..(1u32 << n) {
            let up = state.count_ones() as i32;
            let prob = p.powi(up) * (1.0 - p).powi(n as i32 - up);
            let rows = (0..self.rows).map(|i| (state >> (i * self.cols)) & row_mask);
            let cover = rows.clone().all(|row| row != 0);
            let some_full = rows.into_iter().any(|row| row == row_mask);
            if cover {
                read += prob;
                if some_full {
                    write += prob;
                }
            }
        }
        Ok((read, write))
    }

    /// Naor–Wool load of reads: r / (r c) = 1/c.
    pub fn read_load(&self) -> f64 {
        self.read_quorum_size() as f64 / self.n() as f64
    }

    /// Naor–Wool load of the write quorums (a quorum system in its own right):
    /// (r + c − 1) / (r c); (2√N − 1)/N on a square grid.
    pub fn write_load(&self) -> f64 {
        self.write_quorum_size() as f64 / self.n() as f64
    }
}

// ---------------------------------------------------------------------------------------------
// Topologies with failure domains

/// A failure domain: a rack, a zone, a data centre whose nodes go down together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Zone {
    /// Number of nodes in the zone, at least 1.
    pub nodes: usize,
    /// Probability that the zone as a whole is up (power, network, the building).
    pub p_zone_up: f64,
}

/// Nodes placed in failure domains. A zone is up with its own probability; in an up zone each
/// node is up independently with probability `p_node_up`; a down zone has no up node.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    zones: Vec<Zone>,
    p_node_up: f64,
}

impl Topology {
    /// `n >= 1` independent nodes, each up with probability `p` (one zone that never fails).
    pub fn independent(n: usize, p: f64) -> Result<Self> {
        let n = check_n("n", n)?;
        let p = validate::probability("p", p)?;
        Ok(Topology { zones: vec![Zone { nodes: n, p_zone_up: 1.0 }], p_node_up: p })
    }

    /// Nodes in `zones` (non-empty list, every zone with ≥ 1 node and `p_zone_up` in
    /// `[0, 1]`); nodes in an up zone are up with probability `p_node_up`.
    ///
    /// ```
    /// # use course_lib::quorum::{Topology, Zone};
    /// let bad = Topology::zones(vec![Zone { nodes: 2, p_zone_up: 1.2 }], 0.9).unwrap_err();
    /// assert!(bad.to_string().starts_with("zones[0].p_zone_up = 1.2 is out of range"));
    /// ```
    pub fn zones(zones: Vec<Zone>, p_node_up: f64) -> Result<Self> {
        if zones.is_empty() {
            return Err(Error::empty("the list of zones", "give at least one zone"));
        }
        for (i, z) in zones.iter().enumerate() {
            check_n(&format!("zones[{i}].nodes"), z.nodes)?;
            validate::probability(&format!("zones[{i}].p_zone_up"), z.p_zone_up)?;
        }
        let p_node_up = validate::probability("p_node_up", p_node_up)?;
        Ok(Topology { zones, p_node_up })
    }

    /// Like [`Topology::zones`], and checks that the zones hold exactly `n` nodes.
    pub fn zones_of_n(n: usize, zones: Vec<Zone>, p_node_up: f64) -> Result<Self> {
        let n = check_n("n", n)?;
        let t = Self::zones(zones, p_node_up)?;
        t.check_n(n)?;
        Ok(t)
    }

    fn check_n(&self, n: usize) -> Result<()> {
        if self.n() == n {
            Ok(())
        } else {
            Err(Error::invalid(
                "topology",
                format!("the zones hold {} node(s) in total, but N = {n}", self.n()),
            ))
        }
    }

    /// Total number of nodes.
    pub fn n(&self) -> usize {
        self.zones.iter().map(|z| z.nodes).sum()
    }

    /// The zones.
    pub fn zone_list(&self) -> &[Zone] {
        &self.zones
    }

    /// Probability that a node in an up zone is up.
    pub fn p_node_up(&self) -> f64 {
        self.p_node_up
    }

    /// Law of one zone's number of up nodes: f(0) = (1 − p_z) + p_z q^m, f(j) = p_z·Bin(m, j).
    fn zone_pmf(&self, z: &Zone) -> Vec<f64> {
        let mut f = binomial_pmf_vec(z.nodes, self.p_node_up);
        for x in f.iter_mut() {
            *x *= z.p_zone_up;
        }
        f[0] += 1.0 - z.p_zone_up;
        f
    }

    /// Exact law of the number of up nodes: entry j is P(X = j), j = 0..=n (the convolution
    /// of the zones' laws).
    pub fn up_count_pmf(&self) -> Vec<f64> {
        let mut total = vec![1.0];
        for z in &self.zones {
            let f = self.zone_pmf(z);
            let mut next = vec![0.0; total.len() + f.len() - 1];
            for (i, a) in total.iter().enumerate() {
                for (j, b) in f.iter().enumerate() {
                    next[i + j] += a * b;
                }
            }
            total = next;
        }
        total
    }

    /// Exact P(at least `k` nodes up), `0 <= k <= n`.
    pub fn at_least_k(&self, k: usize) -> Result<f64> {
        let k = check_between("k", k, 0, "n", self.n())?;
        Ok(tail_at_least(&self.up_count_pmf(), k))
    }
}

// ---------------------------------------------------------------------------------------------
// Monte Carlo

/// A Monte Carlo estimate of a probability with its 95 % Wilson score interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// successes / trials.
    pub value: f64,
    /// Lower end of the 95 % Wilson interval.
    pub ci_low: f64,
    /// Upper end of the 95 % Wilson interval.
    pub ci_high: f64,
    /// Number of trials.
    pub trials: u64,
    /// Number of trials in which the event happened.
    pub successes: u64,
}

impl Estimate {
    /// The estimate for `successes` out of `trials` (`trials >= 1`, `successes <= trials`).
    ///
    /// The Wilson interval is the set of p for which |p̂ − p| ≤ z √(p(1 − p)/n):
    /// centre (p̂ + z²/2n)/(1 + z²/n), half-width z/(1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²),
    /// z = 1.96. Unlike p̂ ± z√(p̂(1 − p̂)/n) it does not collapse to a point when p̂ is 0 or 1.
    pub fn from_counts(successes: u64, trials: u64) -> Result<Self> {
        if trials == 0 {
            return Err(Error::out_of_range("trials", 0, "must be at least 1"));
        }
        if successes > trials {
            return Err(Error::out_of_range(
                "successes",
                successes,
                format!("must be between 0 and trials = {trials}"),
            ));
        }
        let n = trials as f64;
        let ph = successes as f64 / n;
        let z2 = Z_95 * Z_95;
        let denom = 1.0 + z2 / n;
        let centre = (ph + z2 / (2.0 * n)) / denom;
        let half = Z_95 / denom * (ph * (1.0 - ph) / n + z2 / (4.0 * n * n)).sqrt();
        Ok(Estimate {
            value: ph,
            ci_low: (centre - half).max(0.0),
            ci_high: (centre + half).min(1.0),
            trials,
            successes,
        })
    }

    /// `ci_low <= x <= ci_high`.
    pub fn contains(&self, x: f64) -> bool {
        self.ci_low <= x && x <= self.ci_high
    }
}

impl fmt::Display for Estimate {
    /// `0.99712 (95% CI 0.99701 – 0.99722, 1000000 trials)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.6} (95% CI {:.6} – {:.6}, {} trials)",
            self.value, self.ci_low, self.ci_high, self.trials
        )
    }
}

/// Read and write availability of an (N, R, W) configuration, estimated from the same trials.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuorumEstimate {
    /// P(at least R replicas up).
    pub read: Estimate,
    /// P(at least W replicas up).
    pub write: Estimate,
}

/// Inversion sampler for one zone's up-count: count = base + #{j : u < thresholds[j]}.
struct ZoneSampler {
    /// Number of j with P(count ≥ j) = 1 (counted without a comparison).
    base: usize,
    /// ⌊2⁶⁴ · P(count ≥ j)⌋ for the remaining j with P > 0, non-increasing.
    thresholds: Vec<u64>,
    /// `thresholds` padded with zeros (`u < 0` never holds) when there are at most
    /// [`PADDED`] of them: a fixed-length, branch-free, unrolled comparison.
    padded: Option<[u64; PADDED]>,
}

/// Zones with at most this many thresholds use the fixed-length fast path.
const PADDED: usize = 8;

const TWO_64: f64 = 18_446_744_073_709_551_616.0;

impl ZoneSampler {
    fn new(pmf: &[f64]) -> Self {
        let mut base = 0;
        let mut thresholds: Vec<u64> = Vec::new();
        for j in 1..pmf.len() {
            let upper: f64 = pmf[j..].iter().rev().sum();
            let t = if upper < 0.5 {
                (upper * TWO_64) as u64
            } else {
                let lower: f64 = pmf[..j].iter().sum();
                let l = (lower * TWO_64) as u64;
                if l == 0 {
                    base += 1;
                    continue;
                }
                l.wrapping_neg()
            };
            let t = thresholds.last().map_or(t, |&prev| prev.min(t));
            if t == 0 {
                break;
            }
            thresholds.push(t);
        }
        let padded = (thresholds.len() <= PADDED).then(|| {
            let mut a = [0u64; PADDED];
            a[..thresholds.len()].copy_from_slice(&thresholds);
            a
        });
        ZoneSampler { base, thresholds, padded }
    }

    #[inline(always)]
    fn draw(&self, u: u64) -> usize {
        match &self.padded {
            Some(a) => self.base + a.iter().map(|&t| (u < t) as usize).sum::<usize>(),
            None => self.base + self.thresholds.iter().map(|&t| (u < t) as usize).sum::<usize>(),
        }
    }
}

/// The precomputed samplers for a topology.
struct Sampler {
    zones: Vec<ZoneSampler>,
    n: usize,
}

impl Sampler {
    fn new(t: &Topology) -> Self {
        Sampler {
            zones: t.zones.iter().map(|z| ZoneSampler::new(&t.zone_pmf(z))).collect(),
            n: t.n(),
        }
    }

    /// Adds `trials` draws of the up-count to `hist`.
    fn run(&self, rng: &mut SimRng, trials: u64, hist: &mut [u64]) {
        if let [z @ ZoneSampler { padded: Some(t), .. }] = self.zones.as_slice() {
            // Independent nodes: one 64-bit number per trial, and counters of "count ≥ j"
            // kept in registers (no histogram store per trial).
            let mut ge = [0u64; PADDED];
            for _ in 0..trials {
                let u = rng.next_u64();
                for (g, &tj) in ge.iter_mut().zip(t) {
                    *g += (u < tj) as u64;
                }
            }
            // hist[base + j] = #(count ≥ j) − #(count ≥ j + 1); #(count ≥ 0) = trials
            let mut above = trials;
            for (j, &g) in ge.iter().enumerate() {
                if z.base + j < hist.len() {
                    hist[z.base + j] += above - g;
                }
                above = g;
            }
        } else if let [z] = self.zones.as_slice() {
            for _ in 0..trials {
                hist[z.draw(rng.next_u64())] += 1;
            }
        } else if let Some(padded) = self.zones.iter().map(|z| z.padded).collect::<Option<Vec<_>>>()
        {
            // Several small zones: one number per zone, fixed-length comparisons, and two
            // histograms so consecutive trials with the same count do not wait on one store.
            let base: usize = self.zones.iter().map(|z| z.base).sum();
            let draw = |rng: &mut SimRng| {
                let mut c = base;
                for a in &padded {
                    let u = rng.next_u64();
                    c += a.iter().map(|&t| (u < t) as usize).sum::<usize>();
                }
                c
            };
            let mut h2 = vec![0u64; hist.len()];
            for _ in 0..trials / 2 {
                hist[draw(rng)] += 1;
                h2[draw(rng)] += 1;
            }
            if trials % 2 == 1 {
                hist[draw(rng)] += 1;
            }
            for (a, b) in hist.iter_mut().zip(h2) {
                *a += b;
            }
        } else {
            for _ in 0..trials {
                let c: usize = self.zones.iter().map(|z| z.draw(rng.next_u64())).sum();
                hist[c] += 1;
            }
        }
    }
}

/// Simulates `trials` independent draws of the number of up nodes and returns the histogram
/// (entry j = number of trials with exactly j nodes up), using `threads` threads.
///
/// The result depends only on `(topology, trials, seed)`: chunk i of [`CHUNK_TRIALS`] trials
/// uses the stream `Stream::Trial(i)` of the seed whichever thread runs it. `threads >= 1`.
pub fn up_count_histogram_with_threads(
    topology: &Topology,
    trials: u64,
    seed: u64,
    threads: usize,
) -> Result<Vec<u64>> {
    let threads = validate::at_least("threads", threads, 1)?;
    let sampler = Sampler::new(topology);
    let chunks = trials.div_ceil(CHUNK_TRIALS);
    let next = AtomicU64::new(0);
    let work = || {
        let mut hist = vec![0u64; sampler.n + 1];
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= chunks {
                break hist;
            }
            let len = CHUNK_TRIALS.min(trials - i * CHUNK_TRIALS);
            sampler.run(&mut Stream::Trial(i).rng(seed), len, &mut hist);
        }
    };
    let threads = threads.min(chunks.max(1) as usize);
    let hists: Vec<Vec<u64>> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles.into_iter().map(|h| h.join().expect("Monte Carlo worker panicked")).collect()
        })
    };
    let mut total = vec![0u64; sampler.n + 1];
    for h in hists {
        for (t, x) in total.iter_mut().zip(h) {
            *t += x;
        }
    }
    Ok(total)
}

/// [`up_count_histogram_with_threads`] on all available cores.
pub fn up_count_histogram(topology: &Topology, trials: u64, seed: u64) -> Result<Vec<u64>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    up_count_histogram_with_threads(topology, trials, seed, threads)
}

fn check_trials(trials: u64) -> Result<u64> {
    if trials == 0 {
        Err(Error::out_of_range("trials", 0, "must be at least 1"))
    } else {
        Ok(trials)
    }
}

fn estimate_at_least(hist: &[u64], k: usize, trials: u64) -> Result<Estimate> {
    Estimate::from_counts(hist[k..].iter().sum(), trials)
}

/// Monte Carlo estimate of P(at least `k` nodes up) in `topology` (`0 <= k <= n`,
/// `trials >= 1`), on all available cores. Same `seed`, same estimate, on any machine.
pub fn monte_carlo_at_least_k(
    k: usize,
    topology: &Topology,
    trials: u64,
    seed: u64,
) -> Result<Estimate> {
    let k = check_between("k", k, 0, "n", topology.n())?;
    let trials = check_trials(trials)?;
    estimate_at_least(&up_count_histogram(topology, trials, seed)?, k, trials)
}

/// Like [`monte_carlo_at_least_k`] with an explicit number of threads (the result does not
/// depend on it).
pub fn monte_carlo_at_least_k_with_threads(
    k: usize,
    topology: &Topology,
    trials: u64,
    seed: u64,
    threads: usize,
) -> Result<Estimate> {
    let k = check_between("k", k, 0, "n", topology.n())?;
    let trials = check_trials(trials)?;
    estimate_at_least(&up_count_histogram_with_threads(topology, trials, seed, threads)?, k, trials)
}

/// Monte Carlo estimate of the read and write availability of `config` when its replicas are
/// placed as in `topology` (which must hold exactly N nodes).
pub fn monte_carlo_quorum(
    config: &QuorumConfig,
    topology: &Topology,
    trials: u64,
    seed: u64,
) -> Result<QuorumEstimate> {
    topology.check_n(config.n)?;
    let trials = check_trials(trials)?;
    let hist = up_count_histogram(topology, trials, seed)?;
    Ok(QuorumEstimate {
        read: estimate_at_least(&hist, config.r, trials)?,
        write: estimate_at_least(&hist, config.w, trials)?,
    })
}

// ---------------------------------------------------------------------------------------------
// The spine figure's data: a quorum in zones, against the zones' availability

/// Notebook 15's spine figure as data: the availability (in nines) of a quorum of `quorum`
/// nodes, the nodes placed in zones of `zone_sizes` nodes, each node up with `p_node` inside an
/// up zone, swept over the zones' own availability from 1 to `max_zone_nines` nines (21
/// points), exact (the closed form, [`Topology::at_least_k`]) and simulated (Monte Carlo with a
/// 95 % Wilson interval at every fourth point, [`monte_carlo_at_least_k`]). Its figure is
/// `ZoneSweep::chart` in the plot layer.
///
/// ```
/// use course_lib::quorum::ZoneSweep;
/// let s = ZoneSweep::run(&[2, 2, 1], 3, 0.999, 4.0, 100_000, 15)?;
/// assert!(s.exact.last().unwrap().1 < s.independent_nines); // zones cap the nines
/// assert!(ZoneSweep::run(&[2, 2, 1], 6, 0.999, 4.0, 1_000, 1).unwrap_err().to_string()
///     .starts_with("quorum = 6 is out of range"));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneSweep {
    /// Nodes per zone.
    pub zone_sizes: Vec<usize>,
    /// Quorum size: the system is up when at least this many nodes are.
    pub quorum: usize,
    /// Probability that a node in an up zone is up.
    pub p_node: f64,
    /// (zone nines, exact system nines) at each of the 21 points.
    pub exact: Vec<(f64, f64)>,
    /// (zone nines, Monte Carlo estimate of the availability), at every fourth point where the
    /// simulation saw a failure (with none, its nines would be infinite).
    pub simulated: Vec<(f64, Estimate)>,
    /// Trials per simulated point.
    pub trials: u64,
    /// The system's nines with the same nodes failing independently (zones that never fail).
    pub independent_nines: f64,
}

impl ZoneSweep {
    /// Runs the sweep. Point `i` (zone nines 1 + i·(max − 1)/20) is simulated with seed
    /// `seed + i`. Errors: no zones, an empty zone, a quorum outside 1..=n, `p_node` outside
    /// [0, 1], `max_zone_nines` outside (1, 15], or 0 trials.
    pub fn run(
        zone_sizes: &[usize],
        quorum: usize,
        p_node: f64,
        max_zone_nines: f64,
        trials: u64,
        seed: u64,
    ) -> Result<ZoneSweep> {
        if zone_sizes.is_empty() {
            return Err(Error::empty("zone_sizes", "give the number of nodes in each zone"));
        }
        let zones = |p_zone_up: f64| {
            zone_sizes.iter().map(|&nodes| Zone { nodes, p_zone_up }).collect::<Vec<_>>()
        };
        let independent = Topology::zones(zones(1.0), p_node)?;
        let quorum = check_between("quorum", quorum, 1, "the number of nodes", independent.n())?;
        if !(max_zone_nines > 1.0 && max_zone_nines <= 15.0) {
            return Err(Error::out_of_range(
                "max_zone_nines",
                max_zone_nines,
                "must be above 1 and at most 15 (zones up 90 % … 1 − 10⁻¹⁵ of the time)",
            ));
        }
        let trials = check_trials(trials)?;
        let nines = |unavailable: f64| -unavailable.log10();
        let (mut exact, mut simulated) = (Vec::new(), Vec::new());
        for i in 0..=20u64 {
            let zone_nines = 1.0 + (max_zone_nines - 1.0) * i as f64 / 20.0;
            let topo = Topology::zones(zones(1.0 - 10f64.powf(-zone_nines)), p_node)?;
            exact.push((zone_nines, nines(1.0 - topo.at_least_k(quorum)?)));
            if i % 4 == 0 {
                let mc = monte_carlo_at_least_k(quorum, &topo, trials, seed.wrapping_add(i))?;
                if mc.value < 1.0 {
                    simulated.push((zone_nines, mc));
                }
            }
        }
        Ok(ZoneSweep {
            zone_sizes: zone_sizes.to_vec(),
            quorum,
            p_node,
            exact,
            simulated,
            trials,
            independent_nines: nines(1.0 - independent.at_least_k(quorum)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn pmf_sums_to_one_and_matches_small_cases() {
        for &p in &[0.0, 0.1, 0.5, 0.9, 0.999, 1.0] {
            for n in [1, 2, 5, 17, 150, 400] {
                let s: f64 = binomial_pmf_vec(n, p).iter().sum();
                assert!(close(s, 1.0, 1e-12), "n {n} p {p} sum {s}");
            }
        }
        assert!(close(binomial_pmf(4, 2, 0.5), 6.0 / 16.0, 1e-16));
        // log-space branch agrees with the direct one near the switch
        assert!(close(binomial_pmf(121, 60, 0.5), binomial_pmf(121, 61, 0.5), 1e-15));
    }

    #[test]
    fn tiny_tails_keep_their_digits() {
        // P(all 10 up) with p = 1e-3 is 1e-30: not lost to cancellation.
        let v = at_least_k_of_n(10, 10, 1e-3).unwrap();
        assert!(close(v / 1e-30, 1.0, 1e-12), "{v}");
        // unavailability of majority-of-5 at p = 1 − 1e-6 is ≈ C(5,3)·1e-18; 1 − it rounds to 1
        let a = majority_availability(5, 1.0 - 1e-6).unwrap();
        assert!(a <= 1.0 && a > 1.0 - 1e-15);
    }

    #[test]
    fn zone_sampler_thresholds() {
        // p = 1: every node up, no comparisons needed
        let z = ZoneSampler::new(&binomial_pmf_vec(5, 1.0));
        assert_eq!((z.base, z.thresholds.len()), (5, 0));
        let z = ZoneSampler::new(&binomial_pmf_vec(5, 0.0));
        assert_eq!((z.base, z.thresholds.len()), (0, 0));
        assert_eq!(z.draw(0), 0);
        let z = ZoneSampler::new(&binomial_pmf_vec(1, 0.5));
        assert_eq!(z.thresholds, vec![1u64 << 63]);
        assert_eq!(z.draw((1 << 63) - 1), 1);
        assert_eq!(z.draw(1 << 63), 0);
    }

    #[test]
    fn zone_closed_form_equals_pattern_enumeration() {
        let zones = vec![
            Zone { nodes: 2, p_zone_up: 0.95 },
            Zone { nodes: 3, p_zone_up: 0.9 },
            Zone { nodes: 1, p_zone_up: 0.8 },
        ];
        let p = 0.97;
        let t = Topology::zones(zones.clone(), p).unwrap();
        for k in 0..=6 {
            // Σ over 2^Z zone patterns of P(pattern) · P(Bin(nodes in up zones, p) ≥ k)
            let mut sum = 0.0;
            for pattern in 0u32..(1 << zones.len()) {
                let mut prob = 1.0;
                let mut m = 0;
                for (i, z) in zones.iter().enumerate() {
                    if pattern >> i & 1 == 1 {
                        prob *= z.p_zone_up;
                        m += z.nodes;
                    } else {
                        prob *= 1.0 - z.p_zone_up;
                    }
                }
                let tail = if k == 0 {
                    1.0
                } else if m == 0 || k > m {
                    0.0
                } else {
                    at_least_k_of_n(k, m, p).unwrap()
                };
                sum += prob * tail;
            }
            assert!(close(t.at_least_k(k).unwrap(), sum, 1e-14), "k {k}");
        }
    }

    #[test]
    fn histogram_is_thread_count_independent_and_sums_to_trials() {
        let t = Topology::zones(
            vec![Zone { nodes: 2, p_zone_up: 0.9 }, Zone { nodes: 3, p_zone_up: 0.7 }],
            0.8,
        )
        .unwrap();
        let trials = 5 * CHUNK_TRIALS + 123;
        let a = up_count_histogram_with_threads(&t, trials, 11, 1).unwrap();
        let b = up_count_histogram_with_threads(&t, trials, 11, 3).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.iter().sum::<u64>(), trials);
        assert_ne!(a, up_count_histogram_with_threads(&t, trials, 12, 1).unwrap());
    }

    #[test]
    fn all_sampling_paths_agree_with_the_closed_form() {
        // single small zone, single large zone (> PADDED thresholds), several small zones,
        // and a mix with a large zone (the general path)
        let cases = [
            (3, Topology::independent(5, 0.9).unwrap()),
            (15, Topology::independent(20, 0.8).unwrap()),
            (
                3,
                Topology::zones(
                    vec![Zone { nodes: 2, p_zone_up: 0.9 }, Zone { nodes: 3, p_zone_up: 0.8 }],
                    0.9,
                )
                .unwrap(),
            ),
            (
                9,
                Topology::zones(
                    vec![Zone { nodes: 12, p_zone_up: 0.95 }, Zone { nodes: 3, p_zone_up: 0.8 }],
                    0.9,
                )
                .unwrap(),
            ),
        ];
        for (k, t) in cases {
            let exact = t.at_least_k(k).unwrap();
            let e = monte_carlo_at_least_k_with_threads(k, &t, 400_000, 4, 2).unwrap();
            assert!(e.contains(exact), "k {k}: {e} vs {exact}");
            let h = up_count_histogram_with_threads(&t, 400_000, 3, 1).unwrap();
            assert_eq!(h.iter().sum::<u64>(), 400_000);
        }
    }

    #[test]
    fn wilson_interval_reference_values() {
        // 8 of 10: Wilson 95 % interval (0.4902, 0.9433), computed by hand from the formula
        let e = Estimate::from_counts(8, 10).unwrap();
        assert!(close(e.ci_low, 0.49016, 1e-4) && close(e.ci_high, 0.94332, 1e-4), "{e}");
        let e = Estimate::from_counts(0, 10).unwrap();
        assert_eq!(e.ci_low, 0.0);
        assert!(close(e.ci_high, 0.27753, 1e-4), "{e}");
        assert!(Estimate::from_counts(11, 10).is_err());
    }
}
