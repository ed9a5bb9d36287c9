//! How long one `Dist::sample` takes: the simulator calls it once per message.
//!
//! Run with `cargo bench -p course_lib --bench dist`.

use std::hint::black_box;

use course_lib::dist::Dist;
use course_lib::rng::SimRng;
use criterion::{criterion_group, criterion_main, Criterion};

fn sample(c: &mut Criterion) {
    let cases = [
        ("exponential", Dist::exponential_mean(1.0).unwrap()),
        ("pareto", Dist::pareto(1.0, 1.5).unwrap()),
        ("lognormal", Dist::lognormal_from_median_p99(1.0, 20.0).unwrap()),
        (
            "mixture_exp_pareto",
            Dist::mixture(vec![
                (0.9, Dist::exponential_mean(1.0).unwrap()),
                (0.1, Dist::pareto(10.0, 1.5).unwrap()),
            ])
            .unwrap(),
        ),
    ];
    let mut group = c.benchmark_group("dist_sample");
    for (name, dist) in cases {
        let mut rng = SimRng::new(42);
        group.bench_function(name, |b| b.iter(|| black_box(&dist).sample(&mut rng)));
    }
    group.finish();
}

criterion_group!(benches, sample);
criterion_main!(benches);
