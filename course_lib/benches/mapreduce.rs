//! Speed of `course_lib::mapreduce`: a word count of 10 MB of generated text (a seeded,
//! Zipf-weighted word list) on 8 simulated workers, M = 32, R = 8, backups on; and the
//! paper-scale sort model (1 746 workers, 15 000 + 4 000 tasks, sizes only).
//!
//! Run with `cargo bench -p course_lib --bench mapreduce`. Criterion reports MB/s for the word
//! count (the target: 10 MB in under a second on one core).

use std::hint::black_box;

use course_lib::mapreduce::{generated_text, paper_sort, word_count_on, Cluster, SortScenario};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn word_count_10mb(c: &mut Criterion) {
    // about 1.9 million words ≈ 10 MB
    let mut text = generated_text(1_900_000, 1);
    text.truncate(
        text.char_indices().map(|(i, _)| i).take_while(|&i| i <= 10_000_000).last().unwrap(),
    );
    let cluster = Cluster::new(8, 32, 8);
    let mut g = c.benchmark_group("mapreduce");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("word_count 10 MB, 8 workers, M=32 R=8", |b| {
        b.iter(|| black_box(word_count_on(black_box(&text), &cluster, 1).unwrap().len()))
    });
    g.finish();
    let mut g = c.benchmark_group("mapreduce_paper_scale");
    g.sample_size(10);
    g.bench_function("sort model, 1746 workers, M=15000 R=4000", |b| {
        b.iter(|| black_box(paper_sort(SortScenario::Normal, 1).unwrap().job_ms))
    });
    g.finish();
}

criterion_group!(benches, word_count_10mb);
criterion_main!(benches);
