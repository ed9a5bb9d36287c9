//! Unit and property tests of the partition module. The public contract, the closed forms
//! against simulation and the published numbers are in `tests/partition_contract.rs`.

use super::*;
use crate::Error;

const SCHEMES: [Scheme; 4] = [
    Scheme::Ring { vnodes: 32 },
    Scheme::Jump,
    Scheme::Rendezvous,
    Scheme::Directory { slots: 256 },
];

#[test]
fn a_ring_token_depends_only_on_seed_node_and_index() {
    for seed in 0..20 {
        let small = HashRing::new(5, 16, seed).unwrap();
        let large = HashRing::new(9, 16, seed).unwrap();
        let more_tokens = HashRing::new(5, 32, seed).unwrap();
        let sparse = HashRing::with_members(&[3, 40, 7], 16, seed).unwrap();
        for i in 0..5 {
            let t = small.tokens_of(i).unwrap();
            assert_eq!(t, large.tokens_of(i).unwrap(), "seed {seed}, node {i}");
            assert_eq!(t[..], more_tokens.tokens_of(i).unwrap()[..16], "seed {seed}, node {i}");
        }
        assert_eq!(sparse.tokens_of(3).unwrap(), small.tokens_of(3).unwrap());
        assert_ne!(
            small.tokens_of(0).unwrap(),
            HashRing::new(5, 16, seed + 1).unwrap().tokens_of(0).unwrap()
        );
    }
}

#[test]
fn growing_a_ring_moves_keys_only_to_the_new_node_and_shrinking_only_the_leavers_keys() {
    // property over seeds and sizes: monotonicity (Karger et al. 1997)
    for seed in 0..30 {
        for n in [1usize, 2, 5, 13] {
            let small = HashRing::new(n, 8, seed).unwrap();
            let mut grown = small.clone();
            grown.add_node(n).unwrap();
            assert_eq!(grown, HashRing::new(n + 1, 8, seed).unwrap(), "add_node = a bigger ring");
            let mut shrunk = grown.clone();
            shrunk.remove_node(n).unwrap();
            assert_eq!(shrunk, small, "remove_node undoes add_node");
            for key in 0..2_000u64 {
                let (a, b) = (small.owner(key), grown.owner(key));
                assert!(a == b || b == n, "seed {seed}, n {n}, key {key}: {a} → {b}");
            }
        }
    }
}

#[test]
fn ring_shares_sum_to_one_and_match_the_keys_they_own() {
    for (n, k) in [(1, 1), (1, 5), (2, 1), (7, 3), (10, 100)] {
        let ring = HashRing::new(n, k, 5).unwrap();
        let shares = ring.load_shares();
        assert_eq!(shares.len(), n);
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{shares:?}");
        let keys = 200_000u64;
        let counted = node_loads(&ring, &KeyLoad::uniform(keys).unwrap());
        for (s, c) in shares.iter().zip(&counted) {
            // binomial sampling error: sd = √(s(1 − s)/keys) ≤ 0.0012; 5 sd
            assert!((s - c).abs() < 0.006, "n {n}, k {k}: share {s}, keys {c}");
        }
    }
}

#[test]
fn ring_errors_name_the_parameter() {
    assert!(HashRing::new(0, 4, 1).unwrap_err().to_string().starts_with("nodes = 0"));
    assert!(HashRing::new(3, 0, 1).unwrap_err().to_string().starts_with("vnodes_per_node = 0"));
    assert!(matches!(HashRing::with_members(&[], 4, 1), Err(Error::Empty { .. })));
    let e = HashRing::with_members(&[1, 2, 1], 4, 1).unwrap_err().to_string();
    assert!(e.contains("node 1 appears twice"), "{e}");
    let e = HashRing::new(10_000, 10_000, 1).unwrap_err().to_string();
    assert!(e.contains("at most"), "{e}");
    let mut ring = HashRing::new(2, 4, 1).unwrap();
    assert!(ring.add_node(1).unwrap_err().to_string().contains("already a member"));
    assert!(ring.remove_node(5).unwrap_err().to_string().contains("not a member"));
    ring.remove_node(0).unwrap();
    assert!(ring.remove_node(1).unwrap_err().to_string().contains("last member"));
    assert!(ring.preference_list(3, 2).unwrap_err().to_string().starts_with("r = 2"));
}

#[test]
fn preference_lists_and_rankings_are_distinct_and_start_with_the_owner() {
    let ring = HashRing::new(6, 16, 2).unwrap();
    let hrw = Rendezvous::new(6, 2).unwrap();
    for key in 0..1_000 {
        let pl = ring.preference_list(key, 3).unwrap();
        assert_eq!(pl[0], ring.owner(key));
        let rk = hrw.ranking(key, 6).unwrap();
        assert_eq!(rk[0], hrw.owner(key));
        let mut sorted = rk.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..6).collect::<Vec<_>>());
        assert!(pl[0] != pl[1] && pl[1] != pl[2] && pl[0] != pl[2]);
    }
    assert!(hrw.ranking(1, 7).is_err());
}

#[test]
fn rendezvous_is_consistent_for_any_join_or_leave() {
    for seed in 0..20 {
        let p = Rendezvous::new(8, seed).unwrap();
        for leaving in [0, 3, 7] {
            let mut q = p.clone();
            q.remove_node(leaving).unwrap();
            let mut back = q.clone();
            back.add_node(leaving).unwrap();
            assert_eq!(back, p);
            for key in 0..1_000 {
                let (a, b) = (p.owner(key), q.owner(key));
                assert!(a == b || a == leaving, "seed {seed}: key {key} moved {a} → {b}");
                // its new owner is its second choice
                if a == leaving {
                    assert_eq!(b, p.ranking(key, 2).unwrap()[1]);
                }
            }
        }
    }
}

#[test]
fn jump_placement_leaves_its_number_to_the_last_node() {
    let mut p = JumpHash::new(5).unwrap();
    let before: Vec<usize> = (0..5_000).map(|k| p.node_of(k)).collect();
    p.remove_node(4).unwrap(); // the last one: only its keys move
    for (k, &b) in before.iter().enumerate() {
        assert!(b == 4 || p.node_of(k as u64) == b);
    }
    p.remove_node(0).unwrap(); // node 3 (now last) takes bucket 0
    assert_eq!(p.members(), &[3, 1, 2]);
    assert!(JumpHash::new(0).is_err());
    assert!(JumpHash::with_members(&[2, 2]).is_err());
}

#[test]
fn mod_n_keeps_gcd_over_max_of_the_keys() {
    for (a, b) in [(10usize, 11usize), (10, 12), (12, 8), (6, 9), (7, 7), (4, 2)] {
        let m = keys_moved(Scheme::ModN, a, Change::ResizeTo(b), 60_000, 1).unwrap();
        let want = Scheme::ModN.expected_moved(a, Change::ResizeTo(b)).unwrap().unwrap();
        let g = (1..=a.min(b)).rev().find(|d| a % d == 0 && b % d == 0).unwrap();
        assert!((want - (1.0 - g as f64 / a.max(b) as f64)).abs() < 1e-12);
        // binomial sd ≤ √(0.25/60 000) = 0.002; 5 sd
        assert!((m.moved_fraction() - want).abs() < 0.01, "{a} → {b}: {m:?}");
    }
}

#[test]
fn consistent_schemes_never_move_a_key_needlessly() {
    // property: for every seed, size and kind of change, needless = 0 and the moved fraction is
    // near the minimum; mod N fails the same check
    for seed in 0..8 {
        for n in [2usize, 5, 10] {
            let changes =
                [Change::Join, Change::LeaveLast, Change::Leave(0), Change::ResizeTo(n + 3)];
            for change in changes {
                for scheme in SCHEMES {
                    if scheme == Scheme::Jump && change == Change::Leave(0) {
                        continue; // jump hash: only the last bucket leaves cleanly (tested above)
                    }
                    let m = keys_moved(scheme, n, change, 4_000, seed).unwrap();
                    assert_eq!(m.needless, 0, "{scheme}, n {n}, {change}, seed {seed}");
                    // receivers: only new nodes on a join
                    if matches!(change, Change::Join) {
                        assert!(m.received.iter().all(|&(id, c)| id == n || c == 0));
                    }
                }
                // mod N moves keys between survivors whenever two or more nodes remain
                let m = keys_moved(Scheme::ModN, n, change, 4_000, seed).unwrap();
                assert_eq!(m.needless > 0, m.nodes_after >= 2, "mod N, n {n}, {change}");
            }
        }
    }
}

#[test]
fn the_movement_check_catches_both_planted_ring_bugs() {
    for bug in [RingBug::EvenlySpaced, RingBug::ReseededPerSize] {
        for seed in 0..5 {
            let m =
                keys_moved(Scheme::BuggyRing { vnodes: 64, bug }, 10, Change::Join, 20_000, seed)
                    .unwrap();
            assert!(m.needless_fraction() > 0.2, "{bug}, seed {seed}: {m:?}");
            assert!(m.moved_fraction() > 3.0 * m.minimum_fraction(), "{bug}");
        }
    }
    // … and why a balance check alone would not: the evenly spaced ring is perfectly balanced
    let even = HashRing::with_bug(10, 64, 1, RingBug::EvenlySpaced).unwrap();
    for s in even.load_shares() {
        assert!((s - 0.1).abs() < 1e-9, "{s}");
    }
    let honest = Imbalance::of(&HashRing::new(10, 64, 1).unwrap().load_shares()).unwrap();
    assert!(honest.max_over_mean > 1.05);
}

#[test]
fn a_leaving_nodes_load_is_dispersed_over_the_others_only_with_virtual_nodes() {
    // Dynamo §4.2: "if a node becomes unavailable ... the load handled by this node is evenly
    // dispersed across the remaining available nodes" (with virtual nodes); with one token
    // each, all of it falls on the next node clockwise
    for seed in 0..10 {
        let one =
            keys_moved(Scheme::Ring { vnodes: 1 }, 10, Change::Leave(4), 20_000, seed).unwrap();
        assert!(one.receivers() <= 1, "seed {seed}: {one:?}");
        let many =
            keys_moved(Scheme::Ring { vnodes: 256 }, 10, Change::Leave(4), 20_000, seed).unwrap();
        assert_eq!(many.receivers(), 9, "seed {seed}");
        // with 256 tokens the next token after each of node 4's is a random survivor's: each
        // survivor takes ~1/9 of the orphans (a compound sum with CV ≈ 0.26), never a quarter
        let orphans = many.moved as f64;
        let busiest = many.received.iter().map(|r| r.1).max().unwrap() as f64;
        assert!(busiest < 0.25 * orphans, "seed {seed}: {:?}", many.received);
    }
}

#[test]
fn a_directory_of_equal_slots_balances_better_than_a_ring_with_as_many_tokens() {
    // Dynamo §6.2: strategy 3 (Q equal-sized partitions, Q/S per node) balances better than
    // random tokens; here Q = 1 024 slots vs 102 random tokens per node, 10 nodes
    let dir = Directory::new(10, 1_024).unwrap();
    let counts: Vec<f64> = dir.slot_counts().iter().map(|&c| c as f64).collect();
    let d = Imbalance::of(&counts).unwrap();
    assert!(d.max_over_mean <= 103.0 / 102.4 + 1e-12, "{d:?}");
    for seed in 0..20 {
        let r = Imbalance::of(&HashRing::new(10, 102, seed).unwrap().load_shares()).unwrap();
        assert!(r.max_over_mean > d.max_over_mean, "seed {seed}");
    }
}

#[test]
fn a_directory_join_moves_the_minimum_and_keeps_counts_within_one() {
    for (n, q) in [(1usize, 16usize), (3, 16_384), (7, 1_000), (10, 10)] {
        let mut d = Directory::new(n, q).unwrap();
        d.add_node(n).unwrap();
        assert_eq!(d.moves().len(), q / (n + 1));
        assert!(d.moves().iter().all(|m| m.to == n));
        let c = d.slot_counts();
        let (lo, hi) = (c.iter().min().unwrap(), c.iter().max().unwrap());
        assert!(hi - lo <= 1, "n {n}, q {q}: {c:?}");
        let v = d.version();
        d.remove_node(1).unwrap();
        assert!(d.moves_since(v).iter().all(|m| m.from == 1));
        let c = d.slot_counts();
        assert!(c.iter().max().unwrap() - c.iter().min().unwrap() <= 1, "{c:?}");
        assert_eq!(c.iter().sum::<usize>(), q);
    }
    assert!(Directory::new(3, 0).unwrap_err().to_string().starts_with("slots = 0"));
    let mut d = Directory::new(2, 8).unwrap();
    assert!(d.move_slot(8, 0).is_err());
    assert!(d.move_slot(0, 5).unwrap_err().to_string().contains("not a member"));
    d.move_slot(0, 0).unwrap();
    assert_eq!(d.version(), 0, "a no-op move is not a version");
}

#[test]
fn a_cached_client_is_redirected_once_per_moved_slot_it_touches() {
    let mut d = Directory::new(4, 64).unwrap();
    let mut c = CachedClient::new(&d);
    let keys: Vec<u64> = (0..5_000).collect();
    for &k in &keys {
        assert_eq!(c.route(k, &d), Route { node: d.node_of(k), hops: 1, reloaded: false });
    }
    d.add_node(4).unwrap();
    let moved: std::collections::BTreeSet<usize> = d.moves().iter().map(|m| m.slot).collect();
    let touched: std::collections::BTreeSet<usize> = keys.iter().map(|&k| d.slot_of(k)).collect();
    for &k in &keys {
        assert_eq!(c.route(k, &d).node, d.node_of(k));
    }
    assert_eq!(c.redirects() as usize, moved.intersection(&touched).count());
    assert_eq!(c.reloads(), 0);
    // a node leaves: the client finds its node gone and reloads once, then all is fresh
    d.remove_node(2).unwrap();
    let mut reloaded = 0;
    for &k in &keys {
        let r = c.route(k, &d);
        assert_eq!(r.node, d.node_of(k));
        reloaded += u32::from(r.reloaded);
    }
    assert_eq!(reloaded, 1);
    assert_eq!(c.version(), d.version());
}

#[test]
fn range_tables_check_their_ranges_and_find_keys() {
    let t = RangeTable::even(4, 100).unwrap();
    assert_eq!(t.ranges().iter().map(|r| r.start).collect::<Vec<_>>(), vec![0, 25, 50, 75]);
    assert_eq!(t.ranges()[3].end, None);
    for key in [0u64, 24, 25, 99, 100, u64::MAX] {
        let r = t.ranges()[t.range_of(key)];
        assert!(r.contains(key), "{key} in {r}");
        assert_eq!(t.node_of(key), r.node);
    }
    let e = RangeTable::from_starts(2, &[(0, 0), (10, 1), (10, 0)]).unwrap_err().to_string();
    assert!(e.contains("strictly increase"), "{e}");
    let e = RangeTable::from_starts(2, &[(0, 0), (10, 2)]).unwrap_err().to_string();
    assert!(e.contains("unknown node n2 in range 1"), "{e}");
    assert!(RangeTable::from_starts(2, &[]).is_err());
    assert!(RangeTable::even(5, 4).is_err());
    let mut t = RangeTable::from_starts(2, &[(0, 0)]).unwrap();
    assert_eq!(t.split(50).unwrap(), 1);
    assert!(t.split(50).is_err());
    t.assign(1, 1).unwrap();
    assert!(t.assign(2, 0).is_err() && t.assign(0, 2).is_err());
    assert_eq!((t.node_of(49), t.node_of(50)), (0, 1));
    let load = KeyLoad::uniform(100).unwrap();
    assert!(t.range_loads(&load).iter().all(|l| (l - 0.5).abs() < 1e-12));
    assert_eq!(t.node_loads(&load), node_loads(&t, &load));
}

#[test]
fn splitting_cools_a_hot_spot_but_not_a_hot_key() {
    let load = Zipf::new(10_000, 1.0).load().unwrap();
    let table = RangeTable::even(8, 10_000).unwrap();
    let report = Splitter::new(0.05).run(&table, &load).unwrap();
    assert_eq!(report.before, table.node_loads(&load));
    assert!((report.after.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    // every range ends at or below the threshold, except single hot keys
    for (r, l) in report.table.range_loads(&load).into_iter().enumerate() {
        let range = report.table.ranges()[r];
        if l > 0.05 {
            assert!(report.hot_keys.iter().any(|h| range.contains(h.0) && (h.1 - l).abs() < 1e-12));
        }
    }
    assert_eq!(report.hot_keys.iter().map(|h| h.0).collect::<Vec<_>>(), vec![0, 1]);
    let after = Imbalance::of(&report.after).unwrap();
    assert!(after.max <= 1.1 * placement_lower_bound(&load, 8).unwrap(), "{after:?}");
    // without moves, splits change nothing for the nodes
    let still = Splitter::new(0.05).rebalance(false).run(&table, &load).unwrap();
    assert!(still.moves.is_empty());
    for (a, b) in still.after.iter().zip(&still.before) {
        assert!((a - b).abs() < 1e-12);
    }
    // a single key above 1/n: the busiest node can do no better than that key
    let hot = Zipf::new(10_000, 1.5).load().unwrap();
    let r = Splitter::new(0.05).run(&table, &hot).unwrap();
    let top = hot.hottest();
    assert_eq!(r.hot_keys[0], top);
    assert!((Imbalance::of(&r.after).unwrap().max - top.1).abs() < 1e-12);
    // keys that weigh nothing are no reason to split: the two loaded keys are isolated, then
    // reported, and splitting stops well before the cap
    let sparse = KeyLoad::from_weights([(0, 1.0), (1, 0.0), (2, 0.0), (5, 1.0), (6, 0.0)]).unwrap();
    let one = RangeTable::from_starts(2, &[(0, 0)]).unwrap();
    let r = Splitter::new(0.3).run(&one, &sparse).unwrap();
    assert_eq!(r.hot_keys, vec![(0, 0.5), (5, 0.5)]);
    assert_eq!(r.splits.len(), 1, "{:?}", r.splits);
    assert_eq!(r.after, vec![0.5, 0.5]);
    // parameters are checked when the splitter runs
    assert!(Splitter::new(0.0)
        .run(&table, &load)
        .unwrap_err()
        .to_string()
        .starts_with("max_range_load"));
    assert!(Splitter::new(1.5).run(&table, &load).is_err());
    assert!(Splitter::new(0.1).max_ranges(3).run(&table, &load).is_err());
    let capped = Splitter::new(0.01).max_ranges(12).run(&table, &load).unwrap();
    assert_eq!(capped.table.range_count(), 12);
    assert_eq!(capped.splits.len(), 4);
}

#[test]
fn zipf_weights_samples_and_shuffles() {
    let z = Zipf::new(100, 1.2);
    let load = z.load().unwrap();
    let h: f64 = (1..=100).map(|r| (r as f64).powf(-1.2)).sum();
    for r in 1..=100u64 {
        assert!((load.weight(r - 1) - (r as f64).powf(-1.2) / h).abs() < 1e-12);
    }
    let shuffled = z.clone().shuffled(3).load().unwrap();
    let mut a = load.weights().to_vec();
    let mut b = shuffled.weights().to_vec();
    assert_ne!(a, b);
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    assert_eq!(a, b, "a shuffle permutes the same weights");
    // samples: each key's frequency within 5 sd of its weight
    let n = 200_000;
    let sample = KeyLoad::from_requests(&z.clone().shuffled(3).sample(n, 9).unwrap()).unwrap();
    for (k, w) in shuffled.iter() {
        let sd = (w * (1.0 - w) / n as f64).sqrt();
        assert!((sample.weight(k) - w).abs() < 5.0 * sd + 1e-9, "key {k}");
    }
    assert_eq!(z.sample(5, 1).unwrap(), z.sample(5, 1).unwrap());
    assert!(Zipf::new(10, f64::NAN).load().unwrap_err().to_string().starts_with("s = NaN"));
    assert!(Zipf::new(0, 1.0).sample(3, 1).is_err());
    let uniform = Zipf::new(4, 0.0).load().unwrap();
    assert_eq!(uniform.weights(), &[0.25; 4]);
}

#[test]
fn key_loads_and_imbalance_check_their_input() {
    let l = KeyLoad::from_weights([(5, 2.0), (1, 1.0), (5, 1.0)]).unwrap();
    assert_eq!(l.keys(), &[1, 5]);
    assert_eq!(l.weights(), &[0.25, 0.75]);
    assert_eq!(l.share_between(2, None), 0.75);
    assert_eq!(l.share_between(0, Some(5)), 0.25);
    assert!(KeyLoad::from_weights([(1, -1.0)]).unwrap_err().to_string().starts_with("weights[0]"));
    assert!(matches!(KeyLoad::from_weights([(1, 0.0)]), Err(Error::Empty { .. })));
    assert!(KeyLoad::from_requests(&[]).is_err());
    assert!(KeyLoad::uniform(0).is_err());
    assert!(matches!(Imbalance::of(&[]), Err(Error::Empty { .. })));
    assert!(Imbalance::of(&[1.0, f64::NAN]).unwrap_err().to_string().starts_with("loads[1]"));
    assert!(Imbalance::of(&[0.0, 0.0]).is_err());
    let i = Imbalance::of(&[1.0, 3.0]).unwrap();
    assert_eq!((i.max_over_mean, i.cv, i.min, i.max), (1.5, 0.5, 1.0, 3.0));
}

#[test]
fn changes_check_their_node_numbers() {
    assert_eq!(Change::Join.nodes_after(3).unwrap(), 4);
    assert!(Change::Leave(3)
        .nodes_after(3)
        .unwrap_err()
        .to_string()
        .starts_with("leaving node = 3"));
    assert!(Change::LeaveLast.nodes_after(1).is_err());
    assert!(Change::ResizeTo(0).nodes_after(3).is_err());
    assert!(keys_moved(Scheme::Jump, 0, Change::Join, 10, 1).is_err());
    assert!(keys_moved(Scheme::Jump, 3, Change::Join, 0, 1).is_err());
    assert_eq!(Scheme::Ring { vnodes: 8 }.to_string(), "ring, 8 token(s)/node");
    assert_eq!(Change::Leave(2).to_string(), "node 2 leaves");
}

#[test]
fn every_placement_is_a_pure_function_of_its_seed() {
    for scheme in SCHEMES {
        let a = scheme.build(7, 11).unwrap();
        let b = scheme.build(7, 11).unwrap();
        assert!((0..2_000).all(|k| a.node_of(k) == b.node_of(k)), "{scheme}");
    }
    assert_eq!(ring_imbalance(5, 4, 10, 3).unwrap(), ring_imbalance(5, 4, 10, 3).unwrap());
}
