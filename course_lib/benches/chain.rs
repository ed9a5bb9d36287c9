//! Throughput of `course_lib::chain`: the Monte Carlo double-spend race (blocks simulated per
//! second, all cores) and proof-of-work hashing (SHA-256 headers per second, one core).
//!
//! Run with `cargo bench -p course_lib --bench chain`. Criterion reports `Melem/s`.
//! Target (issue 7): ≥ 10 million race blocks per second.

use std::hint::black_box;

use course_lib::chain::{double_spend_monte_carlo, Block, Transaction};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn race(c: &mut Criterion) {
    let mut group = c.benchmark_group("double_spend_race");
    group.sample_size(10);
    for (name, q, z) in [("q0.1_z6", 0.1, 6), ("q0.3_z10", 0.3, 10)] {
        let trials = 1_000_000;
        // the seed is fixed so every iteration simulates the same number of blocks
        let blocks = double_spend_monte_carlo(q, z, trials, 7).unwrap().blocks;
        group.throughput(Throughput::Elements(blocks));
        group.bench_function(name, |b| {
            b.iter(|| double_spend_monte_carlo(black_box(q), z, trials, 7).unwrap())
        });
    }
    group.finish();
}

fn mining(c: &mut Criterion) {
    let mut group = c.benchmark_group("proof_of_work");
    group.sample_size(10);
    let parent = Block::genesis();
    let template = Block::candidate(&parent, vec![Transaction::new("a", "b", 1)], 1_000, 64);
    let tries = 1u64 << 16;
    group.throughput(Throughput::Elements(tries));
    // difficulty 64 is never met in 2^16 tries: this measures hashes per second
    group.bench_function("sha256_headers", |b| {
        b.iter(|| black_box(template.clone()).mine(tries).unwrap_err())
    });
    group.finish();
}

criterion_group!(benches, race, mining);
criterion_main!(benches);
