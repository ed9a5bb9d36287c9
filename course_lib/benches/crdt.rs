//! Speed of `course_lib::crdt`: merging two 10 000-element OR-sets (half of the elements
//! shared, each side with a few thousand removes the other has not seen), and a Merkle
//! anti-entropy comparison of 100 000 keys with 100 differences.
//!
//! Run with `cargo bench -p course_lib --bench crdt` (the target: the merge in
//! milliseconds).

use std::hint::black_box;

use course_lib::crdt::merkle::anti_entropy;
use course_lib::crdt::{Crdt, OrSet};
use criterion::{criterion_group, criterion_main, Criterion};

fn or_sets() -> (OrSet<u64>, OrSet<u64>) {
    let mut a = OrSet::new(0);
    let mut b = OrSet::new(1);
    for x in 0..5_000u64 {
        a.add(x);
    }
    b.merge(&a);
    for x in 5_000..10_000u64 {
        a.add(x);
    }
    for x in 10_000..15_000u64 {
        b.add(x);
    }
    for x in (0..5_000u64).step_by(2) {
        b.remove(&x); // observed by b: removed after the merge
    }
    (a, b)
}

fn merge_or_sets(c: &mut Criterion) {
    let (a, b) = or_sets();
    assert_eq!((a.len(), b.len()), (10_000, 7_500));
    let mut g = c.benchmark_group("crdt");
    g.sample_size(20);
    g.bench_function("merge two 10 000-element OR-sets", |bench| {
        bench.iter(|| {
            let mut x = a.clone();
            x.merge(black_box(&b));
            black_box(x.len())
        })
    });
    g.bench_function("clone one 10 000-element OR-set (part of the above)", |bench| {
        bench.iter(|| black_box(a.clone()).len())
    });
    g.bench_function("Merkle anti-entropy, 100 000 keys, 100 differ", |bench| {
        bench.iter(|| black_box(anti_entropy(100_000, 100, 16, 1).unwrap().hashes))
    });
    g.finish();
}

criterion_group!(benches, merge_or_sets);
criterion_main!(benches);
