//! The public contract of `course_lib::ids` as issue 7 names it: exact names and signatures,
//! published numbers, and what bad input returns.

use course_lib::ids::{
    collision_probability, ids_for_collision_probability, uuid_v4, uuid_v7, Snowflake,
    TicketCluster, UuidV7Generator,
};
use course_lib::rng::SimRng;

#[test]
fn contract_signatures() {
    let p: f64 = collision_probability(1e6_f64, 64_u32);
    let n: f64 = ids_for_collision_probability(p, 64_u32);
    assert!((n / 1e6 - 1.0).abs() < 1e-9);
    assert_eq!(Snowflake::TWITTER_EPOCH_MS, 1288834974657_u64);
}

#[test]
fn birthday_bound_published_values() {
    // 64-bit IDs: 50 % at about 5.06e9 (Wikipedia, "Birthday attack", table row 64 bits)
    let n = ids_for_collision_probability(0.5, 64);
    assert!((n / 5.1e9 - 1.0).abs() < 0.01, "{n}");
    // UUIDv4: 2.71e18 for 50 % (Wikipedia, "Universally unique identifier" § Collisions)
    assert!((ids_for_collision_probability(0.5, 122) / 2.71e18 - 1.0).abs() < 0.002);
    // numerically stable: probability 1e-30 keeps its digits
    let tiny = collision_probability(2f64.powi(14), 128);
    let x = 2f64.powi(14) * (2f64.powi(14) - 1.0) / 2f64.powi(129);
    assert!((tiny / x - 1.0).abs() < 1e-12);
}

#[test]
fn bad_input_returns_nan() {
    assert!(collision_probability(10.0, 0).is_nan());
    assert!(collision_probability(10.0, 129).is_nan());
    assert!(collision_probability(-3.0, 32).is_nan());
    assert!(ids_for_collision_probability(0.0, 32).is_nan());
    assert!(ids_for_collision_probability(1.0, 32).is_nan());
    assert!(ids_for_collision_probability(0.5, 0).is_nan());
    assert!(ids_for_collision_probability(0.5, 200).is_nan());
    assert!(collision_probability(10.0, 128).is_finite());
}

#[test]
fn real_tweet_id_decodes() {
    // Wikipedia, "Snowflake ID", § Example: 1541815603606036480 was tweeted by @Wikipedia at
    // 2022-06-28 16:07:40.105 UTC.
    let d = Snowflake::decode(1541815603606036480);
    assert_eq!(d.unix_ms, 1656432460105);
    assert_eq!(d.sequence, 0);
}

#[test]
fn generated_ids_are_layout_correct() {
    let mut rng = SimRng::new(1);
    let v4 = uuid_v4(&mut rng);
    assert_eq!((v4.version(), v4.is_rfc_variant()), (4, true));
    let v7 = uuid_v7(1_700_000_000_000, &mut rng).unwrap();
    assert_eq!((v7.version(), v7.unix_ms()), (7, Some(1_700_000_000_000)));
    let mut g = UuidV7Generator::new(1);
    let a = g.next(5).unwrap();
    let b = g.next(5).unwrap();
    assert!(a < b);
    let mut tickets = TicketCluster::new(2).unwrap();
    let ids: Vec<u64> = (0..4).map(|_| tickets.next_ticket().unwrap().1).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
}
