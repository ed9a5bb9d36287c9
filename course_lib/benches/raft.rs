//! Raft on the simulator: delivered messages per second for a five-server cluster under a
//! steady client load (8 clients, puts and reads through the log, 5 ms heartbeats), with the
//! five safety monitors off and on.
//!
//! Target (consensus issue): ≥ 1 M delivered messages/s per core. Criterion prints `thrpt` in
//! elements (= delivered messages)/s.

use course_lib::dist::Dist;
use course_lib::raft::{Cluster, RaftConfig, Target, Workload};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const HORIZON_MS: f64 = 2_000.0;

fn delivered(monitors: bool) -> u64 {
    let cfg = RaftConfig::new(5).with_election_timeout(50.0, 100.0).with_heartbeat(5.0);
    let w = Workload::new(8, 400)
        .keys(3)
        .think_ms(Dist::Exponential { rate: 1.0 })
        .timeout_ms(500.0)
        .target(Target::Leader)
        .max_redirects(100);
    let mut c =
        Cluster::builder(cfg).seed(1).workload(w).trace(false).monitors(monitors).build().unwrap();
    c.run_until_ms(HORIZON_MS).unwrap();
    c.sim().stats().delivered
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("raft");
    group.sample_size(10);
    for monitors in [false, true] {
        let label = if monitors { "monitored" } else { "unmonitored" };
        group.throughput(Throughput::Elements(delivered(monitors)));
        group.bench_function(BenchmarkId::new("5_servers_8_clients", label), |b| {
            b.iter(|| delivered(monitors))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
