//! Simulator throughput: delivered events per second on a relay (ping-pong between random
//! peers) workload and a flooding-broadcast workload, with tracing off and on.
//!
//! Targets (course platform issue): ≥ 5 M delivered events/s untraced, ≥ 2 M traced, on one
//! core of the course machine. Criterion prints `thrpt` in elements (= delivered events)/s.

use course_lib::dist::Dist;
use course_lib::sim::demo::{Gossip, Relay};
use course_lib::sim::{Network, SimBuilder};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const HORIZON_MS: f64 = 2_000.0;

fn relay_delivered(trace: bool) -> u64 {
    let net = Network::new(Dist::exponential_mean(1.0).unwrap());
    let mut sim =
        SimBuilder::new(7).network(net).trace(trace).build(Relay::cluster(16, 8)).unwrap();
    sim.run_until_ms(HORIZON_MS);
    sim.stats().delivered
}

fn gossip_delivered(trace: bool) -> u64 {
    let net = Network::new(Dist::exponential_mean(1.0).unwrap());
    let mut sim = SimBuilder::new(7).network(net).trace(trace).build(Gossip::cluster(64)).unwrap();
    for r in 0..100 {
        sim.request_at(r as f64, (r % 64) as usize, r).unwrap();
    }
    sim.run_until_ms(HORIZON_MS);
    sim.stats().delivered
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulator");
    group.sample_size(10);
    for trace in [false, true] {
        let label = if trace { "traced" } else { "untraced" };
        group.throughput(Throughput::Elements(relay_delivered(trace)));
        group.bench_function(BenchmarkId::new("relay_16_nodes", label), |b| {
            b.iter(|| relay_delivered(trace))
        });
        group.throughput(Throughput::Elements(gossip_delivered(trace)));
        group.bench_function(BenchmarkId::new("gossip_broadcast_64_nodes", label), |b| {
            b.iter(|| gossip_delivered(trace))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
