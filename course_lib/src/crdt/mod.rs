//! # Eventual consistency and CRDTs
//!
//! A replicated object is **eventually consistent** when replicas that have received the same
//! updates are in the same state, whatever order the updates (and the messages carrying them)
//! arrived in. The replicas accept writes without coordinating (so they stay available during
//! a partition, the A of CAP) and reconcile afterwards. Two questions follow: *how do we know
//! two writes conflict*, and *what do we keep when they do*.
//!
//! **Version vectors** answer the first. A version vector has one entry per replica; a write
//! at replica $i$ merges the vectors it has seen and increments entry $i$. Write $a$ happened
//! before $b$ iff $V_a \le V_b$ entrywise and $V_a \ne V_b$; if neither is $\le$ the other they
//! are **concurrent**, a true conflict. The crate has one vector clock,
//! [`crate::clock::VectorClock`]; here it is re-exported as [`VersionVector`].
//!
//! **Conflict resolution** answers the second. *Last writer wins* ([`LwwRegister`]) keeps the
//! write with the largest timestamp and silently drops the others: with skewed physical
//! clocks it can even drop a write that *saw* the winner. *Siblings* ([`MvRegister`], Dynamo's
//! and Riak's choice) keep every concurrent write and let the application reconcile them
//! (Dynamo's shopping cart takes the union, and a deleted item can come back: DeCandia et al.
//! 2007, §4.4). [`cart`] counts both losses on seeded scenarios with skewed clocks.
//!
//! **CRDTs** (Shapiro, Preguiça, Baquero, Zawirski 2011) make the conflict resolution part of
//! the data type. A *state-based* CRDT (CvRDT) has a merge that is the least upper bound of a
//! join semilattice:
//!
//! $$a \sqcup b = b \sqcup a, \qquad (a \sqcup b) \sqcup c = a \sqcup (b \sqcup c), \qquad
//!   a \sqcup a = a,$$
//!
//! and updates only move a state up the lattice. Then any gossip pattern that eventually
//! delivers every state to every replica converges (RR-7506 Proposition 2.1). [`check_laws`]
//! tests exactly these laws on random reachable states of *any* type implementing [`Crdt`],
//! plus convergence under random merge orders; it catches a merge that sums counters.
//!
//! | type | RR-7506 | state | merge |
//! |---|---|---|---|
//! | [`GCounter`] | Specification 6 | one count per replica | entrywise max |
//! | [`PNCounter`] | Specification 7 | two G-counters, P and N | merge both |
//! | [`LwwRegister`] | Specification 8 | value, timestamp, replica | larger (timestamp, replica) |
//! | [`MvRegister`] | Specification 10 | values with version vectors | keep the maximal ones |
//! | [`OrSet`] | §3.3.5, Specification 15 (op-based); state-based as Bieniusa et al. 2012 | (element, tag) entries + a version vector | keep common entries and those the other side has not seen |
//!
//! The OR-set (observed-remove set) tags every add with a unique **dot** $(r, c)$: replica $r$'s
//! $c$-th add. A remove deletes the dots it has *observed*; an add concurrent with the remove
//! carries a dot the remover never saw, so it survives: **add wins**. The version vector is the
//! set of dots a replica has seen, so no tombstones are kept (the "optimized OR-set" of
//! Bieniusa, Zawirski, Preguiça, Shapiro, Baquero, Balegas, Duarte 2012). Dots are unique only
//! if replica ids are: two replicas that share an id mint the same dot for different
//! elements, which [`OrSet::try_merge`] detects and reports (and [`unique_replicas`] rejects up
//! front). [`gossip`] runs replicas on the harness, with a partition that heals;
//! [`merkle`] counts what anti-entropy with Merkle trees exchanges.
//!
//! ```
//! use course_lib::crdt::*;
//! let (mut a, mut b) = (OrSet::new(0), OrSet::new(1));
//! a.add("milk");
//! b.merge(&a);
//! b.remove(&"milk"); // b observed a's add and removes it ...
//! a.add("milk"); // ... while a adds it again, concurrently
//! a.merge(&b);
//! b.merge(&a);
//! assert!(a.contains(&"milk") && a == b); // add wins, and both agree
//! ```
//!
//! ## Reading
//! * M. Shapiro, N. Preguiça, C. Baquero, M. Zawirski, "A comprehensive study of Convergent and
//!   Commutative Replicated Data Types", INRIA RR-7506, 2011 (§2.2 state-based, Specifications
//!   6, 7, 8, 10, 15).
//! * A. Bieniusa et al., "An optimized conflict-free replicated set", arXiv:1210.3368, 2012.
//! * G. DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store", SOSP 2007 (§4.4
//!   vector clocks and the shopping cart, §4.7 Merkle-tree anti-entropy).
//! * M. Kleppmann, *Designing Data-Intensive Applications*, ch. 5 "Detecting Concurrent Writes".

pub mod cart;
pub mod gossip;
pub mod merkle;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Debug};

pub use crate::clock::Causality;
/// A version vector: the crate's [`crate::clock::VectorClock`] (`merge`, `compare`,
/// `happened_before`, `concurrent_with`), under the name replicated stores use.
pub use crate::clock::VectorClock as VersionVector;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::Stream;

/// The largest number of replicas (ids `0..MAX_REPLICAS`) of a type that keeps a version
/// vector ([`OrSet`], [`MvRegister`]): a vector has one entry per id.
pub const MAX_REPLICAS: usize = 1 << 16;

/// A state-based CRDT: `merge` must be commutative, associative and idempotent (check it with
/// [`check_laws`]). Equality compares the replicated state, not which replica holds it.
pub trait Crdt: Clone + PartialEq + Debug {
    /// Merge `other`'s state into this one (the least upper bound).
    fn merge(&mut self, other: &Self);
}

/// Ids for replicas, checked: every id must be distinct (a CRDT's unique tags are made of
/// them) and below [`MAX_REPLICAS`].
pub fn unique_replicas(ids: &[usize]) -> Result<Vec<usize>> {
    let mut seen = BTreeSet::new();
    for &id in ids {
        if id >= MAX_REPLICAS {
            return Err(Error::out_of_range(
                "replica id",
                id,
                format!("must be below {MAX_REPLICAS}"),
            ));
        }
        if !seen.insert(id) {
            return Err(Error::invalid(
                "replica ids",
                format!(
                    "id {id} is used twice: every replica needs its own id, or two replicas \
                     mint the same unique tag (replica, counter) for different updates"
                ),
            ));
        }
    }
    Ok(ids.to_vec())
}

fn check_replica(replica: usize) -> Result<usize> {
    if replica < MAX_REPLICAS {
        Ok(replica)
    } else {
        Err(Error::out_of_range("replica", replica, format!("must be below {MAX_REPLICAS}")))
    }
}

// ---------------------------------------------------------------------------------------------
// Counters

/// Grow-only counter (RR-7506 Specification 6): entry $r$ counts replica $r$'s increments;
/// the value is the sum, merge is the entrywise maximum.
#[derive(Clone, Debug)]
pub struct GCounter {
    replica: usize,
    counts: BTreeMap<usize, u64>,
}

impl GCounter {
    /// A zero counter held by `replica`.
    pub fn new(replica: usize) -> GCounter {
        GCounter { replica, counts: BTreeMap::new() }
    }

    /// The replica that holds this copy.
    pub fn replica(&self) -> usize {
        self.replica
    }

    /// Add `n` (saturating at `u64::MAX`).
    pub fn increment(&mut self, n: u64) {
        if n > 0 {
            let c = self.counts.entry(self.replica).or_insert(0);
            *c = c.saturating_add(n);
        }
    }

    /// The sum over replicas (saturating).
    pub fn value(&self) -> u64 {
        self.counts.values().fold(0u64, |a, &b| a.saturating_add(b))
    }

    /// Replica `r`'s entry.
    pub fn entry(&self, r: usize) -> u64 {
        self.counts.get(&r).copied().unwrap_or(0)
    }

    /// Number of nonzero entries (the state's size).
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// No replica has incremented.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

impl PartialEq for GCounter {
    fn eq(&self, other: &Self) -> bool {
        self.counts == other.counts
    }
}

impl Crdt for GCounter {
    fn merge(&mut self, other: &Self) {
        for (&r, &c) in &other.counts {
            let e = self.counts.entry(r).or_insert(0);
            *e = (*e).max(c);
        }
    }
}

/// Increment/decrement counter (RR-7506 Specification 7): a G-counter of increments and one of
/// decrements; the value is their difference.
#[derive(Clone, Debug, PartialEq)]
pub struct PNCounter {
    p: GCounter,
    n: GCounter,
}

impl PNCounter {
    /// A zero counter held by `replica`.
    pub fn new(replica: usize) -> PNCounter {
        PNCounter { p: GCounter::new(replica), n: GCounter::new(replica) }
    }

    /// Add `n`.
    pub fn increment(&mut self, n: u64) {
        self.p.increment(n);
    }

    /// Subtract `n`.
    pub fn decrement(&mut self, n: u64) {
        self.n.increment(n);
    }

    /// Increments minus decrements (clamped to the `i64` range).
    pub fn value(&self) -> i64 {
        let v = self.p.value() as i128 - self.n.value() as i128;
        v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
}

impl Crdt for PNCounter {
    fn merge(&mut self, other: &Self) {
        self.p.merge(&other.p);
        self.n.merge(&other.n);
    }
}

// ---------------------------------------------------------------------------------------------
// Registers

/// Last-writer-wins register (RR-7506 Specification 8): keeps the write with the largest
/// timestamp; equal timestamps are broken by the higher replica id. The others are dropped
/// silently, which is what [`cart`] measures.
#[derive(Clone, Debug)]
pub struct LwwRegister<T> {
    replica: usize,
    current: Option<(u64, usize, T)>,
}

impl<T: Clone + PartialEq + Debug> LwwRegister<T> {
    /// An empty register held by `replica`.
    pub fn new(replica: usize) -> LwwRegister<T> {
        LwwRegister { replica, current: None }
    }

    /// Write `value` stamped `timestamp` (this replica's clock). A write whose
    /// (timestamp, replica) is not larger than the current one's is lost, as in LWW.
    pub fn set(&mut self, value: T, timestamp: u64) {
        let stamp = (timestamp, self.replica);
        if !matches!(&self.current, Some((t, r, _)) if stamp <= (*t, *r)) {
            self.current = Some((timestamp, self.replica, value));
        }
    }

    /// The value of the winning write, if any.
    pub fn get(&self) -> Option<&T> {
        self.current.as_ref().map(|(_, _, v)| v)
    }

    /// The winning write's (timestamp, replica).
    pub fn stamp(&self) -> Option<(u64, usize)> {
        self.current.as_ref().map(|(t, r, _)| (*t, *r))
    }

    /// [`Crdt::merge`], but an error when both sides hold *different* values with the same
    /// (timestamp, replica): two replicas share an id (or one replica wrote twice in one tick),
    /// and the outcome would depend on the merge order.
    pub fn try_merge(&mut self, other: &Self) -> Result<()> {
        if let (Some((t, r, a)), Some((t2, r2, b))) = (&self.current, &other.current) {
            if (t, r) == (t2, r2) && a != b {
                return Err(Error::invalid(
                    "LWW merge",
                    format!(
                        "two different values carry the same stamp (timestamp {t}, replica {r}): \
                         replica ids must be unique and a replica's timestamps must increase"
                    ),
                ));
            }
        }
        self.merge(other);
        Ok(())
    }
}

impl<T: PartialEq> PartialEq for LwwRegister<T> {
    fn eq(&self, other: &Self) -> bool {
        self.current == other.current
    }
}

impl<T: Clone + PartialEq + Debug> Crdt for LwwRegister<T> {
    fn merge(&mut self, other: &Self) {
        if let Some((t, r, v)) = &other.current {
            if !matches!(&self.current, Some((t0, r0, _)) if (*t, *r) <= (*t0, *r0)) {
                self.current = Some((*t, *r, v.clone()));
            }
        }
    }
}

/// Multi-value register (RR-7506 Specification 10; Dynamo's siblings): every write carries a
/// version vector; merge keeps the writes no other write happened after. Concurrent writes
/// all survive as siblings until a write that has seen them all replaces them.
#[derive(Clone, Debug)]
pub struct MvRegister<T> {
    replica: usize,
    entries: Vec<(T, VersionVector)>,
}

impl<T: Clone + PartialEq + Debug> MvRegister<T> {
    /// An empty register held by `replica` (ids below [`MAX_REPLICAS`]; see
    /// [`MvRegister::try_new`]).
    ///
    /// # Panics
    /// If `replica >= MAX_REPLICAS` (its version vector would have that many entries).
    pub fn new(replica: usize) -> MvRegister<T> {
        match MvRegister::try_new(replica) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`MvRegister::new`], with an error for a replica id of [`MAX_REPLICAS`] or more.
    pub fn try_new(replica: usize) -> Result<MvRegister<T>> {
        Ok(MvRegister { replica: check_replica(replica)?, entries: Vec::new() })
    }

    /// Write `value`, replacing every sibling this replica has seen.
    pub fn set(&mut self, value: T) {
        let mut vv = VersionVector::new(0);
        for (_, v) in &self.entries {
            vv.merge(v);
        }
        vv.tick(self.replica);
        self.entries = vec![(value, vv)];
    }

    /// The siblings: the values of the concurrent writes that no write has replaced.
    pub fn values(&self) -> Vec<&T> {
        self.entries.iter().map(|(v, _)| v).collect()
    }

    /// The siblings with their version vectors.
    pub fn entries(&self) -> &[(T, VersionVector)] {
        &self.entries
    }
}

impl<T: PartialEq> PartialEq for MvRegister<T> {
    fn eq(&self, other: &Self) -> bool {
        let covered = |a: &[(T, VersionVector)], b: &[(T, VersionVector)]| {
            a.iter().all(|(x, v)| b.iter().any(|(y, w)| x == y && v.compare(w) == Causality::Equal))
        };
        self.entries.len() == other.entries.len()
            && covered(&self.entries, &other.entries)
            && covered(&other.entries, &self.entries)
    }
}

impl<T: Clone + PartialEq + Debug> Crdt for MvRegister<T> {
    fn merge(&mut self, other: &Self) {
        let mut all: Vec<(T, VersionVector)> = Vec::new();
        for (x, v) in self.entries.iter().chain(&other.entries) {
            let dominated =
                self.entries.iter().chain(&other.entries).any(|(_, w)| v.happened_before(w));
            let dup = all.iter().any(|(_, w)| v.compare(w) == Causality::Equal);
            if !dominated && !dup {
                all.push((x.clone(), v.clone()));
            }
        }
        self.entries = all;
    }
}

// ---------------------------------------------------------------------------------------------
// OR-set

/// A unique tag of one add: replica `r`'s `c`-th add.
pub type Dot = (usize, u64);

/// Observed-remove set, add wins (RR-7506 §3.3.5; state-based without tombstones as Bieniusa
/// et al. 2012): entries (element, dot) plus a version vector of the dots seen. Merge keeps
/// the dots both sides have, and the dots one side has that the other has not *seen* (a dot
/// seen and absent was removed).
#[derive(Clone, Debug)]
pub struct OrSet<T: Ord> {
    replica: usize,
    entries: BTreeMap<T, BTreeSet<Dot>>,
    seen: VersionVector,
}

impl<T: Ord + Clone + Debug> OrSet<T> {
    /// An empty set held by `replica`.
    ///
    /// # Panics
    /// If `replica >= MAX_REPLICAS` (use [`OrSet::try_new`] for an error instead).
    pub fn new(replica: usize) -> OrSet<T> {
        match OrSet::try_new(replica) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`OrSet::new`], with an error for a replica id of [`MAX_REPLICAS`] or more.
    pub fn try_new(replica: usize) -> Result<OrSet<T>> {
        Ok(OrSet {
            replica: check_replica(replica)?,
            entries: BTreeMap::new(),
            seen: VersionVector::new(0),
        })
    }

    /// Add `x` with a fresh dot (replica, counter).
    pub fn add(&mut self, x: T) {
        self.seen.tick(self.replica);
        let dot = (self.replica, self.seen.get(self.replica));
        self.entries.entry(x).or_default().insert(dot);
    }

    /// Remove `x`: the dots of `x` this replica has observed. Concurrent adds elsewhere survive.
    pub fn remove(&mut self, x: &T) {
        self.entries.remove(x);
    }

    /// Is `x` in the set?
    pub fn contains(&self, x: &T) -> bool {
        self.entries.contains_key(x)
    }

    /// The elements, in order.
    pub fn elements(&self) -> Vec<&T> {
        self.entries.keys().collect()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The version vector of dots this replica has seen.
    pub fn seen(&self) -> &VersionVector {
        &self.seen
    }

    /// The dots of `x` (empty if absent).
    pub fn dots(&self, x: &T) -> Vec<Dot> {
        self.entries.get(x).map(|d| d.iter().copied().collect()).unwrap_or_default()
    }

    /// [`Crdt::merge`], but first checks that no dot tags two different elements: that happens
    /// only when two replicas share an id, and the merge would then lose one of the adds.
    pub fn try_merge(&mut self, other: &Self) -> Result<()> {
        let mut mine: BTreeMap<Dot, &T> = BTreeMap::new();
        for (x, dots) in &self.entries {
            for d in dots {
                mine.insert(*d, x);
            }
        }
        for (y, dots) in &other.entries {
            for d in dots {
                if let Some(x) = mine.get(d) {
                    if *x != y {
                        return Err(Error::invalid(
                            "OR-set merge",
                            format!(
                                "dot (replica {}, counter {}) tags both {x:?} and {y:?}: two \
                                 replicas share id {}; every replica needs a unique id",
                                d.0, d.1, d.0
                            ),
                        ));
                    }
                }
            }
        }
        self.merge(other);
        Ok(())
    }
}

impl<T: Ord> PartialEq for OrSet<T> {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries && self.seen.compare(&other.seen) == Causality::Equal
    }
}

impl<T: Ord + Clone + Debug> Crdt for OrSet<T> {
    fn merge(&mut self, other: &Self) {
        let seen = |vv: &VersionVector, d: &Dot| d.1 <= vv.get(d.0);
        let mut out: BTreeMap<T, BTreeSet<Dot>> = BTreeMap::new();
        // Both are sorted by element: one merge-join pass.
        let mut a = std::mem::take(&mut self.entries).into_iter().peekable();
        let mut b = other.entries.iter().peekable();
        loop {
            let order = match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((x, _)), Some((y, _))) => x.cmp(y),
            };
            let (x, dots): (T, BTreeSet<Dot>) = match order {
                std::cmp::Ordering::Less => {
                    let (x, da) = a.next().expect("peeked");
                    let keep = da.into_iter().filter(|d| !seen(&other.seen, d)).collect();
                    (x, keep)
                }
                std::cmp::Ordering::Greater => {
                    let (y, db) = b.next().expect("peeked");
                    (y.clone(), db.iter().filter(|d| !seen(&self.seen, d)).copied().collect())
                }
                std::cmp::Ordering::Equal => {
                    let (x, da) = a.next().expect("peeked");
                    let (_, db) = b.next().expect("peeked");
                    let mut keep: BTreeSet<Dot> = BTreeSet::new();
                    for d in &da {
                        if db.contains(d) || !seen(&other.seen, d) {
                            keep.insert(*d);
                        }
                    }
                    for d in db {
                        if !seen(&self.seen, d) {
                            keep.insert(*d);
                        }
                    }
                    (x, keep)
                }
            };
            if !dots.is_empty() {
                out.insert(x, dots);
            }
        }
        self.entries = out;
        self.seen.merge(&other.seen);
    }
}

// ---------------------------------------------------------------------------------------------
// The laws

/// What [`check_laws`] found: how many random states and merge patterns it tried, and the
/// first law each failure broke, with the states that break it.
#[derive(Clone, Debug, PartialEq)]
pub struct LawReport {
    /// Trials run (each: three replicas, random updates and merges, then every check).
    pub trials: u64,
    /// One line per failed check (at most one per law), naming the trial.
    pub failures: Vec<String>,
}

impl LawReport {
    /// No law failed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// `Ok(())` or the failures as one message (for a notebook check's `?`).
    pub fn ok(&self) -> std::result::Result<(), String> {
        if self.passed() {
            Ok(())
        } else {
            Err(self.failures.join("; "))
        }
    }
}

impl fmt::Display for LawReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.passed() {
            write!(
                f,
                "{} trials: merge commutative, associative, idempotent; replicas converge",
                self.trials
            )
        } else {
            write!(f, "{} trials, {} law(s) broken:", self.trials, self.failures.len())?;
            for l in &self.failures {
                write!(f, "\n  {l}")?;
            }
            Ok(())
        }
    }
}

fn short<C: Debug>(c: &C) -> String {
    let s = format!("{c:?}");
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

/// Checks a CRDT's laws on random reachable states: in each of `trials` trials, three
/// replicas `make(0)`, `make(1)`, `make(2)` take 12 random steps (an `update(&mut state, rng)`
/// or a merge of another replica's state), then merge must be **idempotent** ($a \sqcup a =
/// a$), **commutative** and **associative** on their states, and replicas that exchange states
/// in two different random orders until each has seen all must end **equal**. Randomness:
/// `Stream::Trial(k)` of `seed`. A panic in `update` or `merge` is not caught (wrap the call in
/// [`crate::grade::check_fn`] in a notebook).
pub fn check_laws<C: Crdt>(
    make: impl Fn(usize) -> C,
    update: impl Fn(&mut C, &mut SimRng),
    trials: u64,
    seed: u64,
) -> Result<LawReport> {
    validate::at_least("trials", trials as usize, 1)?;
    let mut fails: BTreeMap<&'static str, String> = BTreeMap::new();
    for k in 0..trials {
        let mut rng = Stream::Trial(k).rng(seed);
        let mut reps: Vec<C> = (0..3).map(&make).collect();
        for _ in 0..12 {
            let i = rng.below(3) as usize;
            if rng.uniform() < 0.7 {
                update(&mut reps[i], &mut rng);
            } else {
                let j = rng.below(3) as usize;
                let other = reps[j].clone();
                reps[i].merge(&other);
            }
        }
        let (a, b, c) = (&reps[0], &reps[1], &reps[2]);
        let m = |x: &C, y: &C| {
            let mut z = x.clone();
            z.merge(y);
            z
        };
        if m(a, a) != *a {
            fails.entry("idempotent").or_insert_with(|| {
                format!("not idempotent (trial {k}): a = {}, a ⊔ a = {}", short(a), short(&m(a, a)))
            });
        }
        if m(a, b) != m(b, a) {
            fails.entry("commutative").or_insert_with(|| {
                format!(
                    "not commutative (trial {k}): a ⊔ b = {}, b ⊔ a = {}",
                    short(&m(a, b)),
                    short(&m(b, a))
                )
            });
        }
        if m(&m(a, b), c) != m(a, &m(b, c)) {
            fails.entry("associative").or_insert_with(|| {
                format!(
                    "not associative (trial {k}): (a ⊔ b) ⊔ c = {}, a ⊔ (b ⊔ c) = {}",
                    short(&m(&m(a, b), c)),
                    short(&m(a, &m(b, c)))
                )
            });
        }
        // convergence: two random gossip patterns, each until everyone has seen everyone
        let mut finals = Vec::new();
        for _pattern in 0..2 {
            let mut r = reps.clone();
            let mut order: Vec<(usize, usize)> =
                (0..3).flat_map(|i| (0..3).filter(move |&j| j != i).map(move |j| (i, j))).collect();
            rng.shuffle(&mut order);
            // two rounds of all pairs in a random order: every state reaches every replica
            for _ in 0..2 {
                for &(i, j) in &order {
                    let other = r[j].clone();
                    r[i].merge(&other);
                }
            }
            if r[0] != r[1] || r[1] != r[2] {
                fails.entry("converge").or_insert_with(|| {
                    format!(
                        "replicas did not converge (trial {k}): after all pairs merged, {} vs {}",
                        short(&r[0]),
                        short(&r[1])
                    )
                });
            }
            finals.push(r[0].clone());
        }
        if finals[0] != finals[1] {
            fails.entry("order").or_insert_with(|| {
                format!(
                    "the result depends on the merge order (trial {k}): {} vs {}",
                    short(&finals[0]),
                    short(&finals[1])
                )
            });
        }
    }
    Ok(LawReport { trials, failures: fails.into_values().collect() })
}
