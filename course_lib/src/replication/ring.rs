//! A consistent-hash ring with virtual nodes (Karger et al. 1997; Dynamo §4.2).
//!
//! Every member (a node or a shard) is hashed onto a circle of 2⁶⁴ positions `vnodes` times;
//! a key is hashed onto the same circle and belongs to the first member point clockwise from
//! it. A key's **preference list** is the first `k` *distinct* members clockwise: its replica
//! set in Dynamo. Adding or removing a member moves only the keys of the arcs next to its
//! points, about 1/m of them for m members, and virtual nodes even out the arc lengths
//! (the largest share falls towards the mean as the number of points per member grows).

use crate::error::{validate, Error, Result};

/// SplitMix64's finaliser: a fixed, portable 64-bit mixing function.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Position of `key` on the ring (a fixed hash: the same on every machine and every run).
pub fn key_position(key: u64) -> u64 {
    mix(key ^ 0x6B65_795F_7269_6E67)
}

/// Position of virtual node `v` of member `member`.
fn point_position(member: usize, v: usize) -> u64 {
    mix(mix(member as u64 ^ 0x6D65_6D62_6572_0000) ^ v as u64)
}

/// A consistent-hash ring over members identified by `usize` ids.
///
/// ```
/// use course_lib::replication::HashRing;
/// let ring = HashRing::new(5, 64)?;                 // members 0..5, 64 points each
/// let replicas = ring.preference_list(42, 3)?;      // the key's three replicas
/// assert_eq!(replicas[0], ring.owner(42));
/// assert_eq!(replicas.len(), 3);
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HashRing {
    /// (position, member), sorted by position.
    points: Vec<(u64, usize)>,
    /// Member ids, sorted.
    members: Vec<usize>,
    vnodes: usize,
}

impl HashRing {
    /// A ring of members `0..members` (`members >= 1`), each with `vnodes >= 1` points.
    pub fn new(members: usize, vnodes: usize) -> Result<Self> {
        validate::at_least("members", members, 1)?;
        Self::with_members(&(0..members).collect::<Vec<_>>(), vnodes)
    }

    /// A ring of the given member ids (non-empty, no duplicates), `vnodes >= 1` points each.
    pub fn with_members(ids: &[usize], vnodes: usize) -> Result<Self> {
        validate::at_least("vnodes", vnodes, 1)?;
        if ids.is_empty() {
            return Err(Error::empty("the list of ring members", "give at least one member"));
        }
        let mut ring = HashRing { points: Vec::new(), members: Vec::new(), vnodes };
        for &id in ids {
            ring.add_member(id)?;
        }
        Ok(ring)
    }

    /// Member ids, sorted.
    pub fn members(&self) -> &[usize] {
        &self.members
    }

    /// Points per member.
    pub fn vnodes(&self) -> usize {
        self.vnodes
    }

    /// Add member `id` (an error if it is already on the ring).
    pub fn add_member(&mut self, id: usize) -> Result<()> {
        if let Err(at) = self.members.binary_search(&id) {
            self.members.insert(at, id);
        } else {
            return Err(Error::invalid(
                "ring member",
                format!("member {id} is already on the ring"),
            ));
        }
        self.points.extend((0..self.vnodes).map(|v| (point_position(id, v), id)));
        self.points.sort_unstable();
        Ok(())
    }

    /// Remove member `id` (an error if it is not on the ring, or is the last member).
    pub fn remove_member(&mut self, id: usize) -> Result<()> {
        let at = self.members.binary_search(&id).map_err(|_| {
            Error::invalid("ring member", format!("member {id} is not on the ring"))
        })?;
        if self.members.len() == 1 {
            return Err(Error::invalid("ring", "cannot remove the last member"));
        }
        self.members.remove(at);
        self.points.retain(|&(_, m)| m != id);
        Ok(())
    }

    /// Index in `points` of the first point at or after `pos`, wrapping around.
    fn first_at_or_after(&self, pos: u64) -> usize {
        let i = self.points.partition_point(|&(p, _)| p < pos);
        if i == self.points.len() {
            0
        } else {
            i
        }
    }

    /// The member that owns `key`: the first point clockwise from the key's position.
    pub fn owner(&self, key: u64) -> usize {
        self.points[self.first_at_or_after(key_position(key))].1
    }

    /// The first `k` distinct members clockwise from `key` (`1 <= k <= members`): the key's
    /// replicas, owner first.
    pub fn preference_list(&self, key: u64, k: usize) -> Result<Vec<usize>> {
        if k == 0 || k > self.members.len() {
            return Err(Error::out_of_range(
                "k",
                k,
                format!(
                    "must be between 1 and the number of ring members = {}",
                    self.members.len()
                ),
            ));
        }
        let start = self.first_at_or_after(key_position(key));
        let mut out = Vec::with_capacity(k);
        for i in 0..self.points.len() {
            let m = self.points[(start + i) % self.points.len()].1;
            if !out.contains(&m) {
                out.push(m);
                if out.len() == k {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Fraction of the circle each member owns, as `(member, share)` in member order. The
    /// shares sum to 1.
    pub fn ownership(&self) -> Vec<(usize, f64)> {
        let mut share = vec![0.0f64; self.members.len()];
        let n = self.points.len();
        for i in 0..n {
            // the arc (points[i-1], points[i]] belongs to points[i]'s member
            let prev = self.points[(i + n - 1) % n].0;
            let arc = self.points[i].0.wrapping_sub(prev);
            let arc = if n == 1 { u64::MAX } else { arc };
            let m = self.members.binary_search(&self.points[i].1).expect("member of its own ring");
            share[m] += arc as f64 / 18_446_744_073_709_551_616.0;
        }
        self.members.iter().copied().zip(share).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_is_first_of_the_preference_list_and_lists_are_distinct() {
        let ring = HashRing::new(7, 16).unwrap();
        for key in 0..2_000u64 {
            let pl = ring.preference_list(key, 3).unwrap();
            assert_eq!(pl[0], ring.owner(key));
            assert!(pl[0] != pl[1] && pl[1] != pl[2] && pl[0] != pl[2]);
        }
        assert_eq!(ring.preference_list(5, 7).unwrap().len(), 7);
    }

    #[test]
    fn removing_a_member_moves_only_its_keys_and_adding_moves_about_one_over_m() {
        let ring = HashRing::new(10, 64).unwrap();
        let mut smaller = ring.clone();
        smaller.remove_member(3).unwrap();
        let keys = 0..20_000u64;
        for key in keys.clone() {
            if ring.owner(key) != 3 {
                assert_eq!(ring.owner(key), smaller.owner(key), "key {key} moved needlessly");
            }
        }
        // adding member 10: every key that moves, moves to the new member; about 1/11 move
        let mut bigger = ring.clone();
        bigger.add_member(10).unwrap();
        let mut moved = 0;
        for key in keys {
            if ring.owner(key) != bigger.owner(key) {
                assert_eq!(bigger.owner(key), 10);
                moved += 1;
            }
        }
        let frac = moved as f64 / 20_000.0;
        assert!((frac - 1.0 / 11.0).abs() < 0.03, "moved {frac}");
    }

    #[test]
    fn virtual_nodes_even_out_the_shares() {
        let max_share = |v| {
            let shares = HashRing::new(10, v).unwrap().ownership();
            let total: f64 = shares.iter().map(|s| s.1).sum();
            assert!((total - 1.0).abs() < 1e-9, "shares sum to {total}");
            shares.iter().map(|s| s.1).fold(0.0, f64::max)
        };
        let one = max_share(1);
        let many = max_share(256);
        // one point each: the largest of 10 arcs is ~ H₁₀/10 ≈ 0.29 on average
        assert!(one > 0.15, "{one}");
        assert!(many < 0.13, "{many}");
    }

    #[test]
    fn key_shares_follow_the_ring_shares() {
        let ring = HashRing::new(4, 8).unwrap();
        let mut counts = [0usize; 4];
        for key in 0..100_000u64 {
            counts[ring.owner(key)] += 1;
        }
        for (m, share) in ring.ownership() {
            let f = counts[m] as f64 / 100_000.0;
            assert!((f - share).abs() < 0.01, "member {m}: keys {f}, ring {share}");
        }
    }

    #[test]
    fn bad_input() {
        assert!(HashRing::new(0, 4).unwrap_err().to_string().starts_with("members = 0"));
        assert!(HashRing::new(3, 0).unwrap_err().to_string().starts_with("vnodes = 0"));
        let mut ring = HashRing::new(3, 4).unwrap();
        assert!(ring.preference_list(1, 4).unwrap_err().to_string().starts_with("k = 4"));
        assert!(ring.preference_list(1, 0).is_err());
        assert!(ring.add_member(2).is_err());
        assert!(ring.remove_member(9).is_err());
        ring.remove_member(0).unwrap();
        ring.remove_member(1).unwrap();
        assert!(ring.remove_member(2).is_err());
        assert!(HashRing::with_members(&[], 3).is_err());
    }
}
