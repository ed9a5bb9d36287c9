use std::collections::BTreeSet;

use proptest::prelude::*;

use super::cart::*;
use super::gossip::*;
use super::merkle::*;
use super::*;
use crate::rng::SimRng;

// ---------------------------------------------------------------------------------------------
// The types, by hand

#[test]
fn counters_count_every_replicas_updates_once() {
    let (mut a, mut b) = (GCounter::new(0), GCounter::new(1));
    a.increment(3);
    b.increment(4);
    a.merge(&b);
    a.merge(&b); // again: idempotent
    b.merge(&a);
    assert_eq!((a.value(), b.value()), (7, 7));
    assert_eq!(a, b);
    let (mut p, mut q) = (PNCounter::new(0), PNCounter::new(1));
    p.increment(5);
    q.decrement(8);
    p.merge(&q);
    q.merge(&p);
    assert_eq!((p.value(), q.value()), (-3, -3));
}

#[test]
fn lww_keeps_the_largest_stamp_and_breaks_ties_by_the_higher_replica() {
    let (mut a, mut b) = (LwwRegister::new(1), LwwRegister::new(2));
    a.set("a", 10);
    b.set("b", 10);
    let mut x = a.clone();
    x.merge(&b);
    let mut y = b.clone();
    y.merge(&a);
    assert_eq!((x.get(), y.get()), (Some(&"b"), Some(&"b")), "tie → replica 2 wins");
    a.set("a2", 11);
    x.merge(&a);
    assert_eq!(x.get(), Some(&"a2"));
    // a write stamped earlier than what the replica holds is lost (LWW)
    x.set("late", 5);
    assert_eq!(x.get(), Some(&"a2"));
}

#[test]
fn lww_try_merge_reports_a_reused_replica_id() {
    let (mut a, mut b) = (LwwRegister::new(3), LwwRegister::new(3));
    a.set(1, 7);
    b.set(2, 7);
    let e = a.try_merge(&b).unwrap_err().to_string();
    assert!(e.contains("same stamp") && e.contains("unique"), "{e}");
    let mut c = LwwRegister::new(4);
    c.set(9, 8);
    assert!(a.try_merge(&c).is_ok());
    assert_eq!(a.get(), Some(&9));
}

#[test]
fn mv_register_keeps_concurrent_writes_as_siblings_until_one_write_has_seen_them() {
    let (mut a, mut b) = (MvRegister::new(0), MvRegister::new(1));
    a.set("x");
    b.set("y");
    a.merge(&b);
    let mut v: Vec<&str> = a.values().into_iter().copied().collect();
    v.sort();
    assert_eq!(v, ["x", "y"]);
    let (va, vb) = (&a.entries()[0].1, &a.entries()[1].1);
    assert!(va.concurrent_with(vb));
    a.set("z"); // has seen both
    b.merge(&a);
    assert_eq!(b.values(), vec![&"z"]);
    assert!(MvRegister::<u8>::try_new(MAX_REPLICAS).is_err());
}

#[test]
fn or_set_add_wins_and_remove_deletes_only_observed_adds() {
    let (mut a, mut b) = (OrSet::new(0), OrSet::new(1));
    a.add(1);
    b.merge(&a);
    b.remove(&1);
    a.add(1); // concurrent with b's remove
    let mut x = a.clone();
    x.merge(&b);
    assert!(x.contains(&1), "the unobserved add survives");
    assert_eq!(x.dots(&1), vec![(0, 2)], "the observed dot (0, 1) is gone");
    // a remove that has seen every add wins
    let mut c = x.clone();
    c.remove(&1);
    x.merge(&c);
    assert!(!x.contains(&1));
    // and a sequential re-add after it is visible again
    c.add(1);
    x.merge(&c);
    assert!(x.contains(&1));
}

#[test]
fn or_set_try_merge_and_unique_replicas_reject_a_reused_id() {
    let (mut a, mut b) = (OrSet::new(2), OrSet::new(2));
    a.add("milk");
    b.add("eggs");
    let e = a.try_merge(&b).unwrap_err().to_string();
    assert!(e.contains("(replica 2, counter 1)") && e.contains("unique id"), "{e}");
    let e = unique_replicas(&[0, 1, 1]).unwrap_err().to_string();
    assert!(e.contains("id 1 is used twice"), "{e}");
    assert_eq!(unique_replicas(&[2, 0, 1]).unwrap(), vec![2, 0, 1]);
    let e = OrSet::<u8>::try_new(MAX_REPLICAS).unwrap_err().to_string();
    assert!(e.contains("must be below 65536"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The laws, as property tests over random operation sequences

/// One step of a random history: replica `r` does update `arg`, or merges replica `from`.
#[derive(Clone, Debug)]
enum Step {
    Update(usize, u8),
    Merge(usize, usize),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0..3usize, any::<u8>()).prop_map(|(r, a)| Step::Update(r, a)),
            1 => (0..3usize, 0..3usize).prop_map(|(r, f)| Step::Merge(r, f)),
        ],
        0..24,
    )
}

fn play<C: Crdt>(make: fn(usize) -> C, update: fn(&mut C, u8), steps: &[Step]) -> Vec<C> {
    let mut reps: Vec<C> = (0..3).map(make).collect();
    for s in steps {
        match *s {
            Step::Update(r, a) => update(&mut reps[r], a),
            Step::Merge(r, f) => {
                let o = reps[f].clone();
                reps[r].merge(&o);
            }
        }
    }
    reps
}

fn m<C: Crdt>(x: &C, y: &C) -> C {
    let mut z = x.clone();
    z.merge(y);
    z
}

fn laws<C: Crdt>(reps: &[C], order: &[usize]) -> std::result::Result<(), TestCaseError> {
    let (a, b, c) = (&reps[0], &reps[1], &reps[2]);
    prop_assert_eq!(&m(a, a), a, "idempotent");
    prop_assert_eq!(m(a, b), m(b, a), "commutative");
    prop_assert_eq!(m(&m(a, b), c), m(a, &m(b, c)), "associative");
    // any merge order of the three states gives the same result
    let all = m(&m(a, b), c);
    let perm = [order[0] % 3, (order[0] + 1 + order[1] % 2) % 3];
    let third = 3 - perm[0] - perm[1];
    let other = m(&m(&reps[perm[0]], &reps[perm[1]]), &reps[third]);
    prop_assert_eq!(all, other, "merge order");
    Ok(())
}

fn g_up(c: &mut GCounter, a: u8) {
    c.increment(a as u64 % 5);
}
fn pn_up(c: &mut PNCounter, a: u8) {
    if a % 2 == 0 {
        c.increment(a as u64 % 7)
    } else {
        c.decrement(a as u64 % 5)
    }
}
fn lww_up(c: &mut LwwRegister<u8>, a: u8) {
    // a replica's timestamps grow with its own writes; equal stamps across replicas tie
    let t = c.stamp().map_or(0, |s| s.0) + 1 + (a % 3) as u64;
    c.set(a, t);
}
fn mv_up(c: &mut MvRegister<u8>, a: u8) {
    c.set(a % 4);
}
fn or_up(c: &mut OrSet<u8>, a: u8) {
    if a % 3 == 0 {
        c.remove(&(a % 5))
    } else {
        c.add(a % 5)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn gcounter_laws(s in steps(), o in prop::array::uniform2(0..6usize)) {
        laws(&play(GCounter::new, g_up, &s), &o)?;
    }

    #[test]
    fn pncounter_laws(s in steps(), o in prop::array::uniform2(0..6usize)) {
        laws(&play(PNCounter::new, pn_up, &s), &o)?;
    }

    #[test]
    fn lww_register_laws(s in steps(), o in prop::array::uniform2(0..6usize)) {
        laws(&play(LwwRegister::new, lww_up, &s), &o)?;
    }

    #[test]
    fn mv_register_laws(s in steps(), o in prop::array::uniform2(0..6usize)) {
        laws(&play(MvRegister::new, mv_up, &s), &o)?;
    }

    #[test]
    fn or_set_laws(s in steps(), o in prop::array::uniform2(0..6usize)) {
        laws(&play(OrSet::new, or_up, &s), &o)?;
    }

    /// Replicas that receive the same states in different orders end equal, and equal to the
    /// join of all of them: the G-counter's value is then the number of increments.
    #[test]
    fn same_updates_any_delivery_order_same_state(
        s in steps(), perm in Just((0..3usize).collect::<Vec<_>>()).prop_shuffle()
    ) {
        let reps = play(OrSet::new, or_up, &s);
        let mut x = reps[perm[0]].clone();
        x.merge(&reps[perm[1]]);
        x.merge(&reps[perm[2]]);
        let mut y = reps[2].clone();
        y.merge(&reps[0]);
        y.merge(&reps[1]);
        prop_assert_eq!(x, y);
        let counters = play(GCounter::new, g_up, &s);
        let total: u64 = s.iter().map(|st| match st { Step::Update(_, a) => *a as u64 % 5, _ => 0 }).sum();
        let mut z = counters[perm[0]].clone();
        z.merge(&counters[perm[1]]);
        z.merge(&counters[perm[2]]);
        prop_assert_eq!(z.value(), total);
    }
}

// ---------------------------------------------------------------------------------------------
// check_laws: passes the crate's types, catches the planted bug

fn rng_or(s: &mut OrSet<u8>, r: &mut SimRng) {
    or_up(s, r.below(256) as u8)
}

#[test]
fn check_laws_passes_every_crate_type() {
    let r = check_laws(GCounter::new, |c, r| c.increment(r.below(4)), 200, 1).unwrap();
    assert!(r.passed() && r.trials == 200, "{r}");
    assert!(check_laws(PNCounter::new, |c, r| pn_up(c, r.below(256) as u8), 200, 2)
        .unwrap()
        .passed());
    assert!(check_laws(LwwRegister::new, |c, r| lww_up(c, r.below(256) as u8), 200, 3)
        .unwrap()
        .passed());
    assert!(check_laws(MvRegister::new, |c, r| mv_up(c, r.below(256) as u8), 200, 4)
        .unwrap()
        .passed());
    assert!(check_laws(OrSet::new, rng_or, 200, 5).unwrap().passed());
}

#[test]
fn check_laws_catches_a_summing_merge() {
    let r = check_laws(SummingCounter::new, |c, r| c.increment(1 + r.below(3)), 50, 1).unwrap();
    assert!(!r.passed());
    assert!(r.failures.iter().any(|f| f.starts_with("not idempotent")), "{r}");
    assert!(r.ok().unwrap_err().contains("not idempotent"));
    assert!(check_laws(GCounter::new, |c, _| c.increment(1), 0, 1).is_err());
}

/// A merge that keeps the larger side's value only: commutative? no: LWW by replica id with no
/// timestamps, where a replica that wrote keeps its own value. The checker must catch it.
#[derive(Clone, Debug, PartialEq)]
struct KeepMine(usize, u8);
impl Crdt for KeepMine {
    fn merge(&mut self, other: &Self) {
        if self.1 == 0 {
            self.1 = other.1;
        }
    }
}

#[test]
fn check_laws_catches_a_merge_that_depends_on_who_merges() {
    let r = check_laws(|i| KeepMine(i, 0), |c, r| c.1 = 1 + r.below(9) as u8, 50, 1).unwrap();
    assert!(r.failures.iter().any(|f| f.contains("commutative") || f.contains("converge")), "{r}");
}

// ---------------------------------------------------------------------------------------------
// Gossip on the harness

#[test]
fn gossip_converges_after_the_partition_heals_for_every_seed() {
    let cfg = GossipConfig::new(6, 20.0).updates(8, 15.0).partition(10.0, 400.0);
    for seed in 0..20 {
        let r = run(&cfg, GCounter::new, |c, _| c.increment(1), seed).unwrap();
        assert!(r.converged, "seed {seed}: {r}");
        assert!(
            r.states.iter().all(|c| c.value() == 48),
            "seed {seed}: every increment counted once"
        );
        assert!(r.quiet_from_ms >= 400.0 && r.convergence_ms.is_some());
        let s = run(&cfg, OrSet::new, rng_or, seed).unwrap();
        assert!(s.converged, "seed {seed}: {s}");
    }
    // the harness sweep says the same
    let exp = experiment(&cfg, PNCounter::new, |c, r| pn_up(c, r.below(256) as u8)).unwrap();
    assert!(exp.sweep(0..20, crate::sim::Sweep::StopAtFirst).unwrap().passed());
}

#[test]
fn during_the_partition_the_halves_disagree() {
    // horizon inside the partition: the final property must fail
    let cfg =
        GossipConfig::new(6, 20.0).updates(8, 15.0).partition(0.0, 2_000.0).horizon_ms(1_000.0);
    let r = run(&cfg, GCounter::new, |c, _| c.increment(1), 3).unwrap();
    assert!(!r.converged && r.convergence_ms.is_none());
    let left: Vec<u64> = r.states.iter().map(|c| c.value()).collect();
    assert_eq!(left, vec![24, 24, 24, 24, 24, 24], "each half counts its own 3 × 8 increments");
}

#[test]
fn the_planted_summing_merge_is_caught_on_the_harness() {
    let cfg = GossipConfig::new(6, 20.0).updates(8, 15.0).partition(10.0, 400.0);
    let exp = experiment(&cfg, SummingCounter::new, |c, _| c.increment(1)).unwrap();
    let sweep = exp.sweep(0..10, crate::sim::Sweep::StopAtFirst).unwrap();
    assert_eq!(sweep.failing_seed(), Some(0));
    assert!(sweep.violations()[0].to_string().contains("converged"));
}

#[test]
fn convergence_time_grows_with_the_gossip_interval() {
    let pts = convergence_vs_interval(8, &[5.0, 20.0, 80.0], 10).unwrap();
    assert!(pts.iter().all(|p| p.failed == 0));
    assert!(pts[0].mean_ms < pts[1].mean_ms && pts[1].mean_ms < pts[2].mean_ms, "{pts:?}");
    // push gossip reaches everyone in about log2 n + ln n rounds (Pittel 1987): 5.1 for n = 8;
    // each round is one interval, plus delivery: between 2 and 10 intervals
    for p in &pts {
        let rounds = p.mean_ms / p.interval_ms;
        assert!((2.0..10.0).contains(&rounds), "{p:?}");
    }
}

#[test]
fn gossip_config_errors_say_what_is_allowed() {
    let e = |c: GossipConfig| {
        experiment(&c, GCounter::new, |c, _| c.increment(1)).err().unwrap().to_string()
    };
    assert!(e(GossipConfig::new(1, 10.0)).contains("at least 2"));
    assert!(e(GossipConfig::new(3, 0.0)).contains("interval_ms"));
    assert!(e(GossipConfig::new(3, 10.0).partition(50.0, 50.0)).contains("the end must be later"));
}

// ---------------------------------------------------------------------------------------------
// The cart scenario

/// The exercise's answer: an OR-set cart.
#[derive(Clone, Debug, PartialEq)]
struct OrCart(OrSet<u32>);
impl Crdt for OrCart {
    fn merge(&mut self, other: &Self) {
        self.0.merge(&other.0)
    }
}
impl Cart for OrCart {
    fn empty(replica: usize) -> Self {
        OrCart(OrSet::new(replica))
    }
    fn add(&mut self, item: u32, _: u64) {
        self.0.add(item)
    }
    fn remove(&mut self, item: u32, _: u64) {
        self.0.remove(&item)
    }
    fn items(&self) -> Vec<u32> {
        self.0.elements().into_iter().copied().collect()
    }
}

#[test]
fn an_or_set_cart_is_exact_and_the_others_are_not() {
    let scn = CartScenario::new(100.0);
    assert_eq!(judge_cart::<OrCart>(&scn, 0..100).unwrap(), Ok(()));
    let busy = CartScenario { shoppers: 5, adds: 10, removes: 5, items: 6, ..scn.clone() };
    assert_eq!(judge_cart::<OrCart>(&busy, 0..50).unwrap(), Ok(()));
    for verdict in [
        judge_cart::<LwwCart>(&scn, 0..100).unwrap(),
        judge_cart::<SiblingsCart>(&scn, 0..100).unwrap(),
        judge_cart::<UnobservedRemoveCart>(&scn, 0..100).unwrap(),
    ] {
        assert!(verdict.is_err());
    }
    let e = judge_cart::<UnobservedRemoveCart>(&scn, 0..100).unwrap().unwrap_err();
    assert!(e.contains("lost") && e.starts_with("seed "), "{e}");
}

#[test]
fn siblings_never_lose_an_add_and_lww_loses_more_with_skew() {
    let rows = losses_vs_skew(&CartScenario::new(0.0), &[0.0, 500.0], 100).unwrap();
    for r in &rows {
        assert_eq!(r.siblings_lost, 0.0);
        assert!(r.siblings_resurrected > 0.0, "Dynamo §4.4: deleted items can resurface");
        assert!(r.lww_lost > 0.5, "{r:?}");
    }
    assert!(rows[1].lww_lost > rows[0].lww_lost * 1.3, "{rows:?}");
}

#[test]
fn a_cart_without_removes_loses_nothing_with_siblings() {
    let scn = CartScenario { removes: 0, ..CartScenario::new(200.0) };
    for seed in 0..30 {
        let r = run_cart::<SiblingsCart>(&scn, seed).unwrap();
        assert!(r.correct(), "seed {seed}: {r}");
        // with only adds, the reference is every item added
        assert!(!r.expected.is_empty() && r.resurrected.is_empty());
    }
}

#[test]
fn cart_scenario_errors() {
    let e = run_cart::<LwwCart>(&CartScenario { shoppers: 1, ..CartScenario::new(0.0) }, 1);
    assert!(e.unwrap_err().to_string().contains("shoppers = 1"));
    let e = run_cart::<LwwCart>(&CartScenario::new(-1.0), 1).unwrap_err().to_string();
    assert!(e.contains("max_skew_ms"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Merkle anti-entropy

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    /// The tree finds exactly the keys that differ (brute force over both maps), at a cost of
    /// at most 1 + 2·d·h hashes.
    #[test]
    fn merkle_finds_exactly_the_differing_keys(
        keys in prop::collection::btree_map(any::<u64>(), any::<u64>(), 1..300),
        changes in prop::collection::vec((any::<prop::sample::Index>(), 0..3u8), 0..8),
        depth in 0u32..9,
    ) {
        let a = keys.clone();
        let mut b = keys.clone();
        let ks: Vec<u64> = keys.keys().copied().collect();
        for (i, kind) in &changes {
            let k = ks[i.index(ks.len())];
            match kind {
                0 => { b.remove(&k); }
                1 => { b.insert(k, b.get(&k).copied().unwrap_or(0).wrapping_add(1)); }
                _ => { b.insert(k ^ 1, 7); }
            }
        }
        let mut want: BTreeSet<u64> = BTreeSet::new();
        for k in a.keys().chain(b.keys()) {
            if a.get(k) != b.get(k) { want.insert(*k); }
        }
        let cost = diff(&RangeMerkle::build(&a, depth).unwrap(), &RangeMerkle::build(&b, depth).unwrap()).unwrap();
        prop_assert_eq!(cost.differing_keys.iter().copied().collect::<BTreeSet<u64>>(), want.clone());
        prop_assert!(cost.hashes <= 1 + 2 * want.len() as u64 * depth as u64);
        if want.is_empty() { prop_assert_eq!(cost.hashes, 1); }
    }
}

#[test]
fn merkle_cost_is_about_d_log_l_hashes_and_far_below_full_state() {
    let c = anti_entropy(100_000, 1, 16, 1).unwrap();
    assert_eq!(c.depth, 13); // ⌈log2(100 000 / 16)⌉ = ⌈12.6⌉
    assert_eq!((c.hashes, c.differing_keys.len()), (1 + 2 * 13, 1));
    assert_eq!(c.full_bytes, 1_600_000);
    let c = anti_entropy(100_000, 100, 16, 1).unwrap();
    assert_eq!(c.differing_keys.len(), 100);
    assert!(c.hashes <= 1 + 2 * 100 * 13 && c.bytes * 20 < c.full_bytes, "{c}");
    let c = anti_entropy(1_000, 1_000, 16, 1).unwrap();
    assert!(c.bytes > c.full_bytes, "everything differs: the tree only adds hashes ({c})");
}

#[test]
fn merkle_errors() {
    assert!(anti_entropy(10, 11, 4, 1)
        .unwrap_err()
        .to_string()
        .contains("at most the number of keys (10)"));
    assert!(anti_entropy(10, 1, 0, 1).unwrap_err().to_string().contains("leaf_size"));
    let m = std::collections::BTreeMap::new();
    assert!(RangeMerkle::build(&m, 25).unwrap_err().to_string().contains("at most 24"));
    let (a, b) = (RangeMerkle::build(&m, 2).unwrap(), RangeMerkle::build(&m, 3).unwrap());
    assert!(diff(&a, &b).unwrap_err().to_string().contains("same depth"));
    assert_eq!(depth_for(16, 16).unwrap(), 0);
    assert_eq!(depth_for(17, 16).unwrap(), 1);
}

// ---------------------------------------------------------------------------------------------
// Notebook 18's claims, with the notebook's seeds

#[test]
fn notebook_18_prose_holds() {
    // §2: LWW keeps "add milk" (clock 1 000 beats 990); siblings keep both
    let (mut r1, mut r2) = (LwwRegister::new(1), LwwRegister::new(2));
    r1.set("add milk", 1_000);
    r2.set("add eggs", 990);
    r1.merge(&r2);
    assert_eq!(r1.get(), Some(&"add milk"));
    // the skew table: LWW loses adds even at skew 0, more at 500; siblings lose none but undo deletes
    let rows = losses_vs_skew(&CartScenario::new(0.0), &[0.0, 20.0, 100.0, 500.0], 100).unwrap();
    assert!(rows[0].lww_lost > 0.5 && rows[0].lww_runs_with_loss > 20, "{rows:?}");
    assert!(rows[3].lww_lost > rows[0].lww_lost * 1.3, "{rows:?}");
    assert!(rows.iter().all(|r| r.siblings_lost == 0.0 && r.siblings_resurrected > 0.0));
    // §3: the PN-counter cell: 5 − 2 + 4 = 7 everywhere (checked by hand in the cell's print)
    // the summing merge: idempotence and convergence fail, commutativity and associativity hold
    let r = check_laws(SummingCounter::new, |c, r| c.increment(1 + r.below(3)), 200, 1).unwrap();
    assert!(r.failures.iter().any(|f| f.starts_with("not idempotent")));
    assert!(
        !r.failures.iter().any(|f| f.contains("commutative") || f.contains("associative")),
        "{r}"
    );
    assert!(check_laws(OrSet::new, rng_or_nb, 200, 1).unwrap().passed());
    // §4: each half counts its own 24 during the partition, all 48 after; OR-set sweep passes
    let cfg = GossipConfig::new(6, 20.0).updates(8, 15.0).partition(0.0, 400.0);
    let during =
        run(&cfg.clone().horizon_ms(390.0), GCounter::new, |c, _| c.increment(1), 1).unwrap();
    assert!(during.states.iter().all(|c| c.value() == 24), "{during:?}");
    let after = run(&cfg, GCounter::new, |c, _| c.increment(1), 1).unwrap();
    assert!(after.converged && after.states.iter().all(|c| c.value() == 48));
    let sweep = experiment(&cfg, OrSet::new, rng_or_nb).unwrap();
    assert!(sweep.sweep(0..20, crate::sim::Sweep::StopAtFirst).unwrap().passed());
    // "a few intervals for eight replicas", proportional to the interval
    let pts = convergence_vs_interval(8, &[5.0, 10.0, 20.0, 40.0, 80.0], 10).unwrap();
    assert!(pts.windows(2).all(|w| w[0].mean_ms < w[1].mean_ms), "{pts:?}");
    assert!(pts.iter().all(|p| (2.0..10.0).contains(&(p.mean_ms / p.interval_ms))), "{pts:?}");
    // §5: 27 hashes for one difference among 100 000 keys, about a kilobyte vs 1.6 MB;
    // d = 30 000 costs more than the full state
    let one = anti_entropy(100_000, 1, 16, 1).unwrap();
    assert_eq!((one.hashes, one.depth, one.full_bytes), (27, 13, 1_600_000));
    assert!((500..2_000).contains(&one.bytes), "{one}");
    let many = anti_entropy(100_000, 30_000, 16, 1).unwrap();
    assert!(many.bytes > many.full_bytes, "{many}");
    // exercise 2: the LWW cart loses an item at ±100 ms, seed 1
    let lww = run_cart::<LwwCart>(&CartScenario::new(100.0), 1).unwrap();
    assert!(!lww.lost.is_empty(), "{lww}");
}

fn rng_or_nb(s: &mut OrSet<u8>, r: &mut SimRng) {
    let x = r.below(4) as u8;
    if r.uniform() < 0.6 {
        s.add(x)
    } else {
        s.remove(&x)
    }
}
