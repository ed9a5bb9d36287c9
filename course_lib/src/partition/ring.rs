//! The consistent-hash ring with virtual nodes, and the law of a node's share.

use std::fmt;

use statrs::distribution::{Beta, ContinuousCDF, Gamma};

use super::{already_member, key_hash, last_member, not_member, Elastic, Partitioner};
use crate::error::{validate, Error, Result};
use crate::sim::Stream;

/// The stream of node i's tokens: `Stream::Scenario(TOKENS, i)`.
const TOKENS: &str = "partition ring tokens";

/// 2⁶⁴, the circumference of the ring, as a float.
const CIRCLE: f64 = 18_446_744_073_709_551_616.0;

/// Planted bugs in a ring: token schemes that look reasonable and break consistency. The
/// movement check ([`super::keys_moved`], [`super::Movement::needless`]) catches both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingBug {
    /// Tokens evenly spaced around the circle, recomputed for the current number of nodes:
    /// token v of the member at rank r sits at (v·n + r)/(n·k) of the circle. Perfectly
    /// balanced (every share is exactly 1/n), and a join moves almost every key.
    EvenlySpaced,
    /// Tokens drawn from a generator seeded by the seed *and the ring size*: every resize
    /// re-randomizes the whole ring, so a key keeps its node only by chance.
    ReseededPerSize,
}

impl fmt::Display for RingBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingBug::EvenlySpaced => write!(f, "evenly spaced tokens (bug)"),
            RingBug::ReseededPerSize => write!(f, "tokens re-seeded per ring size (bug)"),
        }
    }
}

/// A consistent-hash ring (Karger et al. 1997) with `vnodes` tokens (virtual nodes) per node.
///
/// A key's position is [`key_hash`]`(key)`; it belongs to the first token at or after that
/// position, clockwise (wrapping past 2⁶⁴ − 1 to 0). Node i's tokens are the first `vnodes`
/// numbers of the named stream `Stream::Scenario("partition ring tokens", i)` of `seed`: they
/// depend only on (seed, i, token index), so a ring with one node more keeps every token of the
/// smaller ring, and growing it moves only keys to the new node.
///
/// ```
/// use course_lib::partition::HashRing;
/// let ring = HashRing::new(4, 100, 1)?;
/// let shares = ring.load_shares();                 // fraction of the circle per node
/// assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// assert!(shares.iter().all(|&s| (s - 0.25).abs() < 0.1));
/// let bigger = HashRing::new(5, 100, 1)?;
/// assert!((0..500).all(|k| ring.owner(k) == bigger.owner(k) || bigger.owner(k) == 4));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HashRing {
    /// Token positions, sorted (ties broken by owner id).
    positions: Vec<u64>,
    /// `owners[i]` owns `positions[i]`.
    owners: Vec<usize>,
    /// Member ids, ascending.
    members: Vec<usize>,
    vnodes: usize,
    seed: u64,
    bug: Option<RingBug>,
}

/// More tokens than this in one ring is refused (memory, and a notebook cell's time).
const MAX_TOKENS: usize = 20_000_000;

impl HashRing {
    /// A ring of nodes `0..nodes`, `vnodes_per_node` tokens each, tokens drawn from `seed`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for 0 nodes, 0 tokens per node, or more than 2·10⁷ tokens in all.
    pub fn new(nodes: usize, vnodes_per_node: usize, seed: u64) -> Result<HashRing> {
        validate::at_least("nodes", nodes, 1)?;
        HashRing::build(&(0..nodes).collect::<Vec<_>>(), vnodes_per_node, seed, None)
    }

    /// A ring of the given node ids (non-empty, distinct, each below 2³²).
    ///
    /// # Errors
    /// As [`HashRing::new`]; [`Error::Invalid`] for duplicate ids, [`Error::Empty`] for none.
    pub fn with_members(ids: &[usize], vnodes_per_node: usize, seed: u64) -> Result<HashRing> {
        HashRing::build(ids, vnodes_per_node, seed, None)
    }

    /// A ring of nodes `0..nodes` with a planted bug (see [`RingBug`]).
    ///
    /// # Errors
    /// As [`HashRing::new`].
    pub fn with_bug(
        nodes: usize,
        vnodes_per_node: usize,
        seed: u64,
        bug: RingBug,
    ) -> Result<HashRing> {
        validate::at_least("nodes", nodes, 1)?;
        HashRing::build(&(0..nodes).collect::<Vec<_>>(), vnodes_per_node, seed, Some(bug))
    }

    fn build(ids: &[usize], vnodes: usize, seed: u64, bug: Option<RingBug>) -> Result<HashRing> {
        validate::at_least("vnodes_per_node", vnodes, 1)?;
        let members = super::check_members(ids, true)?;
        for &id in &members {
            check_id(id)?;
        }
        check_tokens(members.len(), vnodes)?;
        let mut ring =
            HashRing { positions: Vec::new(), owners: Vec::new(), members, vnodes, seed, bug };
        ring.rebuild();
        Ok(ring)
    }

    /// Recomputes every token from the members (what a correct ring never needs after a
    /// change, and what the planted bugs do).
    fn rebuild(&mut self) {
        let mut tokens = Vec::with_capacity(self.members.len() * self.vnodes);
        for (rank, &id) in self.members.iter().enumerate() {
            self.push_tokens(&mut tokens, rank, id);
        }
        self.set_tokens(tokens);
    }

    fn push_tokens(&self, out: &mut Vec<(u64, usize)>, rank: usize, id: usize) {
        let k = self.vnodes;
        match self.bug {
            None => {
                let mut rng = Stream::Scenario(TOKENS, id as u64).rng(self.seed);
                out.extend((0..k).map(|_| (rng.next_u64(), id)));
            }
            Some(RingBug::ReseededPerSize) => {
                let n = self.members.len() as u64;
                let seed = self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let mut rng = Stream::Scenario(TOKENS, id as u64).rng(seed);
                out.extend((0..k).map(|_| (rng.next_u64(), id)));
            }
            Some(RingBug::EvenlySpaced) => {
                let n = self.members.len() as u128;
                let total = n * k as u128;
                out.extend((0..k).map(|v| {
                    let index = v as u128 * n + rank as u128;
                    (((index << 64) / total) as u64, id)
                }));
            }
        }
    }

    fn set_tokens(&mut self, mut tokens: Vec<(u64, usize)>) {
        tokens.sort_unstable();
        self.positions = tokens.iter().map(|t| t.0).collect();
        self.owners = tokens.iter().map(|t| t.1).collect();
    }

    /// The node that owns `key`: the first token clockwise from [`key_hash`]`(key)`.
    pub fn owner(&self, key: u64) -> usize {
        self.owners[self.first_at_or_after(key_hash(key))]
    }

    /// Index of the first token at or after `pos`, wrapping around.
    fn first_at_or_after(&self, pos: u64) -> usize {
        let i = self.positions.partition_point(|&p| p < pos);
        if i == self.positions.len() {
            0
        } else {
            i
        }
    }

    /// The fraction of the hash space (the circle) each node owns, in the order of
    /// [`members`](Partitioner::members) (for [`HashRing::new`]: node 0, 1, …). The shares sum
    /// to 1. A token owns the arc from the previous token (exclusive) to itself (inclusive).
    pub fn load_shares(&self) -> Vec<f64> {
        let mut share = vec![0.0f64; self.members.len()];
        let t = self.positions.len();
        if t == 1 {
            share[0] = 1.0;
            return share;
        }
        for i in 0..t {
            let prev = self.positions[(i + t - 1) % t];
            let arc = self.positions[i].wrapping_sub(prev);
            let m = self.members.binary_search(&self.owners[i]).expect("owner is a member");
            share[m] += arc as f64 / CIRCLE;
        }
        share
    }

    /// The first `r` distinct nodes clockwise from `key` (`1 <= r <= members`): its replica
    /// set in Dynamo's sense, owner first.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `r` = 0 or more than the members.
    pub fn preference_list(&self, key: u64, r: usize) -> Result<Vec<usize>> {
        if r == 0 || r > self.members.len() {
            return Err(Error::out_of_range(
                "r",
                r,
                format!("must be between 1 and the number of nodes = {}", self.members.len()),
            ));
        }
        let start = self.first_at_or_after(key_hash(key));
        let t = self.positions.len();
        let mut out = Vec::with_capacity(r);
        for i in 0..t {
            let m = self.owners[(start + i) % t];
            if !out.contains(&m) {
                out.push(m);
                if out.len() == r {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Node `id`'s token positions, in the order they were drawn.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `id` is not a member.
    pub fn tokens_of(&self, id: usize) -> Result<Vec<u64>> {
        let rank = self.members.binary_search(&id).map_err(|_| not_member(id))?;
        let mut out = Vec::with_capacity(self.vnodes);
        self.push_tokens(&mut out, rank, id);
        Ok(out.into_iter().map(|t| t.0).collect())
    }

    /// Tokens per node.
    pub fn vnodes(&self) -> usize {
        self.vnodes
    }

    /// The seed the tokens are drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Total number of tokens on the ring.
    pub fn token_count(&self) -> usize {
        self.positions.len()
    }
}

fn check_id(id: usize) -> Result<()> {
    if id as u64 > u64::from(u32::MAX) {
        return Err(Error::out_of_range("node id", id, "ring node ids must be below 2³²"));
    }
    Ok(())
}

fn check_tokens(nodes: usize, vnodes: usize) -> Result<()> {
    if nodes.saturating_mul(vnodes) > MAX_TOKENS {
        return Err(Error::out_of_range(
            "nodes × vnodes_per_node",
            nodes.saturating_mul(vnodes),
            format!("a ring holds at most {MAX_TOKENS} tokens"),
        ));
    }
    Ok(())
}

impl Partitioner for HashRing {
    fn node_of(&self, key: u64) -> usize {
        self.owner(key)
    }
    fn members(&self) -> &[usize] {
        &self.members
    }
}

impl Elastic for HashRing {
    /// Adds `id`'s tokens; every other token stays where it was.
    fn add_node(&mut self, id: usize) -> Result<()> {
        check_id(id)?;
        let at = match self.members.binary_search(&id) {
            Ok(_) => return Err(already_member(id)),
            Err(at) => at,
        };
        check_tokens(self.members.len() + 1, self.vnodes)?;
        self.members.insert(at, id);
        if self.bug.is_some() {
            self.rebuild();
        } else {
            let mut tokens: Vec<(u64, usize)> =
                self.positions.iter().copied().zip(self.owners.iter().copied()).collect();
            self.push_tokens(&mut tokens, at, id);
            self.set_tokens(tokens);
        }
        Ok(())
    }

    /// Removes `id`'s tokens; its arcs fall to the next tokens clockwise.
    fn remove_node(&mut self, id: usize) -> Result<()> {
        let at = self.members.binary_search(&id).map_err(|_| not_member(id))?;
        if self.members.len() == 1 {
            return Err(last_member(id));
        }
        self.members.remove(at);
        if self.bug.is_some() {
            self.rebuild();
        } else {
            let keep: Vec<(u64, usize)> = self
                .positions
                .iter()
                .copied()
                .zip(self.owners.iter().copied())
                .filter(|t| t.1 != id)
                .collect();
            self.set_tokens(keep);
        }
        Ok(())
    }
}

/// The law of one node's share of a ring with `vnodes` = k random tokens per node and n
/// nodes: Beta(k, (n − 1)k).
///
/// The nk tokens are nk independent uniform points on the circle; the arcs between them
/// (spacings) are jointly Dirichlet(1, …, 1), and a node owns the k arcs ending at its tokens,
/// so its share is the sum of k of nk Dirichlet(1) components: Beta(k, (n − 1)k).
///
/// ```
/// use course_lib::partition::RingShare;
/// let law = RingShare::new(10, 100)?;
/// assert!((law.mean() - 0.1).abs() < 1e-15);
/// // CV = √((n − 1)/(nk + 1)) ≈ 1/√k
/// assert!((law.cv() - (9.0f64 / 1001.0).sqrt()).abs() < 1e-12);
/// let (lo, hi) = (law.quantile(0.005)?, law.quantile(0.995)?);
/// assert!(lo < 0.1 && 0.1 < hi);
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingShare {
    nodes: usize,
    vnodes: usize,
}

impl RingShare {
    /// The share law for `nodes >= 1` nodes of `vnodes >= 1` tokens each.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for 0 nodes or 0 tokens.
    pub fn new(nodes: usize, vnodes: usize) -> Result<RingShare> {
        validate::at_least("nodes", nodes, 1)?;
        validate::at_least("vnodes", vnodes, 1)?;
        Ok(RingShare { nodes, vnodes })
    }

    /// Number of nodes n.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// Tokens per node k.
    pub fn vnodes(&self) -> usize {
        self.vnodes
    }

    /// The Beta parameters (α, β) = (k, (n − 1)k).
    pub fn beta_parameters(&self) -> (f64, f64) {
        let k = self.vnodes as f64;
        (k, (self.nodes as f64 - 1.0) * k)
    }

    /// The mean share, 1/n.
    pub fn mean(&self) -> f64 {
        1.0 / self.nodes as f64
    }

    /// The variance of a share, αβ / ((α + β)² (α + β + 1)) = k·(n − 1)k / ((nk)² (nk + 1)).
    pub fn variance(&self) -> f64 {
        let (a, b) = self.beta_parameters();
        a * b / ((a + b) * (a + b) * (a + b + 1.0))
    }

    /// The coefficient of variation σ/μ = √((n − 1)/(nk + 1)): the "standard error of the
    /// bucket sizes" of Lamping & Veach's table.
    pub fn cv(&self) -> f64 {
        self.variance().sqrt() / self.mean()
    }

    fn beta(&self) -> Option<Beta> {
        let (a, b) = self.beta_parameters();
        // one node owns everything: a point mass at 1, not a Beta
        (self.nodes > 1).then(|| Beta::new(a, b).expect("α, β > 0 for n ≥ 2, k ≥ 1"))
    }

    /// The `q`-quantile of one node's share (`statrs`' inverse regularized incomplete beta).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] if `q` is not in [0, 1].
    pub fn quantile(&self, q: f64) -> Result<f64> {
        let q = validate::probability("q", q)?;
        Ok(self.beta().map_or(1.0, |b| b.inverse_cdf(q)))
    }

    /// P(share ≤ x).
    pub fn cdf(&self, x: f64) -> f64 {
        match self.beta() {
            Some(b) => b.cdf(x),
            None => f64::from(u8::from(x >= 1.0)),
        }
    }

    /// The `q`-quantile of the **largest** of the n shares, approximately.
    ///
    /// The shares are G_i / ΣG for independent G_i ~ Gamma(k, 1) (that is what Dirichlet(k, …, k)
    /// means), and ΣG ≈ nk, so the largest share is close to max_i G_i / (nk), whose quantiles
    /// are those of the maximum of n independent Gamma(k, rate nk): G⁻¹(q^(1/n)). (Treating the
    /// Beta marginals as independent instead underestimates the maximum, by 5 % for k = 1 and
    /// n = 10: the shares are negatively associated.) For k = 1 its mean is exactly
    /// [`expected_largest_arc`] and its median 2.9 % below the exact one (Whitworth's formula;
    /// n = 10); the crate's tests measure it against simulated rings: within 1.2 % for k = 2,
    /// under 1 % from k = 4 on.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] if `q` is not in [0, 1].
    pub fn max_quantile(&self, q: f64) -> Result<f64> {
        let q = validate::probability("q", q)?;
        if self.nodes == 1 {
            return Ok(1.0);
        }
        let (k, n) = (self.vnodes as f64, self.nodes as f64);
        let gamma = Gamma::new(k, n * k).expect("shape, rate > 0");
        Ok(invert_cdf(|x| gamma.cdf(x), q.powf(1.0 / n)))
    }
}

/// The x in [0, 1] with cdf(x) = p, by bisection (`statrs`' own Gamma inverse stops early for
/// shapes around 100 and can miss by several percent).
fn invert_cdf(cdf: impl Fn(f64) -> f64, p: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    if cdf(hi) <= p {
        return hi;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= f64::EPSILON * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// The expected largest of the n arcs between n uniform random points on a circle, H_n / n, with
/// H_n = 1 + 1/2 + … + 1/n: the expected largest share of a ring with one token per node.
/// For n = 10, H_10/10 ≈ 0.293: the busiest node has 2.93× its fair share on average.
///
/// # Errors
/// [`Error::OutOfRange`] for 0 nodes.
pub fn expected_largest_arc(nodes: usize) -> Result<f64> {
    validate::at_least("nodes", nodes, 1)?;
    let h: f64 = (1..=nodes).map(|i| 1.0 / i as f64).sum();
    Ok(h / nodes as f64)
}
