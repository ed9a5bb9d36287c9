//! Rendezvous (highest-random-weight) hashing (Thaler & Ravishankar 1998).

use super::{already_member, key_hash, last_member, not_member, Elastic, Partitioner};
use crate::error::{validate, Error, Result};
use crate::sim::Stream;

/// The stream of node i's salt: `Stream::Scenario(SALTS, i)`.
const SALTS: &str = "partition rendezvous salts";

/// Rendezvous hashing: node i scores key x with w(i, x) = mix(salt_i ⊕ h(x)) and the key goes
/// to the highest score.
///
/// Removing a node moves exactly its keys (each to its second-highest scorer); adding one moves
/// exactly the keys it now wins. No ring, no tokens: a key's whole ranking of the nodes is its
/// replica list ([`Rendezvous::ranking`]). The price is O(n) hashes per lookup. Node i's salt
/// is the first number of the named stream `Stream::Scenario("partition rendezvous salts", i)`
/// of `seed`.
///
/// ```
/// use course_lib::partition::{Elastic, Partitioner, Rendezvous};
/// let mut p = Rendezvous::new(5, 3)?;
/// let before: Vec<usize> = (0..1_000).map(|k| p.node_of(k)).collect();
/// p.remove_node(2)?;
/// for (k, &b) in before.iter().enumerate() {
///     assert!(b == 2 || p.node_of(k as u64) == b); // only node 2's keys moved
/// }
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendezvous {
    /// Member ids, ascending.
    members: Vec<usize>,
    /// `salts[i]` is `members[i]`'s salt.
    salts: Vec<u64>,
    seed: u64,
}

impl Rendezvous {
    /// Nodes `0..nodes` (`nodes >= 1`), salts drawn from `seed`.
    pub fn new(nodes: usize, seed: u64) -> Result<Rendezvous> {
        validate::at_least("nodes", nodes, 1)?;
        Rendezvous::with_members(&(0..nodes).collect::<Vec<_>>(), seed)
    }

    /// The given node ids (non-empty, distinct, each below 2³²).
    pub fn with_members(ids: &[usize], seed: u64) -> Result<Rendezvous> {
        let members = super::check_members(ids, true)?;
        let mut salts = Vec::with_capacity(members.len());
        for &id in &members {
            salts.push(salt(seed, id)?);
        }
        Ok(Rendezvous { members, salts, seed })
    }

    /// The score of `members[i]` for a key hashed to `h`.
    #[inline]
    fn weight(&self, i: usize, h: u64) -> u64 {
        let mut s = self.salts[i] ^ h;
        crate::rng::splitmix64(&mut s)
    }

    /// The node with the highest score for `key` (ties, which need two equal 64-bit scores,
    /// go to the smaller id).
    pub fn owner(&self, key: u64) -> usize {
        let h = key_hash(key);
        let mut best = (0u64, 0usize);
        for i in 0..self.members.len() {
            let w = self.weight(i, h);
            if i == 0 || w > best.0 {
                best = (w, i);
            }
        }
        self.members[best.1]
    }

    /// The `r` highest-scoring nodes for `key`, best first (`1 <= r <= members`): the key's
    /// owner and its replicas.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for `r` = 0 or more than the members.
    pub fn ranking(&self, key: u64, r: usize) -> Result<Vec<usize>> {
        if r == 0 || r > self.members.len() {
            return Err(Error::out_of_range(
                "r",
                r,
                format!("must be between 1 and the number of nodes = {}", self.members.len()),
            ));
        }
        let h = key_hash(key);
        let mut scored: Vec<(u64, usize)> =
            (0..self.members.len()).map(|i| (self.weight(i, h), self.members[i])).collect();
        scored.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        Ok(scored.into_iter().take(r).map(|s| s.1).collect())
    }

    /// The seed the salts are drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

fn salt(seed: u64, id: usize) -> Result<u64> {
    if id as u64 > u64::from(u32::MAX) {
        return Err(Error::out_of_range("node id", id, "rendezvous node ids must be below 2³²"));
    }
    Ok(Stream::Scenario(SALTS, id as u64).rng(seed).next_u64())
}

impl Partitioner for Rendezvous {
    fn node_of(&self, key: u64) -> usize {
        self.owner(key)
    }
    fn members(&self) -> &[usize] {
        &self.members
    }
}

impl Elastic for Rendezvous {
    fn add_node(&mut self, id: usize) -> Result<()> {
        let at = match self.members.binary_search(&id) {
            Ok(_) => return Err(already_member(id)),
            Err(at) => at,
        };
        let s = salt(self.seed, id)?;
        self.members.insert(at, id);
        self.salts.insert(at, s);
        Ok(())
    }
    fn remove_node(&mut self, id: usize) -> Result<()> {
        let at = self.members.binary_search(&id).map_err(|_| not_member(id))?;
        if self.members.len() == 1 {
            return Err(last_member(id));
        }
        self.members.remove(at);
        self.salts.remove(at);
        Ok(())
    }
}
