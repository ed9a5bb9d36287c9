//! Speed of `course_lib::txn`: the dependency-graph serializability check of 10 000 random
//! histories of 4 transactions (the target: under a second), and the contention
//! sweep of notebook 16 (2PL, OCC and SSI at five Zipf exponents).
//!
//! Run with `cargo bench -p course_lib --bench txn -- --warm-up-time 1 --measurement-time 2`.

use std::hint::black_box;

use course_lib::txn::{check_serializable, random_histories, Contention, RandomSchedule};
use criterion::{criterion_group, criterion_main, Criterion};

fn check_10k(c: &mut Criterion) {
    // the histories are generated once, outside the measurement: 4 transactions of 3
    // operations on 3 keys, interleaved at random and run under read committed
    let shape = RandomSchedule { txns: 4, ops: 3, keys: 3, scan_prob: 0.1, overlap: 0 };
    let hs = random_histories(&shape, 10_000, 0).expect("valid shape");
    let bad = hs.iter().filter(|h| !check_serializable(h).is_serializable()).count();
    println!("{bad} of 10 000 histories are not serializable");
    let mut g = c.benchmark_group("txn");
    g.sample_size(10);
    g.bench_function("check 10 000 histories of 4 transactions", |b| {
        b.iter(|| black_box(&hs).iter().filter(|h| check_serializable(h).is_serializable()).count())
    });
    g.bench_function("generate and run 10 000 random schedules (read committed)", |b| {
        b.iter(|| random_histories(&shape, 10_000, 1).expect("valid").len())
    });
    g.bench_function("contention sweep, 3 schemes x 5 skews (notebook 16)", |b| {
        b.iter(|| Contention::default().sweep(&[0.0, 0.5, 1.0, 1.5, 2.0], 16).expect("valid").len())
    });
    g.finish();
}

criterion_group!(benches, check_10k);
criterion_main!(benches);
