//! Alert-policy evaluation speed of `course_lib::slo`: every policy of notebook 04 over a
//! 30-day series at one-minute resolution (43 200 intervals).
//!
//! Run with `cargo bench -p course_lib --bench slo`. Target (issue 4): evaluating every
//! policy, and scoring it against the labelled incidents, takes ≤ 50 ms.

use std::hint::black_box;

use course_lib::slo::synth::{generate_month, DATA_SEED};
use course_lib::slo::{AlertPolicy, Slo, HOUR, MINUTE, THIRTY_DAYS};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn evaluate_all(c: &mut Criterion) {
    let month = generate_month(DATA_SEED);
    let slo = Slo::new(0.999, THIRTY_DAYS).unwrap();
    let policies = [
        AlertPolicy::threshold(10 * MINUTE).unwrap(),
        AlertPolicy::single_window(HOUR, 14.4).unwrap(),
        AlertPolicy::workbook_multi_burn_rate(&slo).unwrap(),
        AlertPolicy::workbook_multiwindow(&slo).unwrap(),
    ];
    let mut group = c.benchmark_group("slo");
    group.throughput(Throughput::Elements(month.series.len() as u64));
    group.bench_function("evaluate_4_policies_30d_1min", |b| {
        b.iter(|| {
            policies
                .iter()
                .map(|p| {
                    p.evaluate(black_box(&month.series), &slo).unwrap().metrics(&month.incidents)
                })
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("generate_month", |b| b.iter(|| generate_month(black_box(DATA_SEED))));
    group.finish();
}

criterion_group!(benches, evaluate_all);
criterion_main!(benches);
