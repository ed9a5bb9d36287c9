//! Properties of the simulator that every later module relies on: determinism, partitions,
//! crash semantics, loss/duplication rates, FIFO links, timers and bad input.

use course_lib::dist::Dist;
use course_lib::sim::demo::{Gossip, PingPong, Relay};
use course_lib::sim::{
    Ctx, DropReason, FaultSchedule, Link, Network, Node, NodeId, SimBuilder, Simulation, TraceKind,
};
use course_lib::Error;
use proptest::prelude::*;

fn relay_sim(seed: u64, faults: FaultSchedule, loss: f64) -> Simulation<Relay> {
    // 20 balls per node: enough that loss and partitions never kill them all in 400 ms
    let net = Network::new(Dist::exponential_mean(2.0).unwrap()).with_loss(loss);
    SimBuilder::new(seed)
        .network(net)
        .faults(faults)
        .trace(true)
        .build(Relay::cluster(5, 20))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Same seed and configuration → identical trace, event for event; also with random
    /// crashes and partitions in the schedule.
    #[test]
    fn same_seed_same_trace(seed in any::<u64>()) {
        let faults = FaultSchedule::random(5, 300.0, 2, 2, 40.0, 60.0,
            &mut course_lib::rng::SimRng::new(seed ^ 0xFA)).unwrap();
        let mut a = relay_sim(seed, faults.clone(), 0.01);
        let mut b = relay_sim(seed, faults, 0.01);
        a.run_until_ms(400.0);
        b.run_until_ms(400.0);
        prop_assert!(a.trace().len() > 100);
        prop_assert_eq!(a.trace().digest(), b.trace().digest());
        prop_assert_eq!(a.trace().render(usize::MAX), b.trace().render(usize::MAX));
        prop_assert_eq!(a.stats(), b.stats());
    }

    /// While a partition is active no message crosses it.
    #[test]
    fn partitions_cut_every_crossing_message(seed in any::<u64>(), split in 1usize..5) {
        let (from, until) = (50.0, 150.0);
        let left: Vec<usize> = (0..split).collect();
        let right: Vec<usize> = (split..5).collect();
        let faults = FaultSchedule::new().partition(vec![left.clone(), right], from, until);
        let mut sim = relay_sim(seed, faults, 0.0);
        sim.run_until_ms(250.0);
        let side = |n: NodeId| left.contains(&n.0);
        let mut cut = 0;
        for e in sim.trace().events() {
            let t = e.time.as_ms();
            match &e.kind {
                TraceKind::Deliver { from: a, to: b, .. } if side(*a) != side(*b) => {
                    prop_assert!(!(from..until).contains(&t), "delivered across the partition at {t} ms");
                }
                TraceKind::Drop { reason: DropReason::Partition, from: a, to: b, .. } => {
                    prop_assert!(side(*a) != side(*b));
                    prop_assert!((from..=until).contains(&t));
                    cut += 1;
                }
                _ => {}
            }
        }
        prop_assert!(cut > 0, "a 100 ms partition of a busy cluster cut nothing");
        prop_assert_eq!(cut, sim.stats().cut);
        // after healing, traffic crosses again
        // (relay balls that hit the partition are gone; healing is tested with retries below)
    }

    /// A crashed node runs no handler until it restarts; its timers set before the crash
    /// never fire after it.
    #[test]
    fn crashed_nodes_do_nothing(seed in any::<u64>(), node in 0usize..5) {
        let faults = FaultSchedule::new().crash(node, 60.0).restart(node, 160.0);
        let mut sim = relay_sim(seed, faults, 0.0);
        sim.run_until_ms(300.0);
        let mut after_restart = 0;
        for e in sim.trace().events() {
            let t = e.time.as_ms();
            let handled_by = match &e.kind {
                TraceKind::Deliver { to, .. } => Some(to.0),
                TraceKind::Timer { node, .. } | TraceKind::Request { node, .. } => Some(node.0),
                _ => None,
            };
            if handled_by == Some(node) {
                prop_assert!(!(60.0..160.0).contains(&t), "n{node} handled an event at {t} ms while down");
                if t >= 160.0 { after_restart += 1; }
            }
        }
        prop_assert!(after_restart > 0, "n{node} never worked again after its restart");
        prop_assert!(sim.stats().to_crashed > 0);
        prop_assert_eq!(sim.stats().crashes, 1);
        prop_assert_eq!(sim.stats().restarts, 1);
    }

    /// The fraction of messages lost matches the link's loss probability.
    #[test]
    fn loss_rate_matches_probability(seed in any::<u64>(), loss in 0.0f64..0.6) {
        let mut sim = SimBuilder::new(seed)
            .network(Network::new(Dist::constant(1.0).unwrap()).with_loss(loss))
            .build(Relay::cluster(4, 400)).unwrap();
        // each lost ball is gone for good, so count over the first sends only
        sim.run_until_ms(0.5);
        let s = sim.stats();
        let n = s.sent as f64;
        let observed = s.lost as f64 / n;
        let sd = (loss * (1.0 - loss) / n).sqrt();
        prop_assert!((observed - loss).abs() <= 5.0 * sd + 1e-9,
            "loss {loss}: observed {observed} over {n} messages");
    }

    /// Duplication produces extra deliveries at the configured rate.
    #[test]
    fn duplication_rate_matches_probability(seed in any::<u64>(), dup in 0.0f64..0.5) {
        let net = Network::new(Dist::constant(1.0).unwrap()).with_duplicate(dup);
        let mut sim = SimBuilder::new(seed).network(net).build(Relay::cluster(4, 400)).unwrap();
        sim.run_until_ms(0.5);
        let s = sim.stats();
        let n = s.sent as f64;
        let observed = s.duplicated as f64 / n;
        let sd = (dup * (1.0 - dup) / n).sqrt();
        prop_assert!((observed - dup).abs() <= 5.0 * sd + 1e-9);
    }
}

/// A node that sends numbered messages to n1 in a burst and records the arrival order.
struct Burst {
    count: u64,
    arrived: Vec<u64>,
}
impl Node for Burst {
    type Msg = u64;
    type Timer = ();
    type Request = ();
    type Response = ();
    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if ctx.id().0 == 0 {
            for k in 0..self.count {
                ctx.send(NodeId(1), k);
            }
        }
    }
    fn on_message(&mut self, _: &mut Ctx<Self>, _: NodeId, k: u64) {
        self.arrived.push(k);
    }
    fn restarted(&self) -> Self {
        Burst { count: self.count, arrived: vec![] }
    }
}

fn burst(fifo: bool, seed: u64) -> Vec<u64> {
    let net = Network::new(Dist::exponential_mean(10.0).unwrap()).with_fifo(fifo);
    let nodes = (0..2).map(|_| Burst { count: 200, arrived: vec![] }).collect();
    let mut sim = SimBuilder::new(seed).network(net).build(nodes).unwrap();
    sim.run_until_ms(10_000.0);
    sim.node(1).unwrap().arrived.clone()
}

#[test]
fn fifo_links_keep_order_and_others_reorder() {
    for seed in 0..20 {
        let fifo = burst(true, seed);
        assert_eq!(fifo, (0..200).collect::<Vec<_>>(), "seed {seed}");
        let loose = burst(false, seed);
        assert_eq!(loose.len(), 200);
        assert_ne!(
            loose,
            (0..200).collect::<Vec<_>>(),
            "seed {seed}: random delays never reordered"
        );
    }
}

#[test]
fn link_override_applies_to_one_direction() {
    let net = Network::new(Dist::constant(1.0).unwrap()).with_link(
        0,
        1,
        Link::new(Dist::constant(50.0).unwrap()),
    );
    let nodes = PingPong::pair_with_timeout(1, 500.0);
    let mut sim = SimBuilder::new(1).network(net).trace(true).build(nodes).unwrap();
    sim.run_until_ms(100.0);
    let times: Vec<f64> = sim
        .trace()
        .events()
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Deliver { .. }))
        .map(|e| e.time.as_ms())
        .collect();
    assert_eq!(times, vec![50.0, 51.0]); // ping takes 50 ms, pong 1 ms
}

#[test]
fn volatile_state_is_lost_and_durable_state_survives() {
    // PingPong keeps nothing: a restarted pinger starts its rounds again.
    let faults = FaultSchedule::new().crash(0, 5.5).restart(0, 100.0);
    let mut sim = SimBuilder::new(3).faults(faults).build(PingPong::pair(1000)).unwrap();
    sim.run_until_ms(105.0);
    let p = sim.node(0).unwrap();
    assert!(p.completed() <= 3, "completed {} — counted across the crash", p.completed());
    // Gossip keeps its rumours: a node that crashed after hearing one still knows it.
    let faults = FaultSchedule::new().crash(2, 10.0).restart(2, 20.0);
    let mut sim = SimBuilder::new(3).faults(faults).build(Gossip::cluster(3)).unwrap();
    sim.request_at(0.0, 0, 7).unwrap();
    sim.run_until_ms(30.0);
    assert_eq!(sim.node(2).unwrap().known, vec![7]);
}

/// A node that sets two timers and cancels one.
struct Timers {
    fired: Vec<&'static str>,
}
impl Node for Timers {
    type Msg = ();
    type Timer = &'static str;
    type Request = ();
    type Response = ();
    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        let a = ctx.set_timer(10.0, "cancelled");
        ctx.set_timer(20.0, "kept");
        ctx.set_timer(-5.0, "negative delay fires now");
        ctx.cancel_timer(a);
    }
    fn on_message(&mut self, _: &mut Ctx<Self>, _: NodeId, _: ()) {}
    fn on_timer(&mut self, ctx: &mut Ctx<Self>, t: &'static str) {
        self.fired.push(t);
        ctx.note(format!("fired {t}"));
    }
    fn restarted(&self) -> Self {
        Timers { fired: vec![] }
    }
}

#[test]
fn cancelled_timers_do_not_fire() {
    let mut sim = SimBuilder::new(0).trace(true).build(vec![Timers { fired: vec![] }]).unwrap();
    sim.run_until_ms(50.0);
    assert_eq!(sim.node(0).unwrap().fired, vec!["negative delay fires now", "kept"]);
    assert!(sim.trace().render(100).contains("note: fired kept"));
}

#[test]
fn requests_are_answered_with_latency() {
    let mut sim = SimBuilder::new(0).build(Gossip::cluster(3)).unwrap();
    let id = sim.request_at(5.0, 1, 42).unwrap();
    sim.run_until_ms(50.0);
    assert_eq!(sim.answered().len(), 1);
    assert_eq!(sim.answered()[0].id, id);
    assert_eq!(sim.answered()[0].latency_ms(), 0.0);
    assert!(sim.nodes().iter().all(|g| g.known == vec![42]));
    // a request to a crashed node is lost and stays unanswered
    let mut sim = SimBuilder::new(0)
        .faults(FaultSchedule::new().crash(1, 1.0))
        .build(Gossip::cluster(3))
        .unwrap();
    let id = sim.request_at(5.0, 1, 42).unwrap();
    sim.run_until_ms(50.0);
    assert!(sim.answered().is_empty());
    assert_eq!(sim.stats().requests_lost, 1);
    assert!(sim.unanswered().is_empty(), "{id} never reached a running node");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let empty: Vec<PingPong> = vec![];
    let e = SimBuilder::new(0).build(empty).err().unwrap();
    assert!(e.to_string().contains("the cluster is empty"), "{e}");

    let e = SimBuilder::new(0)
        .faults(FaultSchedule::new().crash(2, 1.0))
        .build(PingPong::pair(1))
        .err()
        .unwrap();
    assert!(matches!(e, Error::UnknownNode { node: 2, cluster_size: 2, .. }), "{e}");

    let e = SimBuilder::new(0)
        .faults(FaultSchedule::new().partition(vec![vec![0], vec![3]], 0.0, 1.0))
        .build(PingPong::pair(1))
        .err()
        .unwrap();
    assert!(e.to_string().contains("unknown node n3 in the fault schedule"), "{e}");

    let net = Network::new(Dist::constant(1.0).unwrap()).with_link(
        0,
        5,
        Link::new(Dist::constant(1.0).unwrap()),
    );
    assert!(SimBuilder::new(0).network(net).build(PingPong::pair(1)).is_err());

    // setters never fail; the simulation refuses a bad network when it is built, saying why
    let refused = |net: Network| {
        SimBuilder::new(0).network(net).build(PingPong::pair(1)).err().unwrap().to_string()
    };
    let one = || Network::new(Dist::constant(1.0).unwrap());
    assert!(refused(one().with_loss(1.5)).contains("loss"));
    assert!(refused(one().with_loss(f64::NAN)).contains("loss"));
    assert!(refused(one().with_duplicate(-0.1)).contains("duplicate"));
    let e = refused(one().with_link(1, 1, Link::new(Dist::constant(1.0).unwrap())));
    assert!(e.contains("self-link"), "{e}");
    let e = refused(one().with_link(0, 1, Link::new(Dist::constant(1.0).unwrap()).with_loss(2.0)));
    assert!(e.contains("n0 → n1") && e.contains("loss"), "{e}");

    let mut sim = SimBuilder::new(0).build(Gossip::cluster(2)).unwrap();
    assert!(sim.request_at(1.0, 9, 1).is_err());
    sim.run_until_ms(10.0);
    let e = sim.request_at(5.0, 0, 1).unwrap_err();
    assert!(e.to_string().contains("in the past"), "{e}");
    assert!(sim.request_at(f64::NAN, 0, 1).is_err());
    assert!(sim.node(5).is_err());
}

#[test]
fn one_way_link_failure_is_asymmetric() {
    let faults = FaultSchedule::new().link_down(0, 1, 0.0, f64::INFINITY);
    let mut sim = SimBuilder::new(0).faults(faults).build(PingPong::pair(3)).unwrap();
    sim.run_until_ms(100.0);
    assert!(sim.is_cut(0, 1) && !sim.is_cut(1, 0));
    assert_eq!(sim.node(0).unwrap().completed(), 0);
    assert!(sim.node(0).unwrap().retries() >= 4);
}

#[test]
fn ping_pong_survives_heavy_loss_by_retrying() {
    for seed in 0..20 {
        let net = Network::new(Dist::exponential_mean(2.0).unwrap()).with_loss(0.3);
        let mut sim = SimBuilder::new(seed).network(net).build(PingPong::pair(50)).unwrap();
        sim.run_until_ms(60_000.0);
        assert_eq!(sim.node(0).unwrap().completed(), 50, "seed {seed}");
        assert!(sim.node(0).unwrap().retries() > 0);
    }
}

#[test]
fn traffic_resumes_after_a_partition_heals() {
    for seed in 0..10 {
        let faults = FaultSchedule::new().isolate(1, 0.0, 100.0);
        let mut sim =
            SimBuilder::new(seed).faults(faults).trace(true).build(PingPong::pair(3)).unwrap();
        sim.run_until_ms(500.0);
        assert_eq!(sim.node(0).unwrap().completed(), 3, "seed {seed}");
        let first =
            sim.trace().events().iter().find(|e| matches!(e.kind, TraceKind::Deliver { .. }));
        assert!(first.unwrap().time.as_ms() >= 100.0);
        assert!(sim.stats().cut >= 5);
    }
}

#[test]
fn sequence_diagram_shows_lost_and_delivered_messages_and_crashes() {
    let net = Network::new(Dist::constant(5.0).unwrap()).with_loss(0.3);
    let faults = FaultSchedule::new().crash(1, 40.0).restart(1, 70.0);
    let mut sim = SimBuilder::new(4)
        .network(net)
        .faults(faults)
        .trace(true)
        .build(PingPong::pair(6))
        .unwrap();
    sim.run_until_ms(150.0);
    let d = sim.sequence_diagram("ping-pong with loss", 0.0, 150.0).unwrap();
    let svg = d.render().unwrap().svg().to_string();
    assert!(svg.contains("ping-pong with loss"));
    assert!(svg.contains("Ping(0)") && svg.contains("Pong(0)"), "labels missing");
    let lost =
        sim.trace().events().iter().filter(|e| matches!(e.kind, TraceKind::Drop { .. })).count();
    assert!(lost > 0, "seed 4 should lose something at 30% loss");
    // without a trace there is nothing to draw, and the error says how to fix it
    let mut quiet = SimBuilder::new(4).build(PingPong::pair(1)).unwrap();
    quiet.run_until_ms(10.0);
    let e = quiet.sequence_diagram("x", 0.0, 10.0).unwrap_err();
    assert!(e.to_string().contains(".trace(true)"));
    assert!(sim.sequence_diagram("x", 10.0, 5.0).is_err());
}
