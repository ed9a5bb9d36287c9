//! Lookup speed of `course_lib::partition`: keys placed per second by jump hash and by the
//! consistent-hash ring, beside a `BTreeMap` range lookup over the same ring tokens (what a
//! ring is, written with the standard library's ordered map) and two baselines.
//!
//! Run with `cargo bench -p course_lib --bench partition`. Criterion reports `Melem/s`, one
//! element per key looked up. Every case looks up the same 65 536 keys, so one run compares
//! them: jump hash (100 and 1 000 buckets, no state, about ln n + 1 loop iterations each with a
//! floating-point division), the ring (100 nodes × 100 tokens: a binary search over 10 000
//! sorted positions, in cache; 1 000 × 1 000: a million positions, 8 MB, as in Lamping &
//! Veach's comparison, where cache misses dominate), the `BTreeMap` over the same tokens
//! (`range(pos..).next()` with wrap-around), mod N, and rendezvous (100 nodes: 100 hashes per
//! key).

use std::collections::BTreeMap;
use std::hint::black_box;

use course_lib::partition::{jump_hash, key_hash, HashRing, ModN, Partitioner, Rendezvous};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const KEYS: u64 = 1 << 16;

/// The ring's tokens in a `BTreeMap` (position → node) and the node of the first position.
fn token_map(ring: &HashRing, nodes: usize) -> (BTreeMap<u64, usize>, usize) {
    let mut tokens: BTreeMap<u64, usize> = BTreeMap::new();
    for node in 0..nodes {
        for t in ring.tokens_of(node).unwrap() {
            tokens.entry(t).or_insert(node);
        }
    }
    let first = *tokens.values().next().unwrap();
    (tokens, first)
}

fn map_owner(tokens: &BTreeMap<u64, usize>, first: usize, key: u64) -> usize {
    tokens.range(key_hash(key)..).next().map_or(first, |(_, &n)| n)
}

fn lookups(c: &mut Criterion) {
    let keys: Vec<u64> = (0..KEYS).map(|k| k.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
    let mod_n = ModN::new(100).unwrap();
    let hrw = Rendezvous::new(100, 14).unwrap();
    let mut group = c.benchmark_group("partition_lookup");
    group.throughput(Throughput::Elements(KEYS));
    for buckets in [100u32, 1_000] {
        group.bench_function(format!("jump_hash_{buckets}_buckets"), |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for &k in black_box(&keys) {
                    acc = acc.wrapping_add(u64::from(jump_hash(key_hash(k), buckets).unwrap()));
                }
                acc
            })
        });
    }
    for (nodes, vnodes) in [(100usize, 100usize), (1_000, 1_000)] {
        let ring = HashRing::new(nodes, vnodes, 14).unwrap();
        let (tokens, first) = token_map(&ring, nodes);
        // the map answers exactly as the ring does
        assert!(keys.iter().take(2_000).all(|&k| map_owner(&tokens, first, k) == ring.owner(k)));
        group.bench_function(format!("hash_ring_owner_{nodes}x{vnodes}"), |b| {
            b.iter(|| {
                let mut acc = 0usize;
                for &k in black_box(&keys) {
                    acc = acc.wrapping_add(ring.owner(k));
                }
                acc
            })
        });
        group.bench_function(format!("btreemap_range_{nodes}x{vnodes}"), |b| {
            b.iter(|| {
                let mut acc = 0usize;
                for &k in black_box(&keys) {
                    acc = acc.wrapping_add(map_owner(&tokens, first, k));
                }
                acc
            })
        });
    }
    group.bench_function("mod_n_100", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for &k in black_box(&keys) {
                acc = acc.wrapping_add(mod_n.node_of(k));
            }
            acc
        })
    });
    group.bench_function("rendezvous_100", |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for &k in black_box(&keys) {
                acc = acc.wrapping_add(hrw.owner(k));
            }
            acc
        })
    });
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
