//! Speed of the linearizability checker: histories per second on a fixed corpus.
//!
//! Run with `cargo bench -p course_lib --bench consistency`. The corpus
//! (`consistency::sim::benchmark_corpus`) has 24 compare-and-set register histories of
//! 200–400 operations over 5–15 processes, 15 % of them `info`, half of them with a corrupted
//! read. Criterion reports `elem/s`, one element per history.

use std::hint::black_box;

use course_lib::consistency::{check_cas_register, sim::benchmark_corpus};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn checker(c: &mut Criterion) {
    let corpus = benchmark_corpus();
    let mut group = c.benchmark_group("check_cas_register");
    group.sample_size(10);
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("corpus_24_histories", |b| {
        b.iter(|| {
            corpus.iter().filter(|h| check_cas_register(black_box(h)).is_linearizable()).count()
        })
    });
    group.finish();
}

criterion_group!(benches, checker);
criterion_main!(benches);
