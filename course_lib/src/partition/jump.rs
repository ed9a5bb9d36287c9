//! Jump consistent hash (Lamping & Veach 2014).

use super::{already_member, key_hash, last_member, not_member, Elastic, Partitioner};
use crate::error::{validate, Error, Result};

/// The bucket in `0..buckets` of `key`: jump consistent hash, bit-exact with the C++ code of
/// Lamping & Veach (2014), Figure 1:
///
/// ```text
/// int32_t JumpConsistentHash(uint64_t key, int32_t num_buckets) {
///     int64_t b = -1, j = 0;
///     while (j < num_buckets) {
///         b = j;
///         key = key * 2862933555777941757ULL + 1;
///         j = (b + 1) * (double(1LL << 31) / double((key >> 33) + 1));
///     }
///     return b;
/// }
/// ```
///
/// The 64-bit linear congruential step is a pseudo-random generator seeded by the key;
/// `(key >> 33) + 1` is a uniform integer in 1..=2³¹, so `j` is where the key jumps next
/// (each step lands on bucket count j + 1 with the right probability), and the loop runs
/// O(ln buckets) times. `key` should already be a hash (the paper's keys are 64-bit hashes; the
/// [`JumpHash`] placement applies [`key_hash`] first). Two guarantees, both tested: the result
/// is below `buckets`, and when `buckets` grows by one a key either stays or moves to the new
/// bucket.
///
/// ```
/// use course_lib::partition::jump_hash;
/// assert_eq!(jump_hash(0, 1)?, 0);
/// let b = jump_hash(123_456_789, 1_000)?;
/// assert!(b < 1_000);
/// // one bucket more: stay, or move to the new one
/// let c = jump_hash(123_456_789, 1_001)?;
/// assert!(c == b || c == 1_000);
/// assert!(jump_hash(1, 0).is_err());
/// # Ok::<(), course_lib::Error>(())
/// ```
///
/// # Errors
/// [`Error::OutOfRange`] for 0 buckets.
pub fn jump_hash(key: u64, buckets: u32) -> Result<u32> {
    if buckets == 0 {
        return Err(Error::out_of_range("buckets", 0, "jump hash needs at least 1 bucket"));
    }
    Ok(jump(key, buckets))
}

/// [`jump_hash`] for `buckets >= 1`.
#[inline]
pub(crate) fn jump(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < i64::from(buckets) {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        // (b + 1) ≤ 2³², the quotient ≤ 2³¹: the product is below 2⁶³ and the cast truncates
        // toward zero, as C++'s double → int64 conversion does
        j = ((b + 1) as f64 * ((1i64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

/// Jump hash as a placement: bucket b = jump(h(key), n) is served by `members[b]`.
///
/// A join appends a bucket. A leave can only drop the *last* bucket without moving other keys;
/// when another node leaves, the last node takes over its bucket number (so the numbering
/// stays 0..n − 1), which moves the leaving node's keys *and* the last bucket's: about 2/n of
/// the keys instead of 1/n.
///
/// ```
/// use course_lib::partition::{Elastic, JumpHash, Partitioner};
/// let mut p = JumpHash::new(5)?;
/// p.remove_node(1)?;                     // node 4 takes over bucket 1
/// assert_eq!(p.members(), &[0, 4, 2, 3]);
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JumpHash {
    members: Vec<usize>,
}

impl JumpHash {
    /// Buckets `0..nodes`, bucket i on node i (`1 <= nodes < 2³²`).
    pub fn new(nodes: usize) -> Result<JumpHash> {
        validate::at_least("nodes", nodes, 1)?;
        JumpHash::with_members(&(0..nodes).collect::<Vec<_>>())
    }

    /// Bucket i on node `ids[i]`.
    pub fn with_members(ids: &[usize]) -> Result<JumpHash> {
        let members = super::check_members(ids, false)?;
        if u32::try_from(members.len()).is_err() {
            return Err(Error::out_of_range("nodes", members.len(), "jump hash allows < 2³²"));
        }
        Ok(JumpHash { members })
    }
}

impl Partitioner for JumpHash {
    fn node_of(&self, key: u64) -> usize {
        self.members[jump(key_hash(key), self.members.len() as u32) as usize]
    }
    fn members(&self) -> &[usize] {
        &self.members
    }
}

impl Elastic for JumpHash {
    /// `id` gets the next bucket number.
    fn add_node(&mut self, id: usize) -> Result<()> {
        if self.members.contains(&id) {
            return Err(already_member(id));
        }
        if u32::try_from(self.members.len() + 1).is_err() {
            return Err(Error::out_of_range("nodes", self.members.len() + 1, "must be < 2³²"));
        }
        self.members.push(id);
        Ok(())
    }
    /// The last bucket is dropped; if `id` was not the last node, the last node takes over
    /// `id`'s bucket number.
    fn remove_node(&mut self, id: usize) -> Result<()> {
        let at = self.members.iter().position(|&m| m == id).ok_or_else(|| not_member(id))?;
        if self.members.len() == 1 {
            return Err(last_member(id));
        }
        self.members.swap_remove(at);
        Ok(())
    }
}
