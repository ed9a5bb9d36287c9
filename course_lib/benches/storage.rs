//! Speed of `course_lib::storage`: WAL appends (encode + CRC-32C + write to the simulated disk)
//! with an fsync after every record and with group commit of 64, and crc32c over 4 KiB.
//!
//! Run with `cargo bench -p course_lib --bench storage`. Criterion reports elements (records)
//! or bytes per wall-clock second; the simulated throughput of the same appends (what a real
//! disk would allow under the cost model) is printed once before the benchmarks.

use std::hint::black_box;

use course_lib::storage::{crc32c, group_commit, CostModel, Store, StoreConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const RECORDS: u64 = 10_000;

fn appends(c: &mut Criterion) {
    for (name, cost) in [("hdd", CostModel::hdd()), ("ssd", CostModel::ssd())] {
        for p in group_commit(&[1, 64], cost, RECORDS as usize).unwrap() {
            println!("simulated {name}, batch {}: {:.0} records/s", p.batch, p.records_per_s);
        }
    }
    let mut group = c.benchmark_group("wal_append");
    group.throughput(Throughput::Elements(RECORDS));
    for batch in [1usize, 64] {
        group.bench_function(format!("batch_{batch}"), |b| {
            b.iter(|| {
                let cfg = StoreConfig::default().batch(batch).checkpoint_every(usize::MAX);
                let mut store = Store::new(cfg).unwrap();
                for i in 0..RECORDS {
                    store.put((i % 64) as u32, black_box(i as i64));
                }
                store.durable_lsn()
            })
        });
    }
    group.finish();
    let data: Vec<u8> = (0..4096u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut group = c.benchmark_group("crc32c");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function("4KiB", |b| b.iter(|| crc32c(black_box(&data))));
    group.finish();
}

criterion_group!(benches, appends);
criterion_main!(benches);
