//! Range partitioning: contiguous key ranges on nodes, hot spots, adaptive splitting.

use std::fmt;

use super::{KeyLoad, Partitioner};
use crate::error::{validate, Error, Result};

/// One range of keys `start..end` (`end` = `None`: to the end of the key space) and its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRange {
    /// First key of the range.
    pub start: u64,
    /// First key after the range; `None` for the last range.
    pub end: Option<u64>,
    /// The node that stores it.
    pub node: usize,
}

impl KeyRange {
    /// Is `key` in the range?
    pub fn contains(&self, key: u64) -> bool {
        key >= self.start && self.end.map_or(true, |e| key < e)
    }
}

impl fmt::Display for KeyRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end {
            Some(e) => write!(f, "[{}, {}) on n{}", self.start, e, self.node),
            None => write!(f, "[{}, ∞) on n{}", self.start, self.node),
        }
    }
}

/// A range-partitioned key space: ranges starting at `starts[0] = 0 < starts[1] < …`, range i
/// covering `starts[i]..starts[i + 1]` (the last one to the end), each on one of nodes
/// `0..nodes`.
///
/// Keys are *not* hashed: neighbouring keys share a range, so a scan of `a..b` touches only the
/// ranges that overlap it. A lookup is a binary search over the range starts.
///
/// ```
/// use course_lib::partition::{Partitioner, RangeTable};
/// let t = RangeTable::from_starts(3, &[(0, 0), (100, 1), (250, 2), (900, 0)])?;
/// assert_eq!(t.node_of(99), 0);
/// assert_eq!(t.node_of(100), 1);
/// assert_eq!(t.node_of(5_000), 0);                  // the last range is open-ended
/// assert_eq!(t.ranges()[1].to_string(), "[100, 250) on n1");
/// assert!(RangeTable::from_starts(3, &[(5, 0)]).is_err()); // must start at key 0
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeTable {
    starts: Vec<u64>,
    owners: Vec<usize>,
    members: Vec<usize>,
}

impl RangeTable {
    /// `nodes` ranges of equal width over keys `0..key_space`, range i on node i (the last
    /// range also takes every key from `key_space` on).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for 0 nodes, or a key space smaller than the number of nodes.
    pub fn even(nodes: usize, key_space: u64) -> Result<RangeTable> {
        validate::at_least("nodes", nodes, 1)?;
        if key_space < nodes as u64 {
            return Err(Error::out_of_range(
                "key_space",
                key_space,
                format!("must be at least nodes = {nodes} (one key per range)"),
            ));
        }
        let starts =
            (0..nodes).map(|i| (i as u128 * key_space as u128 / nodes as u128) as u64).collect();
        Ok(RangeTable { starts, owners: (0..nodes).collect(), members: (0..nodes).collect() })
    }

    /// Ranges given as `(start, node)` in ascending order of start: the first must start at
    /// key 0, starts strictly increase, and every node is below `nodes`.
    ///
    /// # Errors
    /// [`Error::Empty`] for no ranges; [`Error::Invalid`] naming the offending entry.
    pub fn from_starts(nodes: usize, ranges: &[(u64, usize)]) -> Result<RangeTable> {
        validate::at_least("nodes", nodes, 1)?;
        if ranges.is_empty() {
            return Err(Error::empty("the list of ranges", "give at least (0, node)"));
        }
        if ranges[0].0 != 0 {
            return Err(Error::invalid(
                "range table",
                format!("the first range must start at key 0, not {}", ranges[0].0),
            ));
        }
        for (i, w) in ranges.windows(2).enumerate() {
            if w[1].0 <= w[0].0 {
                return Err(Error::invalid(
                    "range table",
                    format!(
                        "range {} starts at {}, not after range {} (start {}): starts must \
                         strictly increase",
                        i + 1,
                        w[1].0,
                        i,
                        w[0].0
                    ),
                ));
            }
        }
        if let Some((i, &(_, node))) = ranges.iter().enumerate().find(|(_, r)| r.1 >= nodes) {
            return Err(Error::UnknownNode {
                node,
                cluster_size: nodes,
                context: format!("range {i} of the range table"),
            });
        }
        Ok(RangeTable {
            starts: ranges.iter().map(|r| r.0).collect(),
            owners: ranges.iter().map(|r| r.1).collect(),
            members: (0..nodes).collect(),
        })
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.members.len()
    }

    /// Number of ranges.
    pub fn range_count(&self) -> usize {
        self.starts.len()
    }

    /// The ranges, in key order.
    pub fn ranges(&self) -> Vec<KeyRange> {
        (0..self.starts.len()).map(|i| self.range(i)).collect()
    }

    fn range(&self, i: usize) -> KeyRange {
        KeyRange {
            start: self.starts[i],
            end: self.starts.get(i + 1).copied(),
            node: self.owners[i],
        }
    }

    /// The index of the range that holds `key`.
    pub fn range_of(&self, key: u64) -> usize {
        self.starts.partition_point(|&s| s <= key) - 1
    }

    /// Splits the range that holds `at` so that a new range starts at `at`, on the same node;
    /// returns the new range's index.
    ///
    /// # Errors
    /// [`Error::Invalid`] if a range already starts at `at`.
    pub fn split(&mut self, at: u64) -> Result<usize> {
        let i = self.range_of(at);
        if self.starts[i] == at {
            return Err(Error::invalid("split", format!("a range already starts at key {at}")));
        }
        self.starts.insert(i + 1, at);
        self.owners.insert(i + 1, self.owners[i]);
        Ok(i + 1)
    }

    /// Puts range `range` on node `node` (a move of its data).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a range index past the end; [`Error::UnknownNode`] for a node
    /// ≥ `nodes`.
    pub fn assign(&mut self, range: usize, node: usize) -> Result<()> {
        if range >= self.starts.len() {
            return Err(Error::out_of_range(
                "range",
                range,
                format!("the table has ranges 0..{}", self.starts.len()),
            ));
        }
        if node >= self.members.len() {
            return Err(Error::UnknownNode {
                node,
                cluster_size: self.members.len(),
                context: "RangeTable::assign".into(),
            });
        }
        self.owners[range] = node;
        Ok(())
    }

    /// The share of `load` in each range, in key order.
    pub fn range_loads(&self, load: &KeyLoad) -> Vec<f64> {
        let mut out = vec![0.0; self.starts.len()];
        let mut r = 0;
        for (k, w) in load.iter() {
            while r + 1 < self.starts.len() && self.starts[r + 1] <= k {
                r += 1;
            }
            out[r] += w;
        }
        out
    }

    /// The share of `load` on each node (faster than [`super::node_loads`], which looks every
    /// key up).
    pub fn node_loads(&self, load: &KeyLoad) -> Vec<f64> {
        let mut out = vec![0.0; self.members.len()];
        for (r, l) in self.range_loads(load).into_iter().enumerate() {
            out[self.owners[r]] += l;
        }
        out
    }
}

impl Partitioner for RangeTable {
    fn node_of(&self, key: u64) -> usize {
        self.owners[self.range_of(key)]
    }
    fn members(&self) -> &[usize] {
        &self.members
    }
}

/// No placement of `load` on `nodes` nodes that keeps each key on one node can give its
/// busiest node less than max(1/nodes, the hottest key's share): the bound a placement is
/// judged against.
///
/// ```
/// use course_lib::partition::{placement_lower_bound, KeyLoad};
/// let load = KeyLoad::from_weights([(0, 0.5), (1, 0.3), (2, 0.2)])?;
/// assert_eq!(placement_lower_bound(&load, 4)?, 0.5);   // key 0 alone is half the load
/// assert_eq!(placement_lower_bound(&load, 1)?, 1.0);
/// # Ok::<(), course_lib::Error>(())
/// ```
///
/// # Errors
/// [`Error::OutOfRange`] for 0 nodes.
pub fn placement_lower_bound(load: &KeyLoad, nodes: usize) -> Result<f64> {
    validate::at_least("nodes", nodes, 1)?;
    Ok(load.hottest().1.max(1.0 / nodes as f64))
}

/// Adaptive splitting of hot ranges, then moving ranges off the busiest nodes.
///
/// [`Splitter::run`] works in two phases, as range-partitioned stores do (Bigtable and HBase
/// split tablets/regions, CockroachDB splits ranges by load and its rebalancer then moves them):
///
/// 1. **split**: while some range carries more than `max_range_load` of all requests (the
///    hottest first), split it at its load median, the key that best halves its load; a range
///    whose load is all on one key cannot be split, and that key is reported as a **hot key**
///    ([`SplitReport::hot_keys`]). Stop at `max_ranges` ranges.
/// 2. **move** (unless `.rebalance(false)`): while moving one range from the busiest node to
///    the idlest lowers the busier of the two, move the range that best evens them.
///
/// ```
/// use course_lib::partition::{RangeTable, Splitter, Zipf, Imbalance};
/// let load = Zipf::new(10_000, 1.0).load()?;      // key 0 hottest: a hot spot at the start
/// let table = RangeTable::even(8, 10_000)?;
/// let report = Splitter::new(0.05).run(&table, &load)?;
/// let (before, after) = (Imbalance::of(&report.before)?, Imbalance::of(&report.after)?);
/// assert!(before.max_over_mean > 5.0);             // node 0 serves the hot spot
/// assert!(after.max_over_mean < 1.2);
/// assert_eq!(report.hot_keys.len(), 2);           // keys 0 and 1 each carry more than 5%
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Splitter {
    max_range_load: f64,
    max_ranges: Option<usize>,
    rebalance: bool,
}

/// One split.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Split {
    /// The new range starts at this key.
    pub at: u64,
    /// The split range's load before.
    pub load: f64,
    /// The load left of `at`.
    pub left: f64,
    /// The load from `at` on.
    pub right: f64,
}

/// One range moved to another node.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RangeMove {
    /// The range, with its new node.
    pub range: KeyRange,
    /// Its node before.
    pub from: usize,
    /// Its load.
    pub load: f64,
}

/// What [`Splitter::run`] did, and the node loads before and after.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitReport {
    /// Node loads (shares of all requests) before.
    pub before: Vec<f64>,
    /// Node loads after splitting and moving.
    pub after: Vec<f64>,
    /// The table after.
    pub table: RangeTable,
    /// The splits, in order.
    pub splits: Vec<Split>,
    /// The moves, in order.
    pub moves: Vec<RangeMove>,
    /// Keys whose own load exceeds `max_range_load`: no split can help them.
    pub hot_keys: Vec<(u64, f64)>,
    /// The threshold used.
    pub max_range_load: f64,
}

impl Splitter {
    /// Split ranges that carry more than `max_range_load` (a share of all requests, in (0, 1]).
    /// At most 16 ranges per node by default; ranges are moved after splitting.
    pub fn new(max_range_load: f64) -> Splitter {
        Splitter { max_range_load, max_ranges: None, rebalance: true }
    }

    /// Stop splitting at `n` ranges (checked when the splitter runs: at least the table's).
    pub fn max_ranges(mut self, n: usize) -> Splitter {
        self.max_ranges = Some(n);
        self
    }

    /// Whether to move ranges after splitting (default true). Without moves, a split only
    /// makes two ranges on the same node: the node's load does not change.
    pub fn rebalance(mut self, on: bool) -> Splitter {
        self.rebalance = on;
        self
    }

    /// Splits and moves ranges of `table` for `load`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] if `max_range_load` is not in (0, 1], or `max_ranges` is below the
    /// table's number of ranges.
    pub fn run(&self, table: &RangeTable, load: &KeyLoad) -> Result<SplitReport> {
        let threshold = validate::positive("max_range_load", self.max_range_load)?;
        if threshold > 1.0 {
            return Err(Error::out_of_range(
                "max_range_load",
                threshold,
                "a share of all requests must be in (0, 1]",
            ));
        }
        let max_ranges = self.max_ranges.unwrap_or(16 * table.nodes());
        validate::at_least("max_ranges", max_ranges, table.range_count())?;
        let before = table.node_loads(load);
        let mut t = table.clone();
        let mut splits = Vec::new();
        let mut hot_keys: Vec<(u64, f64)> = Vec::new();
        let keys = load.keys();
        let weights = load.weights();
        while t.range_count() < max_ranges {
            let loads = t.range_loads(load);
            // the hottest range above the threshold whose load is on two or more keys
            let mut candidate = None;
            for (r, &l) in loads.iter().enumerate() {
                if l <= threshold {
                    continue;
                }
                let range = t.range(r);
                let lo = keys.partition_point(|&k| k < range.start);
                let hi = range.end.map_or(keys.len(), |e| keys.partition_point(|&k| k < e));
                // all of the range's load on one key (its other keys, if any, weigh 0)
                let top =
                    (lo..hi).max_by(|&a, &b| weights[a].total_cmp(&weights[b]).then(b.cmp(&a)));
                let top = top.expect("a range above the threshold holds a key");
                if l - weights[top] <= 0.0 {
                    if !hot_keys.iter().any(|h| h.0 == keys[top]) {
                        hot_keys.push((keys[top], weights[top]));
                    }
                    continue;
                }
                if candidate.map_or(true, |(_, best, _, _)| l > best) {
                    candidate = Some((r, l, lo, hi));
                }
            }
            let Some((_, l, lo, hi)) = candidate else { break };
            // split before key c (lo < c < hi): left = keys[lo..c]; the c that best halves l
            let (mut best_c, mut best_max, mut left) = (lo + 1, f64::INFINITY, 0.0);
            let mut best_left = 0.0;
            for c in lo + 1..hi {
                left += weights[c - 1];
                let worst = left.max(l - left);
                if worst < best_max {
                    (best_c, best_max, best_left) = (c, worst, left);
                }
                if left >= l / 2.0 {
                    break;
                }
            }
            let at = keys[best_c];
            t.split(at).expect("a key inside the range, after its start");
            splits.push(Split { at, load: l, left: best_left, right: l - best_left });
        }
        hot_keys.sort_by_key(|h| h.0);
        let mut moves = Vec::new();
        if self.rebalance {
            let range_loads = t.range_loads(load);
            let mut node_load = t.node_loads(load);
            let cap = 10 * t.range_count() * t.nodes().max(1);
            for _ in 0..cap {
                let src = argmax(&node_load);
                let dst = argmin(&node_load);
                let gap = node_load[src] - node_load[dst];
                // the range of src whose move best evens src and dst (0 < load < gap)
                let pick = (0..t.range_count())
                    .filter(|&r| t.owners[r] == src && range_loads[r] > 0.0)
                    .filter(|&r| range_loads[r] < gap)
                    .min_by(|&a, &b| {
                        let da = (gap / 2.0 - range_loads[a]).abs();
                        let db = (gap / 2.0 - range_loads[b]).abs();
                        da.total_cmp(&db).then(a.cmp(&b))
                    });
                let Some(r) = pick else { break };
                t.owners[r] = dst;
                node_load[src] -= range_loads[r];
                node_load[dst] += range_loads[r];
                moves.push(RangeMove { range: t.range(r), from: src, load: range_loads[r] });
            }
        }
        let after = t.node_loads(load);
        Ok(SplitReport {
            before,
            after,
            table: t,
            splits,
            moves,
            hot_keys,
            max_range_load: threshold,
        })
    }
}

fn argmax(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x > xs[best] {
            best = i;
        }
    }
    best
}

fn argmin(xs: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in xs.iter().enumerate() {
        if x < xs[best] {
            best = i;
        }
    }
    best
}
