//! Anti-entropy with Merkle trees (Merkle 1987; Dynamo §4.7, Cassandra's repair): two
//! replicas of a key-value store find the keys on which they differ without sending every key.
//!
//! The key space $[0, 2^{64})$ is cut into $2^h$ equal **ranges**; a leaf is the SHA-256 of the
//! (key, value) pairs in its range, an inner node the hash of its two children. Because leaves
//! are key *ranges* (not positions in a sorted list), inserting a key changes one leaf only.
//! Replicas compare roots, then the two children of every node that differs, down to the
//! leaves, where one side sends the entries of each differing leaf. For $d$ differing keys in
//! distinct leaves that costs at most $1 + 2 d h$ hashes plus $d$ leaves of entries, with
//! $h = \lceil \log_2(L / b) \rceil$ for $L$ keys and leaves of about $b$ keys; sending the whole
//! state costs $L$ entries. SHA-256 is the `sha2` crate's, through [`crate::chain::Hash`].
//!
//! ```
//! use course_lib::crdt::merkle::*;
//! # fn main() -> course_lib::Result<()> {
//! let cost = anti_entropy(10_000, 5, 8, 1)?;
//! assert_eq!(cost.differing_keys.len(), 5);
//! assert!(cost.bytes < cost.full_bytes / 10);
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::chain::Hash;
use crate::error::{validate, Error, Result};
use crate::sim::Stream;

/// Bytes of one hash (SHA-256).
pub const HASH_BYTES: u64 = 32;
/// Bytes of one entry: a u64 key and a u64 value.
pub const ENTRY_BYTES: u64 = 16;
/// The deepest tree [`RangeMerkle::build`] makes (2²⁴ leaves).
pub const MAX_DEPTH: u32 = 24;

/// A Merkle tree over key ranges: `2^depth` leaves, leaf `i` holding the keys whose top
/// `depth` bits are `i`.
#[derive(Clone, Debug)]
pub struct RangeMerkle {
    depth: u32,
    /// Heap layout: node 1 is the root, node `i`'s children are `2i` and `2i + 1`, the leaves
    /// are `2^depth .. 2^(depth+1)`.
    nodes: Vec<Hash>,
    leaves: Vec<Vec<(u64, u64)>>,
    len: usize,
}

impl RangeMerkle {
    /// The tree of `items` (key → value) with `2^depth` leaves (`depth ≤ 24`).
    pub fn build(items: &BTreeMap<u64, u64>, depth: u32) -> Result<RangeMerkle> {
        if depth > MAX_DEPTH {
            return Err(Error::out_of_range(
                "depth",
                depth,
                format!("must be at most {MAX_DEPTH}"),
            ));
        }
        let n_leaves = 1usize << depth;
        let mut leaves: Vec<Vec<(u64, u64)>> = vec![Vec::new(); n_leaves];
        for (&k, &v) in items {
            leaves[leaf_of(k, depth)].push((k, v));
        }
        let mut nodes = vec![Hash::ZERO; 2 * n_leaves];
        let mut buf = Vec::new();
        for (i, leaf) in leaves.iter().enumerate() {
            buf.clear();
            for (k, v) in leaf {
                buf.extend_from_slice(&k.to_le_bytes());
                buf.extend_from_slice(&v.to_le_bytes());
            }
            nodes[n_leaves + i] = Hash::of(&buf);
        }
        for i in (1..n_leaves).rev() {
            let mut pair = [0u8; 64];
            pair[..32].copy_from_slice(&nodes[2 * i].0);
            pair[32..].copy_from_slice(&nodes[2 * i + 1].0);
            nodes[i] = Hash::of(&pair);
        }
        Ok(RangeMerkle { depth, nodes, leaves, len: items.len() })
    }

    /// The root hash.
    pub fn root(&self) -> Hash {
        self.nodes[1]
    }

    /// The depth $h$ (the tree has $2^h$ leaves).
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn leaf_of(key: u64, depth: u32) -> usize {
    if depth == 0 {
        0
    } else {
        (key >> (64 - depth)) as usize
    }
}

/// What one anti-entropy exchange cost, against sending the full state.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncCost {
    /// Keys present on one side only or with different values, sorted.
    pub differing_keys: Vec<u64>,
    /// Hashes sent (root, then both children of every differing inner node).
    pub hashes: u64,
    /// Entries sent (those of every differing leaf, from one side).
    pub entries: u64,
    /// Request/response rounds (one per tree level visited, one for the leaves).
    pub rounds: u32,
    /// `hashes · 32 + entries · 16` bytes.
    pub bytes: u64,
    /// The full-state alternative: one side's every entry.
    pub full_entries: u64,
    /// `full_entries · 16` bytes.
    pub full_bytes: u64,
    /// The tree's depth $h$.
    pub depth: u32,
}

impl fmt::Display for SyncCost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} differing keys found with {} hashes + {} entries = {} bytes in {} rounds \
             (full state: {} entries = {} bytes)",
            self.differing_keys.len(),
            self.hashes,
            self.entries,
            self.bytes,
            self.rounds,
            self.full_entries,
            self.full_bytes
        )
    }
}

/// Compare two trees top-down and find the differing keys. Both must have the same depth.
pub fn diff(a: &RangeMerkle, b: &RangeMerkle) -> Result<SyncCost> {
    if a.depth != b.depth {
        return Err(Error::invalid(
            "Merkle comparison",
            format!(
                "the trees have depths {} and {}: both replicas must use the same depth",
                a.depth, b.depth
            ),
        ));
    }
    let n_leaves = 1usize << a.depth;
    let (mut hashes, mut entries, mut rounds) = (1u64, 0u64, 1u32);
    let mut level: Vec<usize> = if a.nodes[1] != b.nodes[1] { vec![1] } else { Vec::new() };
    while !level.is_empty() && level[0] < n_leaves {
        rounds += 1;
        let mut next = Vec::new();
        for &i in &level {
            for c in [2 * i, 2 * i + 1] {
                hashes += 1;
                if a.nodes[c] != b.nodes[c] {
                    next.push(c);
                }
            }
        }
        level = next;
    }
    let mut differing = BTreeSet::new();
    if !level.is_empty() {
        rounds += 1;
    }
    for &i in &level {
        let (la, lb) = (&a.leaves[i - n_leaves], &b.leaves[i - n_leaves]);
        entries += la.len() as u64;
        let ma: BTreeMap<u64, u64> = la.iter().copied().collect();
        let mb: BTreeMap<u64, u64> = lb.iter().copied().collect();
        for (k, v) in &ma {
            if mb.get(k) != Some(v) {
                differing.insert(*k);
            }
        }
        for k in mb.keys() {
            if !ma.contains_key(k) {
                differing.insert(*k);
            }
        }
    }
    let full_entries = a.len as u64;
    Ok(SyncCost {
        differing_keys: differing.into_iter().collect(),
        hashes,
        entries,
        rounds,
        bytes: hashes * HASH_BYTES + entries * ENTRY_BYTES,
        full_entries,
        full_bytes: full_entries * ENTRY_BYTES,
        depth: a.depth,
    })
}

/// The depth for `keys` keys and leaves of about `leaf_size` keys: $\lceil \log_2(L/b)
/// \rceil$ (0 when $L \le b$), at most [`MAX_DEPTH`].
pub fn depth_for(keys: usize, leaf_size: usize) -> Result<u32> {
    validate::at_least("leaf_size", leaf_size, 1)?;
    let leaves = keys.div_ceil(leaf_size).max(1);
    Ok((usize::BITS - (leaves - 1).leading_zeros()).min(MAX_DEPTH))
}

/// Two replicas of `keys` random keys (seeded: `Stream::Scenario("crdt merkle", 0)`) whose
/// values differ on `differing` of them; the cost of finding those with a tree of leaves of
/// about `leaf_size` keys.
pub fn anti_entropy(
    keys: usize,
    differing: usize,
    leaf_size: usize,
    seed: u64,
) -> Result<SyncCost> {
    validate::at_least("keys", keys, 1)?;
    if differing > keys {
        return Err(Error::out_of_range(
            "differing",
            differing,
            format!("must be at most the number of keys ({keys})"),
        ));
    }
    let depth = depth_for(keys, leaf_size)?;
    let mut rng = Stream::Scenario("crdt merkle", 0).rng(seed);
    let mut a: BTreeMap<u64, u64> = BTreeMap::new();
    while a.len() < keys {
        let k = rng.next_u64();
        let v = rng.next_u64();
        a.insert(k, v);
    }
    let mut b = a.clone();
    let all: Vec<u64> = a.keys().copied().collect();
    let mut idx: Vec<usize> = (0..keys).collect();
    rng.shuffle(&mut idx);
    for &i in idx.iter().take(differing) {
        if let Some(v) = b.get_mut(&all[i]) {
            *v = v.wrapping_add(1);
        }
    }
    diff(&RangeMerkle::build(&a, depth)?, &RangeMerkle::build(&b, depth)?)
}

/// [`anti_entropy`] for each number of differing keys in `differing` (same keys, same seed).
pub fn cost_vs_differences(
    keys: usize,
    differing: &[usize],
    leaf_size: usize,
    seed: u64,
) -> Result<Vec<(usize, SyncCost)>> {
    differing.iter().map(|&d| Ok((d, anti_entropy(keys, d, leaf_size, seed)?))).collect()
}
