//! Measurements for the notebook's figures: the imbalance of random rings against the Beta
//! closed form, and the keys each scheme moves when nodes join or leave.

use super::{Change, HashRing, RingShare, Scheme};
use crate::error::{validate, Error, Result};
use crate::sim::Stream;

/// The imbalance of `rings` random rings of `nodes` nodes with `vnodes` tokens each, measured
/// on their exact arc lengths, beside the closed form.
#[derive(Clone, Debug, PartialEq)]
pub struct RingImbalance {
    /// Nodes per ring n.
    pub nodes: usize,
    /// Tokens per node k.
    pub vnodes: usize,
    /// Rings simulated.
    pub rings: usize,
    /// The median over rings of (largest share)/(1/n).
    pub median_max_over_mean: f64,
    /// The mean over rings of (largest share)/(1/n).
    pub mean_max_over_mean: f64,
    /// The variance of one node's share, estimated as the mean over rings and nodes of
    /// (share − 1/n)² (unbiased: the mean share is exactly 1/n).
    pub share_variance: f64,
    /// The standard error of `share_variance`, from the spread of the per-ring estimates (the
    /// rings are independent; the nodes of one ring are not).
    pub share_variance_se: f64,
    /// The 0.5 % and 99.5 % quantiles of share·n over all rings and nodes: the "bucket size 99 %
    /// confidence interval" of Lamping & Veach's table.
    pub size_ci99: (f64, f64),
    /// The closed form these estimate.
    pub closed_form: RingShare,
}

impl RingImbalance {
    /// The simulated coefficient of variation of a share: √variance · n.
    pub fn cv(&self) -> f64 {
        self.share_variance.sqrt() * self.nodes as f64
    }
}

/// Simulates `rings` rings of `nodes` × `vnodes` tokens; ring r draws its tokens from the seed
/// `Stream::Trial(r).rng(seed).next_u64()`, so rings are independent and any one can be
/// rebuilt alone.
///
/// ```
/// use course_lib::partition::ring_imbalance;
/// let m = ring_imbalance(10, 50, 200, 1)?;
/// let beta = m.closed_form.variance();
/// assert!((m.share_variance - beta).abs() < 4.0 * m.share_variance_se);
/// # Ok::<(), course_lib::Error>(())
/// ```
///
/// # Errors
/// [`Error::OutOfRange`] for 0 nodes, tokens or rings, or more than 5·10⁷ tokens in all.
pub fn ring_imbalance(
    nodes: usize,
    vnodes: usize,
    rings: usize,
    seed: u64,
) -> Result<RingImbalance> {
    validate::at_least("nodes", nodes, 1)?;
    validate::at_least("vnodes", vnodes, 1)?;
    validate::at_least("rings", rings, 1)?;
    let total = nodes.saturating_mul(vnodes).saturating_mul(rings);
    if total > 50_000_000 {
        return Err(Error::out_of_range(
            "nodes × vnodes × rings",
            total,
            "at most 5·10⁷ tokens in one measurement (a notebook cell should take a second)",
        ));
    }
    let n = nodes as f64;
    let mut max_ratios = Vec::with_capacity(rings);
    let mut per_ring_var = Vec::with_capacity(rings);
    let mut sizes = Vec::with_capacity(rings * nodes);
    for r in 0..rings {
        let ring_seed = Stream::Trial(r as u64).rng(seed).next_u64();
        let shares = HashRing::new(nodes, vnodes, ring_seed)?.load_shares();
        let max = shares.iter().copied().fold(0.0, f64::max);
        max_ratios.push(max * n);
        per_ring_var.push(shares.iter().map(|s| (s - 1.0 / n).powi(2)).sum::<f64>() / n);
        sizes.extend(shares.iter().map(|s| s * n));
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let var = mean(&per_ring_var);
    let se = if rings > 1 {
        let ss: f64 = per_ring_var.iter().map(|v| (v - var).powi(2)).sum();
        (ss / (rings as f64 - 1.0) / rings as f64).sqrt()
    } else {
        f64::NAN
    };
    let ci = crate::stats::quantiles(&sizes, &[0.005, 0.995])?;
    Ok(RingImbalance {
        nodes,
        vnodes,
        rings,
        median_max_over_mean: crate::stats::quantile(&max_ratios, 0.5)?,
        mean_max_over_mean: mean(&max_ratios),
        share_variance: var,
        share_variance_se: se,
        size_ci99: (ci[0], ci[1]),
        closed_form: RingShare::new(nodes, vnodes)?,
    })
}

/// [`ring_imbalance`] for each number of tokens per node in `vnodes`: the data of the
/// "imbalance vs virtual nodes" figure.
#[derive(Clone, Debug, PartialEq)]
pub struct ImbalanceSweep {
    /// Nodes per ring.
    pub nodes: usize,
    /// Rings per point.
    pub rings: usize,
    /// One measurement per entry of `vnodes`, in order.
    pub points: Vec<RingImbalance>,
}

/// Measures rings of `nodes` nodes for each k in `vnodes`, `rings` rings each (point i uses the
/// seed `seed + i`).
///
/// # Errors
/// As [`ring_imbalance`]; [`Error::Empty`] for an empty `vnodes`.
pub fn imbalance_vs_vnodes(
    nodes: usize,
    vnodes: &[usize],
    rings: usize,
    seed: u64,
) -> Result<ImbalanceSweep> {
    if vnodes.is_empty() {
        return Err(Error::empty("the list of vnodes", "give at least one number of tokens"));
    }
    let points = vnodes
        .iter()
        .enumerate()
        .map(|(i, &k)| ring_imbalance(nodes, k, rings, seed.wrapping_add(i as u64)))
        .collect::<Result<Vec<_>>>()?;
    Ok(ImbalanceSweep { nodes, rings, points })
}

/// What a membership change did to keys `0..keys`.
#[derive(Clone, Debug, PartialEq)]
pub struct Movement {
    /// The scheme.
    pub scheme: Scheme,
    /// The change.
    pub change: Change,
    /// Nodes before.
    pub nodes_before: usize,
    /// Nodes after.
    pub nodes_after: usize,
    /// Keys looked at.
    pub keys: u64,
    /// Keys whose node changed.
    pub moved: u64,
    /// Moved keys that went from a node that stayed to a node that was already there: movement
    /// no balance requires. A consistent (monotone) scheme has none.
    pub needless: u64,
    /// For each node after the change (in member order of the scheme after), how many of the
    /// moved keys it received.
    pub received: Vec<(usize, u64)>,
}

impl Movement {
    /// moved / keys.
    pub fn moved_fraction(&self) -> f64 {
        self.moved as f64 / self.keys as f64
    }

    /// needless / keys.
    pub fn needless_fraction(&self) -> f64 {
        self.needless as f64 / self.keys as f64
    }

    /// The fraction any balanced placement must move: |a − b| / max(a, b) for a → b nodes.
    pub fn minimum_fraction(&self) -> f64 {
        let (a, b) = (self.nodes_before as f64, self.nodes_after as f64);
        (a - b).abs() / a.max(b)
    }

    /// The closed-form expectation for this scheme and change ([`Scheme::expected_moved`]).
    pub fn expected_fraction(&self) -> Option<f64> {
        self.scheme.expected_moved(self.nodes_before, self.change).ok().flatten()
    }

    /// Nodes that received at least one moved key.
    pub fn receivers(&self) -> usize {
        self.received.iter().filter(|r| r.1 > 0).count()
    }
}

/// Builds `scheme` on nodes `0..nodes` (from `seed`), applies `change` to a copy, and compares
/// the owner of every key in `0..keys` before and after.
///
/// ```
/// use course_lib::partition::{keys_moved, Change, Scheme};
/// let m = keys_moved(Scheme::Ring { vnodes: 100 }, 10, Change::Leave(3), 50_000, 1)?;
/// assert_eq!(m.needless, 0);                        // only node 3's keys moved
/// assert!(m.receivers() == 9);                      // … and they spread over all the others
/// # Ok::<(), course_lib::Error>(())
/// ```
///
/// # Errors
/// As [`Scheme::build`] and [`Change::nodes_after`]; [`Error::OutOfRange`] for `keys` outside
/// 1..=10⁸.
pub fn keys_moved(
    scheme: Scheme,
    nodes: usize,
    change: Change,
    keys: u64,
    seed: u64,
) -> Result<Movement> {
    if keys == 0 || keys > 100_000_000 {
        return Err(Error::out_of_range("keys", keys, "must be between 1 and 10⁸"));
    }
    let nodes_after = change.nodes_after(nodes)?;
    let before = scheme.build(nodes, seed)?;
    let mut after = scheme.build(nodes, seed)?;
    change.apply(after.as_mut(), nodes)?;
    let stayed = |id: usize| after.members().contains(&id);
    let was = |id: usize| before.members().contains(&id);
    let after_members: Vec<usize> = after.members().to_vec();
    let max_id = after_members.iter().copied().max().unwrap_or(0);
    let mut rank = vec![usize::MAX; max_id + 1];
    for (i, &m) in after_members.iter().enumerate() {
        rank[m] = i;
    }
    let mut received = vec![0u64; after_members.len()];
    let (mut moved, mut needless) = (0u64, 0u64);
    for key in 0..keys {
        let (a, b) = (before.node_of(key), after.node_of(key));
        if a != b {
            moved += 1;
            received[rank[b]] += 1;
            if stayed(a) && was(b) {
                needless += 1;
            }
        }
    }
    Ok(Movement {
        scheme,
        change,
        nodes_before: nodes,
        nodes_after,
        keys,
        moved,
        needless,
        received: after_members.into_iter().zip(received).collect(),
    })
}

/// [`keys_moved`] for each scheme and each cluster size: the "keys moved on join/leave" figure.
#[derive(Clone, Debug, PartialEq)]
pub struct MovementSweep {
    /// The change applied at every size.
    pub change: Change,
    /// Keys looked at per measurement.
    pub keys: u64,
    /// Per scheme, one measurement per cluster size.
    pub series: Vec<(Scheme, Vec<Movement>)>,
}

/// Runs [`keys_moved`] for every scheme in `schemes` and every size in `nodes`.
///
/// # Errors
/// As [`keys_moved`]; [`Error::Empty`] for no schemes or no sizes.
pub fn movement_sweep(
    schemes: &[Scheme],
    nodes: &[usize],
    change: Change,
    keys: u64,
    seed: u64,
) -> Result<MovementSweep> {
    if schemes.is_empty() || nodes.is_empty() {
        return Err(Error::empty("the sweep", "give at least one scheme and one cluster size"));
    }
    let series = schemes
        .iter()
        .map(|&s| {
            let ms = nodes
                .iter()
                .map(|&n| keys_moved(s, n, change, keys, seed))
                .collect::<Result<Vec<_>>>()?;
            Ok((s, ms))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(MovementSweep { change, keys, series })
}
