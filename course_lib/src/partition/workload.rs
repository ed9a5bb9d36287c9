//! Workloads (which keys are asked for, how often), the load a placement puts on each node,
//! and the imbalance of those loads.

use super::Partitioner;
use crate::error::{validate, Error, Result};
use crate::sim::Stream;

/// The request share of every key of a workload: what a placement is judged on.
///
/// Keys are distinct and ascending; the weights are non-negative and sum to 1.
///
/// ```
/// use course_lib::partition::KeyLoad;
/// let load = KeyLoad::from_requests(&[7, 7, 7, 2])?;       // key 7 asked 3 times, key 2 once
/// assert_eq!(load.keys(), &[2, 7]);
/// assert_eq!(load.weight(7), 0.75);
/// assert_eq!(load.hottest(), (7, 0.75));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct KeyLoad {
    keys: Vec<u64>,
    weights: Vec<f64>,
}

/// More keys than this in one workload is refused.
const MAX_KEYS: u64 = 20_000_000;

impl KeyLoad {
    /// Keys `0..keys`, each with weight 1/keys.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for 0 keys or more than 2·10⁷.
    pub fn uniform(keys: u64) -> Result<KeyLoad> {
        check_key_count(keys)?;
        let w = 1.0 / keys as f64;
        Ok(KeyLoad { keys: (0..keys).collect(), weights: vec![w; keys as usize] })
    }

    /// Keys with weights (any positive scale: they are normalized to sum to 1); a key listed
    /// twice gets the sum of its weights.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming `weights[i]` if one is negative, NaN or infinite;
    /// [`Error::Empty`] if there is no key or the weights sum to 0.
    pub fn from_weights(pairs: impl IntoIterator<Item = (u64, f64)>) -> Result<KeyLoad> {
        let mut pairs: Vec<(u64, f64)> = pairs.into_iter().collect();
        for (i, &(_, w)) in pairs.iter().enumerate() {
            validate::non_negative(&format!("weights[{i}]"), w)?;
        }
        pairs.sort_by_key(|p| p.0);
        let mut keys: Vec<u64> = Vec::with_capacity(pairs.len());
        let mut weights: Vec<f64> = Vec::with_capacity(pairs.len());
        for (k, w) in pairs {
            if keys.last() == Some(&k) {
                *weights.last_mut().expect("a weight per key") += w;
            } else {
                keys.push(k);
                weights.push(w);
            }
        }
        let total: f64 = weights.iter().sum();
        if keys.is_empty() || total <= 0.0 {
            return Err(Error::empty("the workload", "give at least one key with weight > 0"));
        }
        if !total.is_finite() {
            return Err(Error::out_of_range("total weight", total, "must be finite"));
        }
        weights.iter_mut().for_each(|w| *w /= total);
        Ok(KeyLoad { keys, weights })
    }

    /// The workload a stream of requests makes: each key's share of the requests.
    ///
    /// # Errors
    /// [`Error::Empty`] for no requests.
    pub fn from_requests(requests: &[u64]) -> Result<KeyLoad> {
        KeyLoad::from_weights(requests.iter().map(|&k| (k, 1.0)))
    }

    /// The keys, ascending.
    pub fn keys(&self) -> &[u64] {
        &self.keys
    }

    /// `weights()[i]` is the share of `keys()[i]`.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// `(key, share)` in ascending key order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        self.keys.iter().copied().zip(self.weights.iter().copied())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Always false: a workload has at least one key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The share of `key` (0 if it is not in the workload).
    pub fn weight(&self, key: u64) -> f64 {
        self.keys.binary_search(&key).map_or(0.0, |i| self.weights[i])
    }

    /// The most requested key and its share (the smallest such key on ties). No placement can
    /// give any node less than this share if it stores that key on one node.
    pub fn hottest(&self) -> (u64, f64) {
        let mut best = (self.keys[0], self.weights[0]);
        for (k, w) in self.iter() {
            if w > best.1 {
                best = (k, w);
            }
        }
        best
    }

    /// The total share of the keys in `start..end` (`end` = `None`: to the end of the key space).
    pub fn share_between(&self, start: u64, end: Option<u64>) -> f64 {
        let lo = self.keys.partition_point(|&k| k < start);
        let hi = end.map_or(self.keys.len(), |e| self.keys.partition_point(|&k| k < e));
        self.weights[lo..hi.max(lo)].iter().sum()
    }
}

fn check_key_count(keys: u64) -> Result<u64> {
    if keys == 0 || keys > MAX_KEYS {
        return Err(Error::out_of_range("keys", keys, format!("must be between 1 and {MAX_KEYS}")));
    }
    Ok(keys)
}

/// A Zipf workload: `keys` keys, the key of popularity rank r (1 = most popular) requested with
/// probability ∝ 1/rˢ (web requests: s ≈ 0.64–0.83, Breslau et al. 1999; the YCSB benchmark's
/// default is 0.99).
///
/// By default rank r is key r − 1, so the popular keys sit together at the start of the key
/// space: a **hot spot** for range partitioning (think of ids handed out in order, the oldest
/// accounts the most followed). [`Zipf::shuffled`] scatters the ranks over the keys instead.
/// Builders are infallible; [`Zipf::load`] and [`Zipf::sample`] check the parameters.
///
/// ```
/// use course_lib::partition::Zipf;
/// let load = Zipf::new(1_000, 1.0).load()?;
/// let h: f64 = (1..=1_000).map(|r| 1.0 / r as f64).sum();
/// assert!((load.weight(0) - 1.0 / h).abs() < 1e-12);    // rank 1 = key 0
/// assert!((load.weight(1) - 0.5 / h).abs() < 1e-12);    // rank 2 has half of rank 1's share
/// let requests = Zipf::new(1_000, 1.0).sample(10_000, 42)?;
/// assert_eq!(requests.len(), 10_000);
/// assert!(Zipf::new(0, 1.0).load().is_err());
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Zipf {
    keys: u64,
    s: f64,
    shuffle: Option<u64>,
}

impl Zipf {
    /// `keys` keys with exponent `s` (`s = 0` is uniform; larger is more skewed).
    pub fn new(keys: u64, s: f64) -> Zipf {
        Zipf { keys, s, shuffle: None }
    }

    /// Ranks assigned to keys by a random permutation drawn from `seed` (the named stream
    /// `Stream::Scenario("partition zipf order", 0)`), instead of rank r = key r − 1.
    pub fn shuffled(mut self, seed: u64) -> Zipf {
        self.shuffle = Some(seed);
        self
    }

    fn check(&self) -> Result<()> {
        check_key_count(self.keys)?;
        if !(self.s.is_finite() && (0.0..=10.0).contains(&self.s)) {
            return Err(Error::out_of_range("s", self.s, "the Zipf exponent must be in [0, 10]"));
        }
        Ok(())
    }

    /// Unnormalized weights by rank: 1/rˢ (portable `libm::pow`).
    fn rank_weights(&self) -> Vec<f64> {
        (1..=self.keys).map(|r| 1.0 / libm::pow(r as f64, self.s)).collect()
    }

    /// `key_of_rank[r − 1]` is the key of rank r.
    fn key_of_rank(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = (0..self.keys).collect();
        if let Some(seed) = self.shuffle {
            Stream::Scenario("partition zipf order", 0).rng(seed).shuffle(&mut keys);
        }
        keys
    }

    /// The exact request share of every key.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `keys` outside 1..=2·10⁷ or `s` outside [0, 10].
    pub fn load(&self) -> Result<KeyLoad> {
        self.check()?;
        let w = self.rank_weights();
        let total: f64 = w.iter().sum();
        let mut pairs: Vec<(u64, f64)> =
            self.key_of_rank().into_iter().zip(w.into_iter().map(|x| x / total)).collect();
        pairs.sort_by_key(|p| p.0);
        Ok(KeyLoad {
            keys: pairs.iter().map(|p| p.0).collect(),
            weights: pairs.iter().map(|p| p.1).collect(),
        })
    }

    /// `requests` keys drawn independently from the workload (inverse CDF by binary search),
    /// from the named stream `Stream::Scenario("partition zipf requests", 0)` of `seed`.
    ///
    /// # Errors
    /// As [`Zipf::load`].
    pub fn sample(&self, requests: usize, seed: u64) -> Result<Vec<u64>> {
        self.check()?;
        let mut cdf = self.rank_weights();
        let mut acc = 0.0;
        for w in cdf.iter_mut() {
            acc += *w;
            *w = acc;
        }
        let keys = self.key_of_rank();
        let mut rng = Stream::Scenario("partition zipf requests", 0).rng(seed);
        Ok((0..requests)
            .map(|_| {
                let u = rng.uniform() * acc;
                let r = cdf.partition_point(|&c| c <= u).min(cdf.len() - 1);
                keys[r]
            })
            .collect())
    }
}

/// The share of `load` each node of `placement` serves, in the order of its
/// [`members`](Partitioner::members).
///
/// # Panics
/// If the placement returns a node that is not one of its members (a broken `Partitioner`;
/// the crate's placements never do).
///
/// ```
/// use course_lib::partition::{node_loads, KeyLoad, ModN};
/// let loads = node_loads(&ModN::new(4)?, &KeyLoad::uniform(100_000)?);
/// assert!(loads.iter().all(|&l| (l - 0.25).abs() < 0.01));
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn node_loads<P: Partitioner + ?Sized>(placement: &P, load: &KeyLoad) -> Vec<f64> {
    let members = placement.members();
    let max_id = members.iter().copied().max().unwrap_or(0);
    let mut index = vec![usize::MAX; max_id + 1];
    for (i, &m) in members.iter().enumerate() {
        index[m] = i;
    }
    let mut out = vec![0.0; members.len()];
    for (k, w) in load.iter() {
        let node = placement.node_of(k);
        match index.get(node) {
            Some(&i) if i != usize::MAX => out[i] += w,
            _ => panic!("placement returned node {node}, which is not one of its members"),
        }
    }
    out
}

/// How uneven a set of node loads is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Imbalance {
    /// Number of nodes.
    pub nodes: usize,
    /// The busiest node's load.
    pub max: f64,
    /// The idlest node's load.
    pub min: f64,
    /// The mean load.
    pub mean: f64,
    /// max / mean: 1 is perfect balance; the cluster saturates when its busiest node does, so
    /// it serves at most 1/(max/mean) of what n balanced nodes would.
    pub max_over_mean: f64,
    /// The coefficient of variation σ/mean, σ the population standard deviation (divided by
    /// n) of the loads.
    pub cv: f64,
}

impl Imbalance {
    /// The imbalance of `loads` (any scale: shares, requests/s, keys).
    ///
    /// ```
    /// use course_lib::partition::Imbalance;
    /// let i = Imbalance::of(&[0.5, 0.25, 0.25])?;
    /// assert!((i.max_over_mean - 1.5).abs() < 1e-12);
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Empty`] for no loads or loads that sum to 0; [`Error::OutOfRange`] naming
    /// `loads[i]` if one is negative, NaN or infinite.
    pub fn of(loads: &[f64]) -> Result<Imbalance> {
        if loads.is_empty() {
            return Err(Error::empty("the list of loads", "give one load per node"));
        }
        for (i, &l) in loads.iter().enumerate() {
            validate::non_negative(&format!("loads[{i}]"), l)?;
        }
        let n = loads.len() as f64;
        let mean = loads.iter().sum::<f64>() / n;
        if mean <= 0.0 {
            return Err(Error::empty("the load", "at least one node must have load > 0"));
        }
        let max = loads.iter().copied().fold(f64::MIN, f64::max);
        let min = loads.iter().copied().fold(f64::MAX, f64::min);
        let var = loads.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n;
        Ok(Imbalance {
            nodes: loads.len(),
            max,
            min,
            mean,
            max_over_mean: max / mean,
            cv: var.sqrt() / mean,
        })
    }
}
