//! Speed of `course_lib::gossip`: push gossip on 100 000 nodes (the bound: well under
//! a second), rumor mongering on 100 000 nodes (k = 2), and a SWIM run on the simulator (16
//! members, 10 % loss, 5 s simulated = 50 protocol periods).
//!
//! Run with `cargo bench -p course_lib --bench gossip`.

use std::hint::black_box;

use course_lib::gossip::swim::SwimConfig;
use course_lib::gossip::{push_rounds, rumor_mongering};
use criterion::{criterion_group, criterion_main, Criterion};

fn gossip(c: &mut Criterion) {
    let mut g = c.benchmark_group("gossip");
    g.sample_size(20);
    g.bench_function("push_rounds n = 100 000", |b| {
        b.iter(|| black_box(push_rounds(black_box(100_000), 1).unwrap()))
    });
    g.bench_function("push_rounds n = 1 000 000", |b| {
        b.iter(|| black_box(push_rounds(black_box(1_000_000), 1).unwrap()))
    });
    g.bench_function("rumor_mongering n = 100 000, k = 2", |b| {
        b.iter(|| black_box(rumor_mongering(black_box(100_000), 2, 1).unwrap().messages()))
    });
    let swim = SwimConfig::new(16).loss(0.1).crash(15, 1_000.0);
    g.bench_function("SWIM 16 members, 50 periods, 10% loss", |b| {
        b.iter(|| black_box(swim.run(black_box(1)).unwrap().messages))
    });
    g.finish();
}

criterion_group!(benches, gossip);
criterion_main!(benches);
