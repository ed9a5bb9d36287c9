//! Monte Carlo throughput of `course_lib::quorum`: trials per second on all cores.
//!
//! Run with `cargo bench -p course_lib --bench quorum`. Criterion reports `Melem/s`, one
//! element per trial. Target: ≥ 200 million trials/s for 5 independent nodes on 2 cores.

use std::hint::black_box;

use course_lib::quorum::{monte_carlo_at_least_k, Topology, Zone};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn monte_carlo(c: &mut Criterion) {
    let trials: u64 = 100_000_000;
    let cases = [
        ("independent_n5", 3, Topology::independent(5, 0.9).unwrap()),
        (
            "zones_2_2_1",
            3,
            Topology::zones(
                vec![
                    Zone { nodes: 2, p_zone_up: 0.99 },
                    Zone { nodes: 2, p_zone_up: 0.99 },
                    Zone { nodes: 1, p_zone_up: 0.999 },
                ],
                0.9,
            )
            .unwrap(),
        ),
    ];
    let mut group = c.benchmark_group("quorum_monte_carlo");
    group.sample_size(10);
    group.throughput(Throughput::Elements(trials));
    for (name, k, topology) in cases {
        let mut seed = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                monte_carlo_at_least_k(k, black_box(&topology), trials, seed).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, monte_carlo);
criterion_main!(benches);
