//! The contract for `course_lib::crdt`: a `Crdt` trait with `merge(&mut self, other:
//! &Self)`; `GCounter::new(replica)`, `increment(n: u64)`, `value() -> u64`;
//! `PNCounter::new(replica)`, `increment`, `decrement`, `value() -> i64`;
//! `OrSet::<T>::new(replica)`, `add(x)`, `remove(&x)`, `contains(&x) -> bool` (add wins);
//! `LwwRegister::<T>::new(replica)`, `set(value, timestamp: u64)`, `get() -> Option<&T>`
//! (ties by the higher replica id); all `Clone + PartialEq + Debug`; version vectors are the
//! crate's `VectorClock`.

use std::fmt::Debug;

use course_lib::clock::VectorClock;
use course_lib::crdt::{Crdt, GCounter, LwwRegister, OrSet, PNCounter, VersionVector};

fn bounds<T: Clone + PartialEq + Debug + Crdt>(_: &T) {}

#[test]
fn the_signatures() {
    let mut g: GCounter = GCounter::new(0usize);
    g.increment(2u64);
    let v: u64 = g.value();
    assert_eq!(v, 2);
    let mut p: PNCounter = PNCounter::new(1usize);
    p.increment(1u64);
    p.decrement(3u64);
    let v: i64 = p.value();
    assert_eq!(v, -2);
    let mut s: OrSet<String> = OrSet::<String>::new(2usize);
    s.add("x".to_string());
    let c: bool = s.contains(&"x".to_string());
    assert!(c);
    s.remove(&"x".to_string());
    assert!(!s.contains(&"x".to_string()));
    let mut r: LwwRegister<u32> = LwwRegister::<u32>::new(3usize);
    let unit: () = r.set(5u32, 10u64);
    assert_eq!(unit, ());
    let got: Option<&u32> = r.get();
    assert_eq!(got, Some(&5));
    bounds(&g);
    bounds(&p);
    bounds(&s);
    bounds(&r);
    let merge: fn(&mut GCounter, &GCounter) = <GCounter as Crdt>::merge;
    let h = g.clone();
    merge(&mut g, &h);
    assert_eq!(g.value(), 2);
}

#[test]
fn add_wins_over_a_concurrent_remove() {
    let mut a = OrSet::new(0);
    let mut b = OrSet::new(1);
    a.add(7);
    b.merge(&a);
    b.remove(&7);
    a.add(7);
    let (mut x, mut y) = (a.clone(), b.clone());
    x.merge(&b);
    y.merge(&a);
    assert!(x.contains(&7) && y.contains(&7) && x == y);
}

#[test]
fn lww_ties_go_to_the_higher_replica() {
    let mut lo = LwwRegister::new(1);
    let mut hi = LwwRegister::new(9);
    lo.set('l', 100);
    hi.set('h', 100);
    let mut x = lo.clone();
    x.merge(&hi);
    hi.merge(&lo);
    assert_eq!((x.get(), hi.get()), (Some(&'h'), Some(&'h')));
    let mut older = LwwRegister::new(9);
    older.set('o', 99);
    x.merge(&older);
    assert_eq!(x.get(), Some(&'h'));
}

#[test]
fn version_vectors_are_the_clock_modules_vector_clock() {
    let mut a: VersionVector = VectorClock::new(2);
    let mut b = a.clone();
    a.tick(0);
    b.tick(1);
    assert!(a.concurrent_with(&b));
    let mut c = a.clone();
    c.merge(&b);
    c.tick(0);
    assert!(a.happened_before(&c) && b.happened_before(&c));
}

#[test]
fn counters_on_three_replicas_converge_whatever_the_merge_order() {
    let mut reps: Vec<PNCounter> = (0..3).map(PNCounter::new).collect();
    reps[0].increment(5);
    reps[1].decrement(2);
    reps[2].increment(1);
    let snapshot = reps.clone();
    for (i, r) in reps.iter_mut().enumerate() {
        for j in [2, 0, 1] {
            if i != j {
                r.merge(&snapshot[j]);
            }
        }
    }
    assert!(reps.iter().all(|r| r.value() == 4));
    assert!(reps[0] == reps[1] && reps[1] == reps[2]);
}
