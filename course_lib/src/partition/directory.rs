//! Directory-based partitioning: an explicit table from hash slots to nodes, its moves, and
//! clients that cache it.

use super::{already_member, key_hash, last_member, not_member, Elastic, Partitioner};
use crate::error::{validate, Error, Result};

/// One slot changing owner, the directory's unit of data movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotMove {
    /// The directory's version after the move.
    pub version: u64,
    /// The slot.
    pub slot: usize,
    /// Its owner before.
    pub from: usize,
    /// Its owner after.
    pub to: usize,
}

/// A directory: key → slot = h(key) mod Q, slot → node by an explicit table.
///
/// With Q fixed slots (Redis Cluster: 16 384; Dynamo §6.2's "strategy 3": Q equal-sized
/// partitions, Q/S per node), a join moves exactly the slots the directory chooses to move:
/// here the new node takes ⌊Q/(n + 1)⌋ slots, one at a time from whichever node holds the most,
/// so the movement is the minimum and every node ends with ⌊Q/n⌋ or ⌈Q/n⌉ slots. Every change
/// bumps the [`version`](Directory::version), and the move log ([`Directory::moves`]) is
/// what clients that cache the table must learn ([`CachedClient`]).
///
/// ```
/// use course_lib::partition::{Directory, Elastic};
/// let mut d = Directory::new(4, 1_024)?;           // slots 0..256 on node 0, …
/// assert_eq!(d.slot_counts(), vec![256; 4]);
/// d.add_node(4)?;                                   // takes ⌊1024/5⌋ = 204 slots
/// assert_eq!(d.moves().len(), 204);
/// let counts = d.slot_counts();
/// assert!(counts.iter().all(|&c| c == 204 || c == 205));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directory {
    /// `owner[s]` stores slot s.
    owner: Vec<usize>,
    /// Member ids, ascending.
    members: Vec<usize>,
    version: u64,
    log: Vec<SlotMove>,
}

/// Most slots a directory may have.
const MAX_SLOTS: usize = 1 << 24;

impl Directory {
    /// Nodes `0..nodes` over `slots` slots, in contiguous blocks: slot s on node ⌊s·n/Q⌋ (the
    /// way `redis-cli --cluster create` assigns them).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for 0 nodes, or slots outside 1..=2²⁴.
    pub fn new(nodes: usize, slots: usize) -> Result<Directory> {
        validate::at_least("nodes", nodes, 1)?;
        if slots == 0 || slots > MAX_SLOTS {
            return Err(Error::out_of_range(
                "slots",
                slots,
                format!("must be between 1 and {MAX_SLOTS}"),
            ));
        }
        let owner = (0..slots).map(|s| (s as u128 * nodes as u128 / slots as u128) as usize);
        Ok(Directory {
            owner: owner.collect(),
            members: (0..nodes).collect(),
            version: 0,
            log: Vec::new(),
        })
    }

    /// The slot of `key`: h(key) mod Q.
    pub fn slot_of(&self, key: u64) -> usize {
        (key_hash(key) % self.owner.len() as u64) as usize
    }

    /// The node that stores `slot`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a slot ≥ Q.
    pub fn owner_of_slot(&self, slot: usize) -> Result<usize> {
        self.check_slot(slot)?;
        Ok(self.owner[slot])
    }

    fn check_slot(&self, slot: usize) -> Result<()> {
        if slot >= self.owner.len() {
            return Err(Error::out_of_range(
                "slot",
                slot,
                format!("the directory has slots 0..{}", self.owner.len()),
            ));
        }
        Ok(())
    }

    /// Number of slots Q.
    pub fn slots(&self) -> usize {
        self.owner.len()
    }

    /// The version: the number of moves so far.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Every move, oldest first.
    pub fn moves(&self) -> &[SlotMove] {
        &self.log
    }

    /// The moves after version `v` (what a client that last read version `v` missed).
    pub fn moves_since(&self, v: u64) -> &[SlotMove] {
        let from = self.log.partition_point(|m| m.version <= v);
        &self.log[from..]
    }

    /// Slots per node, in member order.
    pub fn slot_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.members.len()];
        for &o in &self.owner {
            counts[self.rank(o)] += 1;
        }
        counts
    }

    fn rank(&self, id: usize) -> usize {
        self.members.binary_search(&id).expect("slot owners are members")
    }

    /// Moves `slot` to node `to` (a no-op if it is already there).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] for a slot ≥ Q; [`Error::Invalid`] if `to` is not a member.
    pub fn move_slot(&mut self, slot: usize, to: usize) -> Result<()> {
        self.check_slot(slot)?;
        if self.members.binary_search(&to).is_err() {
            return Err(not_member(to));
        }
        let from = self.owner[slot];
        if from != to {
            self.owner[slot] = to;
            self.version += 1;
            self.log.push(SlotMove { version: self.version, slot, from, to });
        }
        Ok(())
    }
}

impl Partitioner for Directory {
    fn node_of(&self, key: u64) -> usize {
        self.owner[self.slot_of(key)]
    }
    fn members(&self) -> &[usize] {
        &self.members
    }
}

impl Elastic for Directory {
    /// `id` joins and takes ⌊Q/(n + 1)⌋ slots: each from the node holding the most (the
    /// smallest id on ties), that node's highest-numbered slot.
    fn add_node(&mut self, id: usize) -> Result<()> {
        let at = match self.members.binary_search(&id) {
            Ok(_) => return Err(already_member(id)),
            Err(at) => at,
        };
        self.members.insert(at, id);
        let target = self.owner.len() / self.members.len();
        let mut counts = self.slot_counts();
        // each member's slots, ascending, so a donor gives away its highest-numbered one
        let mut held: Vec<Vec<usize>> = vec![Vec::new(); self.members.len()];
        for (s, &o) in self.owner.iter().enumerate() {
            held[self.rank(o)].push(s);
        }
        for _ in 0..target {
            let donor = (0..counts.len())
                .filter(|&i| i != at)
                .max_by(|&a, &b| counts[a].cmp(&counts[b]).then(b.cmp(&a)))
                .expect("another member");
            let slot = held[donor].pop().expect("the donor holds the most slots");
            counts[donor] -= 1;
            counts[at] += 1;
            self.move_slot(slot, id)?;
        }
        Ok(())
    }

    /// `id` leaves; each of its slots, in ascending order, goes to the node holding the fewest
    /// (the smallest id on ties).
    fn remove_node(&mut self, id: usize) -> Result<()> {
        let at = self.members.binary_search(&id).map_err(|_| not_member(id))?;
        if self.members.len() == 1 {
            return Err(last_member(id));
        }
        let mut counts = self.slot_counts();
        counts[at] = usize::MAX;
        let orphans: Vec<usize> = (0..self.owner.len()).filter(|&s| self.owner[s] == id).collect();
        for slot in orphans {
            let heir = (0..counts.len()).min_by_key(|&i| (counts[i], i)).expect("a member");
            counts[heir] += 1;
            let to = self.members[heir];
            self.move_slot(slot, to)?;
        }
        self.members.remove(at);
        Ok(())
    }
}

/// Where a [`CachedClient`] sent a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The node that finally served it.
    pub node: usize,
    /// Network hops: 1 when the cached entry was right, 2 when the node it named answered
    /// "moved" (Redis Cluster's `MOVED` redirect) and the client went to the owner.
    pub hops: u32,
    /// The cached node was no longer a member: the client reloaded the whole table.
    pub reloaded: bool,
}

/// A client with its own copy of a [`Directory`]'s slot table, as Redis Cluster clients keep.
///
/// It sends each request to the node its copy names. If the slot has moved since, that node
/// answers "moved, ask n7" and the client updates that one entry (one extra hop). If the node
/// it names has left the cluster, there is nobody to answer: the client reloads the whole table.
/// Caching makes every lookup local, and correctness still rests with the nodes, which know
/// which slots they own.
///
/// ```
/// use course_lib::partition::{CachedClient, Directory, Elastic};
/// let mut d = Directory::new(3, 12)?;
/// let mut client = CachedClient::new(&d);
/// let key = 5;
/// let first = client.route(key, &d);
/// assert_eq!(first.hops, 1);
/// let slot = d.slot_of(key);
/// let other = (first.node + 1) % 3;
/// d.move_slot(slot, other)?;                       // the client's copy is now stale
/// assert_eq!(client.route(key, &d).hops, 2);      // one redirect …
/// assert_eq!(client.route(key, &d).hops, 1);      // … and the entry is fixed
/// assert_eq!(client.redirects(), 1);
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedClient {
    table: Vec<usize>,
    version: u64,
    requests: u64,
    redirects: u64,
    reloads: u64,
}

impl CachedClient {
    /// A client that has just read the whole table of `dir`.
    pub fn new(dir: &Directory) -> CachedClient {
        CachedClient {
            table: dir.owner.clone(),
            version: dir.version,
            requests: 0,
            redirects: 0,
            reloads: 0,
        }
    }

    /// Sends a request for `key`, following at most one redirect or reloading the table.
    ///
    /// # Panics
    /// If `dir` has a different number of slots than the directory this client was made from.
    pub fn route(&mut self, key: u64, dir: &Directory) -> Route {
        assert_eq!(self.table.len(), dir.slots(), "a client of another directory");
        self.requests += 1;
        let slot = dir.slot_of(key);
        let cached = self.table[slot];
        let owner = dir.owner[slot];
        if cached == owner {
            Route { node: owner, hops: 1, reloaded: false }
        } else if dir.members.binary_search(&cached).is_ok() {
            self.redirects += 1;
            self.table[slot] = owner;
            Route { node: owner, hops: 2, reloaded: false }
        } else {
            self.reloads += 1;
            self.table.clone_from(&dir.owner);
            self.version = dir.version;
            Route { node: owner, hops: 2, reloaded: true }
        }
    }

    /// Requests routed so far.
    pub fn requests(&self) -> u64 {
        self.requests
    }

    /// Requests that needed a redirect.
    pub fn redirects(&self) -> u64 {
        self.redirects
    }

    /// Requests that found their node gone and reloaded the table.
    pub fn reloads(&self) -> u64 {
        self.reloads
    }

    /// The directory version of the client's last full reload.
    pub fn version(&self) -> u64 {
        self.version
    }
}
