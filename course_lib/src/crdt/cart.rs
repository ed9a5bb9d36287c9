//! Dynamo's shopping cart (DeCandia et al. 2007, §4.4) on a seeded scenario: shoppers on
//! different replicas add and remove items concurrently, each replica's clock is off by up to
//! `max_skew_ms`, and a replica sees another's writes `delay_ms` after they happen (state
//! shipping). After everything has been exchanged, which items are in the cart?
//!
//! The reference answer is **add wins**: an item is in the cart iff some add of it was not
//! *observed* by a remove of it (the remove's replica had seen that add). It is computed from
//! the event list alone, without any CRDT. Three carts face it:
//! * [`LwwCart`]: the cart is one [`LwwRegister`] holding a set, stamped by the replica's skewed
//!   clock. Concurrent writes lose all but one: **acknowledged adds disappear**, more with skew.
//! * [`SiblingsCart`]: an [`MvRegister`] holding a set; concurrent writes survive as siblings and
//!   a read returns their union (Dynamo's reconciliation). No add is lost, but a removed item
//!   can come back ("deleted items can resurface", §4.4).
//! * [`UnobservedRemoveCart`], a **planted bug**: a remove deletes every add of the item, seen
//!   or not (a 2P-set); it converges, and it loses concurrent and later re-adds.
//!
//! Exercise 2 of notebook 18 asks for a cart that [`judge_cart`] accepts (an OR-set does).

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use super::{Crdt, LwwRegister, MvRegister};
use crate::clock::PhysicalClock;
use crate::error::{validate, Error, Result};
use crate::sim::Stream;

/// A replicated shopping cart, as the scenario drives it.
pub trait Cart: Crdt {
    /// An empty cart held by `replica`.
    fn empty(replica: usize) -> Self;
    /// Add `item`; `clock_ms` is this replica's (skewed) clock reading, for carts that stamp.
    fn add(&mut self, item: u32, clock_ms: u64);
    /// Remove `item` (as this replica sees the cart).
    fn remove(&mut self, item: u32, clock_ms: u64);
    /// The items, sorted, without duplicates.
    fn items(&self) -> Vec<u32>;
}

/// The cart as one last-writer-wins register holding the set of items.
#[derive(Clone, Debug, PartialEq)]
pub struct LwwCart(pub LwwRegister<BTreeSet<u32>>);

impl Crdt for LwwCart {
    fn merge(&mut self, other: &Self) {
        self.0.merge(&other.0);
    }
}

impl Cart for LwwCart {
    fn empty(replica: usize) -> Self {
        LwwCart(LwwRegister::new(replica))
    }
    fn add(&mut self, item: u32, clock_ms: u64) {
        let mut s = self.0.get().cloned().unwrap_or_default();
        s.insert(item);
        self.0.set(s, clock_ms);
    }
    fn remove(&mut self, item: u32, clock_ms: u64) {
        let mut s = self.0.get().cloned().unwrap_or_default();
        s.remove(&item);
        self.0.set(s, clock_ms);
    }
    fn items(&self) -> Vec<u32> {
        self.0.get().map(|s| s.iter().copied().collect()).unwrap_or_default()
    }
}

/// The cart as a multi-value register of sets (Dynamo): a write replaces the siblings it has
/// seen by (their union ± the item); a read is the union of the siblings.
#[derive(Clone, Debug, PartialEq)]
pub struct SiblingsCart(pub MvRegister<BTreeSet<u32>>);

impl SiblingsCart {
    fn union(&self) -> BTreeSet<u32> {
        self.0.values().into_iter().flatten().copied().collect()
    }
    /// Number of siblings (concurrent versions) held now.
    pub fn siblings(&self) -> usize {
        self.0.values().len()
    }
}

impl Crdt for SiblingsCart {
    fn merge(&mut self, other: &Self) {
        self.0.merge(&other.0);
    }
}

impl Cart for SiblingsCart {
    fn empty(replica: usize) -> Self {
        SiblingsCart(MvRegister::new(replica % super::MAX_REPLICAS))
    }
    fn add(&mut self, item: u32, _clock_ms: u64) {
        let mut s = self.union();
        s.insert(item);
        self.0.set(s);
    }
    fn remove(&mut self, item: u32, _clock_ms: u64) {
        let mut s = self.union();
        s.remove(&item);
        self.0.set(s);
    }
    fn items(&self) -> Vec<u32> {
        self.union().into_iter().collect()
    }
}

/// **Planted bug**: a remove deletes the item for good, including adds it never observed
/// (a two-phase set: a grow-only set of adds and one of removed items).
#[derive(Clone, Debug, PartialEq)]
pub struct UnobservedRemoveCart {
    added: BTreeSet<u32>,
    removed: BTreeSet<u32>,
}

impl Crdt for UnobservedRemoveCart {
    fn merge(&mut self, other: &Self) {
        self.added.extend(other.added.iter().copied());
        self.removed.extend(other.removed.iter().copied());
    }
}

impl Cart for UnobservedRemoveCart {
    fn empty(_replica: usize) -> Self {
        UnobservedRemoveCart { added: BTreeSet::new(), removed: BTreeSet::new() }
    }
    fn add(&mut self, item: u32, _clock_ms: u64) {
        self.added.insert(item);
    }
    fn remove(&mut self, item: u32, _clock_ms: u64) {
        self.removed.insert(item);
    }
    fn items(&self) -> Vec<u32> {
        self.added.difference(&self.removed).copied().collect()
    }
}

/// The scenario: shoppers (one replica each), their adds and removes, clock skew and
/// replication delay.
#[derive(Clone, Debug, PartialEq)]
pub struct CartScenario {
    /// Shoppers, each on its own replica (at least 2).
    pub shoppers: usize,
    /// Adds per shopper.
    pub adds: usize,
    /// Removes per shopper (of an item the shopper's replica has seen added).
    pub removes: usize,
    /// Items are drawn from `0..items` (a small catalogue makes re-adds likely).
    pub items: u32,
    /// Operations happen at uniform random times in `[0, duration_ms]`.
    pub duration_ms: f64,
    /// A write reaches the other replicas this long after it happens.
    pub delay_ms: f64,
    /// Each replica's clock offset is uniform in `[-max_skew_ms, +max_skew_ms]`.
    pub max_skew_ms: f64,
}

impl CartScenario {
    /// 3 shoppers, 4 adds and 1 remove each, 8 items, over 1 s, 50 ms replication delay,
    /// clocks within ±`max_skew_ms`.
    pub fn new(max_skew_ms: f64) -> CartScenario {
        CartScenario {
            shoppers: 3,
            adds: 4,
            removes: 1,
            items: 8,
            duration_ms: 1_000.0,
            delay_ms: 50.0,
            max_skew_ms,
        }
    }

    fn validate(&self) -> Result<()> {
        validate::at_least("shoppers", self.shoppers, 2)?;
        validate::at_least("adds", self.adds, 1)?;
        validate::at_least("items", self.items as usize, 1)?;
        validate::positive("duration_ms", self.duration_ms)?;
        validate::non_negative("delay_ms", self.delay_ms)?;
        validate::non_negative("max_skew_ms", self.max_skew_ms)?;
        if self.shoppers > 1_000 || self.adds + self.removes > 10_000 {
            return Err(Error::invalid(
                "cart scenario",
                "at most 1 000 shoppers and 10 000 operations each (a lesson-sized scenario)",
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
struct Op {
    t: f64,
    shopper: usize,
    add: bool,
    /// For a remove, a random draw that picks the item among those the replica has seen.
    item: u32,
    pick: u64,
}

/// One run of the scenario for one cart type.
#[derive(Clone, Debug, PartialEq)]
pub struct CartReport {
    /// Adds acknowledged.
    pub adds: usize,
    /// Removes acknowledged.
    pub removes: usize,
    /// The add-wins reference cart.
    pub expected: Vec<u32>,
    /// The cart after every replica has merged every other's state.
    pub got: Vec<u32>,
    /// Items expected but missing: acknowledged adds silently lost.
    pub lost: Vec<u32>,
    /// Items present but removed by every remove that saw them: resurrected.
    pub resurrected: Vec<u32>,
    /// All replicas ended equal.
    pub converged: bool,
}

impl CartReport {
    /// Right: converged, nothing lost, nothing resurrected.
    pub fn correct(&self) -> bool {
        self.converged && self.lost.is_empty() && self.resurrected.is_empty()
    }
}

impl fmt::Display for CartReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} adds, {} removes: expected {:?}, got {:?}; lost {:?}, resurrected {:?}{}",
            self.adds,
            self.removes,
            self.expected,
            self.got,
            self.lost,
            self.resurrected,
            if self.converged { "" } else { "; replicas DISAGREE" }
        )
    }
}

fn events(scn: &CartScenario, seed: u64) -> (Vec<Op>, Vec<PhysicalClock>) {
    let mut rng = Stream::Scenario("crdt cart", 0).rng(seed);
    let clocks: Vec<PhysicalClock> = (0..scn.shoppers)
        .map(|_| {
            let off = rng.uniform_range(-scn.max_skew_ms, scn.max_skew_ms);
            PhysicalClock::new(off, 0.0).unwrap_or_else(|_| PhysicalClock::perfect())
        })
        .collect();
    let mut ops = Vec::new();
    for s in 0..scn.shoppers {
        for k in 0..scn.adds + scn.removes {
            let t = rng.uniform() * scn.duration_ms;
            let item = rng.below(scn.items as u64) as u32;
            let pick = rng.next_u64();
            ops.push(Op { t, shopper: s, add: k < scn.adds, item, pick });
        }
    }
    ops.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.shopper.cmp(&b.shopper)));
    (ops, clocks)
}

/// Fix each remove's item: one the replica has seen added (by the visibility rule), or drop
/// the remove if it has seen none. Returns the ops with removes resolved.
fn resolve(ops: &[Op], delay: f64) -> Vec<Op> {
    let mut out: Vec<Op> = Vec::new();
    for op in ops {
        if op.add {
            out.push(*op);
            continue;
        }
        let seen: BTreeSet<u32> = out
            .iter()
            .filter(|a| a.add && visible(a, op.shopper, op.t, delay))
            .map(|a| a.item)
            .collect();
        if seen.is_empty() {
            continue;
        }
        let item = *seen.iter().nth((op.pick % seen.len() as u64) as usize).expect("in range");
        out.push(Op { item, ..*op });
    }
    out
}

fn visible(a: &Op, replica: usize, t: f64, delay: f64) -> bool {
    (a.shopper == replica && a.t < t) || a.t + delay <= t
}

/// The add-wins reference: items with an add that no remove of the item observed.
fn reference(ops: &[Op], delay: f64) -> Vec<u32> {
    let mut items = BTreeSet::new();
    for a in ops.iter().filter(|o| o.add) {
        let removed =
            ops.iter().any(|r| !r.add && r.item == a.item && visible(a, r.shopper, r.t, delay));
        if !removed {
            items.insert(a.item);
        }
    }
    items.into_iter().collect()
}

/// Run the scenario with cart type `C`. Clock readings are `10 000 + clock.read_ms(t)` ms
/// (so a negative offset never goes below zero), rounded down.
pub fn run_cart<C: Cart>(scn: &CartScenario, seed: u64) -> Result<CartReport> {
    scn.validate()?;
    let (raw, clocks) = events(scn, seed);
    let ops = resolve(&raw, scn.delay_ms);
    let n = scn.shoppers;
    let mut carts: Vec<C> = (0..n).map(C::empty).collect();
    let mut shipped: Vec<(f64, usize, C)> = Vec::new();
    let mut merged_upto = vec![0usize; n];
    for op in &ops {
        let j = op.shopper;
        while merged_upto[j] < shipped.len() && shipped[merged_upto[j]].0 + scn.delay_ms <= op.t {
            let (_, from, state) = &shipped[merged_upto[j]];
            if *from != j {
                let s = state.clone();
                carts[j].merge(&s);
            }
            merged_upto[j] += 1;
        }
        let clock_ms = (10_000.0 + clocks[j].read_ms(op.t)).max(0.0) as u64;
        if op.add {
            carts[j].add(op.item, clock_ms);
        } else {
            carts[j].remove(op.item, clock_ms);
        }
        shipped.push((op.t, j, carts[j].clone()));
    }
    // the end: everyone merges everyone, twice around
    for _ in 0..2 {
        for i in 0..n {
            for k in 0..n {
                if i != k {
                    let s = carts[k].clone();
                    carts[i].merge(&s);
                }
            }
        }
    }
    let converged = carts.windows(2).all(|w| w[0] == w[1]);
    let expected = reference(&ops, scn.delay_ms);
    let got = carts[0].items();
    let lost = expected.iter().filter(|x| !got.contains(x)).copied().collect();
    let resurrected = got.iter().filter(|x| !expected.contains(x)).copied().collect();
    Ok(CartReport {
        adds: ops.iter().filter(|o| o.add).count(),
        removes: ops.iter().filter(|o| !o.add).count(),
        expected,
        got,
        lost,
        resurrected,
        converged,
    })
}

/// Judge a cart type on the scenario for every seed in `seeds`: `Ok(())` when every run is
/// [`CartReport::correct`], otherwise the first failing seed and what went wrong.
pub fn judge_cart<C: Cart>(
    scn: &CartScenario,
    seeds: Range<u64>,
) -> Result<std::result::Result<(), String>> {
    for s in seeds {
        let r = run_cart::<C>(scn, s)?;
        if !r.correct() {
            return Ok(Err(format!("seed {s}: {r}")));
        }
    }
    Ok(Ok(()))
}

/// Losses per cart type, averaged over seeds `0..seeds`, for each clock skew.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SkewRow {
    /// The skew bound (ms).
    pub max_skew_ms: f64,
    /// Mean adds per run.
    pub adds: f64,
    /// Mean items the LWW cart lost.
    pub lww_lost: f64,
    /// Mean items the siblings cart lost (0 if it works as designed).
    pub siblings_lost: f64,
    /// Mean removed items the siblings cart brought back.
    pub siblings_resurrected: f64,
    /// Runs (of `seeds`) in which LWW lost at least one item.
    pub lww_runs_with_loss: u64,
}

/// [`run_cart`] with [`LwwCart`] and [`SiblingsCart`] for each skew in `skews_ms`, on the
/// scenario `base` with its skew replaced.
pub fn losses_vs_skew(base: &CartScenario, skews_ms: &[f64], seeds: u64) -> Result<Vec<SkewRow>> {
    validate::at_least("seeds", seeds as usize, 1)?;
    let mut rows = Vec::new();
    for &skew in skews_ms {
        let scn = CartScenario { max_skew_ms: skew, ..base.clone() };
        let (mut adds, mut ll, mut sl, mut sr, mut runs) = (0.0, 0.0, 0.0, 0.0, 0u64);
        for s in 0..seeds {
            let l = run_cart::<LwwCart>(&scn, s)?;
            let m = run_cart::<SiblingsCart>(&scn, s)?;
            adds += l.adds as f64;
            ll += l.lost.len() as f64;
            runs += u64::from(!l.lost.is_empty());
            sl += m.lost.len() as f64;
            sr += m.resurrected.len() as f64;
        }
        let k = seeds as f64;
        rows.push(SkewRow {
            max_skew_ms: skew,
            adds: adds / k,
            lww_lost: ll / k,
            siblings_lost: sl / k,
            siblings_resurrected: sr / k,
            lww_runs_with_loss: runs,
        });
    }
    Ok(rows)
}
