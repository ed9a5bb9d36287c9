//! Throughput of `course_lib::staleness`: WARS Monte Carlo trials per second.
//!
//! Run with `cargo bench -p course_lib --bench staleness`. Criterion reports `Melem/s`, one
//! element per trial. Target (issue 5): ≥ 8 million trials/s per core for N = 3, LNKD-SSD,
//! using every core; `one_thread` measures one core.

use std::hint::black_box;

use course_lib::staleness::{t_visibility, t_visibility_with_threads, LatencyProfile};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn wars(c: &mut Criterion) {
    let trials = 20_000_000;
    let mut group = c.benchmark_group("t_visibility");
    group.sample_size(10);
    group.throughput(Throughput::Elements(trials as u64));
    for (name, p) in [
        ("lnkd_ssd_n3_all_cores", LatencyProfile::lnkd_ssd()),
        ("lnkd_disk_n3_all_cores", LatencyProfile::lnkd_disk()),
        ("wan_n3_all_cores", LatencyProfile::wan()),
    ] {
        let mut seed = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                seed += 1;
                t_visibility(black_box(&p), 3, 1, 1, 0.5, trials, seed).unwrap()
            })
        });
    }
    let p = LatencyProfile::lnkd_ssd();
    let mut seed = 0;
    group.bench_function("lnkd_ssd_n3_one_thread", |b| {
        b.iter(|| {
            seed += 1;
            t_visibility_with_threads(black_box(&p), 3, 1, 1, 0.5, trials, seed, 1).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, wars);
criterion_main!(benches);
