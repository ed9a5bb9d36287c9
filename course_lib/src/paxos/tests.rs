use super::*;
use crate::sim::{Ctx, Effect, Fault, FaultSchedule, Node, NodeId, Time};

/// The sweep configuration: 3 proposers, 5 acceptors, 2 learners; 10 % loss, 10 %
/// duplication, reordering, two acceptor crash/restarts early in the run.
fn faulty() -> PaxosConfig {
    PaxosConfig::new(3, 5, 2)
        .network(default_network().with_loss(0.1).with_duplicate(0.1))
        .acceptor_crashes(2, 200.0, 50.0)
}

fn dueling(lo: f64, hi: f64) -> Strategy {
    Strategy::Dueling { restart_ms: (lo, hi) }
}

/// Crashes dense enough, during the contention at the start, to expose a volatile promise.
fn crashy() -> PaxosConfig {
    PaxosConfig::new(3, 3, 1).strategy(dueling(0.0, 10.0)).acceptor_crashes(6, 60.0, 3.0)
}

#[test]
fn agreement_holds_over_1000_seeds_with_loss_duplication_reordering_and_crashes() {
    // Lamport 2001, §2.2–2.3: safety for any number of proposers, any message loss,
    // duplication and reordering, and crash-recovery acceptors with durable state.
    for config in [faulty(), faulty().strategy(dueling(0.0, 10.0)), crashy()] {
        let report = check_agreement(&config, 0..1000).unwrap();
        assert_eq!(report.runs, 1000);
        assert!(report.violations.is_empty(), "{report}");
        // ... and with these faults every run still decided within the horizon.
        assert_eq!(report.decided, 1000, "{report}");
    }
}

#[test]
fn planted_bugs_are_caught_within_a_few_hundred_seeds() {
    let cases = [
        (faulty().strategy(dueling(0.0, 10.0)), PlantedBug::IgnoreAcceptedValue),
        (faulty().strategy(dueling(0.0, 10.0)), PlantedBug::AcceptWithoutPromise),
        (crashy(), PlantedBug::VolatilePromise),
    ];
    for (config, bug) in cases {
        let found = first_violation(&config.clone().bug(bug), 0..300).unwrap();
        let v = found.unwrap_or_else(|| panic!("{bug:?} not caught in 300 seeds"));
        assert_eq!(v.property, SAFETY);
        assert!(v.detail.starts_with("agreement violated: v"), "{bug:?}: {v}");
        assert!(matches!(
            run(&config.clone().bug(bug), v.seed).unwrap().breach(),
            Some(Breach::TwoValuesChosen { .. })
        ));
        // The same seed without the bug is fine: the checker blames the bug, not the setup.
        assert_eq!(run(&config, v.seed).unwrap().breach(), None);
    }
    // Even the distinguished proposer cannot hide a proposer that ignores promises once a
    // backup takes over.
    assert!(first_violation(&faulty().bug(PlantedBug::IgnoreAcceptedValue), 0..300)
        .unwrap()
        .is_some());
}

#[test]
fn violations_name_what_broke() {
    let buggy = crashy().bug(PlantedBug::VolatilePromise);
    let seed = first_violation(&buggy, 0..300).unwrap().expect("caught").seed;
    let r = run(&buggy, seed).unwrap();
    let v = r.breach().expect("the seed the sweep found violates agreement");
    let text = v.to_string();
    assert!(text.starts_with("agreement violated: v"), "{text}");
    // Synthetic runs for the learner-side checks.
    let mut r = run(&faulty(), 0).unwrap();
    let chosen = r.chosen[0].value;
    r.learned[1] = vec![(1.0, chosen + 1)];
    assert!(matches!(r.breach(), Some(Breach::LearnedNotChosen { learner: 1, .. })));
    r.chosen.push(Chosen { value: chosen + 1, ..r.chosen[0] });
    assert!(matches!(r.breach(), Some(Breach::TwoValuesChosen { .. })));
    let mut r = run(&faulty(), 0).unwrap();
    r.proposed.clear();
    assert!(matches!(r.breach(), Some(Breach::NotProposed { .. })));
}

#[test]
fn one_undisturbed_round_costs_the_textbook_message_count() {
    // 1 proposer, 3 acceptors, 1 learner, reliable network: 3 Prepare + 3 Promise + 3 Accept
    // + 3 × 2 Accepted (to the proposer and the learner) + 1 Decided = 16 messages.
    let c = PaxosConfig::new(1, 3, 1).network(Network::new(Dist::constant(5.0).unwrap()));
    let r = run(&c, 0).unwrap();
    assert_eq!(r.stats.sent, 16);
    assert_eq!(r.ballot_starts_ms.len(), 1);
    let chosen = r.first_chosen().unwrap();
    assert_eq!((chosen.value, chosen.ballot, chosen.at_ms), (100, Ballot::new(1, 0), 15.0));
    assert_eq!(r.learned, vec![vec![(20.0, 100)]]);
    assert_eq!(r.decisions, vec![Some(100)]);
}

#[test]
fn runs_are_deterministic_in_the_seed() {
    let c = faulty().strategy(dueling(0.0, 2.0));
    let mut a = c.simulation(11, true).unwrap();
    let mut b = c.simulation(11, true).unwrap();
    a.run_until_ms(500.0);
    b.run_until_ms(500.0);
    assert_eq!(a.trace().digest(), b.trace().digest());
    let (x, y) = (run(&c, 11).unwrap(), run(&c, 12).unwrap());
    assert_ne!((x.stats.sent, x.end_ms), (y.stats.sent, y.end_ms));
}

#[test]
fn acceptor_state_survives_a_crash_unless_the_promise_is_volatile() {
    // P0 starts at 0; A0 (node 1) crashes at 6 ms (after promising 1.0 at ≤ 5 ms + … ) and
    // restarts at 7 ms, before P0's Accept arrives.
    let faults = FaultSchedule::new().crash(1, 6.0).restart(1, 7.0);
    let c = PaxosConfig::new(1, 3, 0)
        .network(Network::new(Dist::constant(5.0).unwrap()))
        .faults(faults);
    let mut sim = c.simulation(0, false).unwrap();
    sim.run_until_ms(6.5);
    assert!(!sim.is_up(1));
    let before = sim.node(1).unwrap().acceptor_state().unwrap();
    assert_eq!(before.promised, Ballot::new(1, 0));
    sim.run_until_ms(7.5);
    assert_eq!(sim.node(1).unwrap().acceptor_state().unwrap(), before);
    let mut sim = c.clone().bug(PlantedBug::VolatilePromise).simulation(0, false).unwrap();
    sim.run_until_ms(7.5);
    assert_eq!(sim.node(1).unwrap().acceptor_state().unwrap().promised, Ballot::ZERO);
}

#[test]
fn value_rule_takes_the_highest_ballot() {
    let b = Ballot::new;
    assert_eq!(highest_accepted_or_own(&[None, None], 7), 7);
    assert_eq!(highest_accepted_or_own(&[Some((b(1, 2), 5)), None, Some((b(2, 0), 9))], 7), 9);
    assert_eq!(highest_accepted_or_own(&[Some((b(2, 1), 5)), Some((b(2, 0), 9))], 7), 5);
    assert!(b(2, 0) > b(1, 9) && b(1, 1) > b(1, 0) && Ballot::ZERO < b(1, 0));
    let mut s = AcceptorState::default();
    assert!(paxos_prepare(&mut s, b(2, 0)));
    assert!(!paxos_prepare(&mut s, b(2, 0)), "a ballot is promised once");
    assert!(!paxos_accept(&mut s, b(1, 5), 3));
    assert!(paxos_accept(&mut s, b(2, 0), 3));
    assert_eq!(s.accepted, Some((b(2, 0), 3)));
}

#[test]
fn dueling_proposers_live_lock_and_a_leader_with_backoff_fixes_it() {
    // Five proposers that restart at once when pre-empted (Lamport 2001, §2.4).
    let duel = PaxosConfig::new(5, 5, 1)
        .network(default_network().with_loss(0.05))
        .strategy(dueling(0.0, 0.0));
    let leader = duel.clone().strategy(Strategy::Leader { takeover_ms: 100.0 });
    let d = run(&duel, 139).unwrap();
    let first = d.first_chosen().unwrap();
    assert!(first.at_ms > 1_000.0, "{first:?}");
    assert!(d.ballots_until_chosen() > 300);
    let l = run(&leader, 139).unwrap();
    assert!(l.first_chosen().unwrap().at_ms < 50.0);
    assert_eq!(l.ballots_until_chosen(), 1);
    let (sd, sl) =
        (check_agreement(&duel, 0..200).unwrap(), check_agreement(&leader, 0..200).unwrap());
    assert!(sd.mean_decision_ms > 3.0 * sl.mean_decision_ms, "{sd} / {sl}");
    assert!(sd.mean_messages > 5.0 * sl.mean_messages, "{sd} / {sl}");
    // The liveness picture: cumulative ballots, non-decreasing, ending at the total.
    let series = d.ballots_series(10.0).unwrap();
    assert!(series.windows(2).all(|w| w[1].1 >= w[0].1));
    assert_eq!(series.last().unwrap().1 as usize, d.ballot_starts_ms.len());
}

#[test]
fn randomized_restarts_shorten_the_duel() {
    let c = PaxosConfig::new(5, 5, 1);
    let out = ballots_to_decision(&c, &[0.0, 5.0, 20.0], 100).unwrap();
    let mean = |v: &Vec<Option<usize>>| {
        v.iter().map(|b| b.expect("decided") as f64).sum::<f64>() / v.len() as f64
    };
    let m: Vec<f64> = out.iter().map(|(_, v)| mean(v)).collect();
    assert!(m[0] > 2.0 * m[1] && m[1] > m[2], "{m:?}");
}

#[test]
fn sequence_diagram_has_role_lanes() {
    let c = PaxosConfig::new(1, 3, 1);
    let d = c.sequence_diagram(1, "one round", 0.0, 40.0).unwrap();
    let fig = d.render().unwrap();
    for label in ["P0", "A2", "L0", "Prepare 1.0", "Accepted 1.0 v100"] {
        assert!(fig.svg().contains(label), "{label}");
    }
    assert!(c.sequence_diagram(1, "t", 5.0, 1.0).is_err());
}

#[test]
fn bad_input_is_an_error_that_says_what_is_allowed() {
    // setters store; a run checks everything, with the parameter's name and what is allowed
    let msg = |c: &PaxosConfig| run(c, 0).unwrap_err().to_string();
    assert_eq!(
        msg(&PaxosConfig::new(1, 0, 1)),
        "acceptors = 0 is out of range: must be at least 1"
    );
    assert!(msg(&PaxosConfig::new(0, 3, 1)).starts_with("proposers = 0"));
    for p in [-0.1, 1.5, f64::NAN] {
        let e = msg(&PaxosConfig::new(1, 3, 1).network(default_network().with_loss(p)));
        assert!(e.starts_with("loss = ") && e.contains("between 0 and 1"), "{e}");
        let e = msg(&PaxosConfig::new(1, 3, 1).network(default_network().with_duplicate(p)));
        assert!(e.starts_with("duplicate = "), "{e}");
    }
    let e = msg(&PaxosConfig::new(1, 3, 1).faults(FaultSchedule::new().crash(9, 10.0)));
    assert_eq!(e, "unknown node n9 in the fault schedule: the cluster has 5 node(s), ids n0..n4");
    let c = PaxosConfig::new(1, 3, 1);
    assert!(run(
        &c.clone().faults(FaultSchedule::new().with(Fault::Crash { node: 4, at_ms: 1.0 })),
        0
    )
    .is_ok());
    assert!(msg(&c.clone().retry_timeout_ms(50.0, 10.0)).contains("at most hi_ms"));
    assert!(run(&c.clone().retry_timeout_ms(0.0, 10.0), 0).is_err());
    assert!(msg(&c.clone().horizon_ms(0.0)).starts_with("horizon_ms = 0"));
    assert!(msg(&c.clone().acceptor_crashes(1, 10.0, -1.0)).starts_with("mean_down_ms = -1"));
    assert!(run(&c.clone().strategy(dueling(5.0, 1.0)), 0).is_err());
    assert!(run(&c.clone().strategy(Strategy::Leader { takeover_ms: f64::NAN }), 0).is_err());
    assert!(check_agreement(&c, 3..3).unwrap_err().to_string().contains("seed range is empty"));
    assert!(first_violation(&c, 3..3).is_err());
    assert!(c.acceptor_id(3).is_err() && c.learner_id(1).is_err());
    assert_eq!((c.acceptor_id(2).unwrap(), c.learner_id(0).unwrap()), (3, 4));
    assert!(run(&c, 0).unwrap().ballots_series(0.0).is_err());
    assert!(ballots_to_decision(&c, &[-1.0], 1).is_err());
}

#[test]
fn multi_paxos_halves_the_messages_per_value() {
    use super::multi::{run as run_multi, MultiConfig};
    for n in [3usize, 5] {
        for k in [1usize, 10, 100] {
            // Constant delays: no straggler is overtaken, so the counts are exact.
            let c = MultiConfig::new(n, k).network(Network::new(Dist::constant(5.0).unwrap()));
            let s = run_multi(&c, 3).unwrap();
            let p = run_multi(&c.clone().stable_leader(false), 3).unwrap();
            assert!(s.consistent() && p.consistent());
            assert_eq!(s.decided.len(), k);
            let nf = n as f64;
            assert_eq!(s.messages_per_value(), 2.0 * nf + 2.0 * nf / k as f64);
            assert_eq!(p.messages_per_value(), 4.0 * nf);
            assert_eq!((s.prepares, p.prepares), (1, k));
            if k == 100 {
                // one round trip per value instead of two
                assert_eq!((s.ms_per_value(), p.ms_per_value()), (10.1, 20.0));
            }
        }
    }
    // With loss the leader retransmits; every slot still gets exactly one value, in order.
    for seed in 0..200 {
        let c = MultiConfig::new(5, 20).network(default_network().with_loss(0.2));
        let r = run_multi(&c, seed).unwrap();
        assert!(r.consistent(), "seed {seed}: {r:?}");
        let values: Vec<u64> = r.decided.iter().map(|d| d.1).collect();
        assert_eq!(values, (1000..1020).collect::<Vec<u64>>());
    }
    assert!(run_multi(&MultiConfig::new(0, 5), 0).is_err());
    assert!(run_multi(&MultiConfig::new(3, 0), 0).is_err());
    let lossy = MultiConfig::new(3, 5).network(default_network().with_loss(2.0));
    assert!(run_multi(&lossy, 0).unwrap_err().to_string().starts_with("loss = 2"));
}

#[test]
fn an_adversarial_scheduler_keeps_paxos_undecided_and_safe() {
    use super::flp::{scheduled_run, Scheduler};
    for proposers in [1, 2, 3] {
        let c = PaxosConfig::new(proposers, 3, 1).strategy(dueling(0.0, 0.0));
        let r = scheduled_run(&c, Scheduler::Adversary, 10_000, 0).unwrap();
        assert_eq!((r.steps, r.decided), (10_000, None));
        assert!(r.ballots > 500, "{}", r.ballots);
        // Fair: messages are delivered within a few steps, none is held for ever.
        assert!(r.max_wait_steps < 20 && r.in_flight < 10, "{r:?}");
        assert_eq!(r.breach(), None);
        // The same cluster under a random (indifferent) scheduler decides, every seed.
        for seed in 0..100 {
            let r = scheduled_run(&c, Scheduler::Random, 10_000, seed).unwrap();
            let (step, value) = r.decided.expect("random schedules decide");
            assert!(step < 2_000 && r.breach().is_none());
            assert!(c.proposed_values().contains(&value));
        }
    }
    let c = PaxosConfig::new(2, 3, 1);
    assert!(scheduled_run(&c, Scheduler::Random, 0, 0).is_err());
}

/// Call one handler of `nodes[i]` directly and return the messages it sent, as (to, msg).
fn handle(
    nodes: &mut [PaxosNode],
    i: usize,
    f: impl FnOnce(&mut PaxosNode, &mut Ctx<PaxosNode>),
) -> Vec<(usize, Msg)> {
    let (mut rng, mut effects, mut next_timer) = (crate::rng::SimRng::new(0), Vec::new(), 0);
    let mut ctx = Ctx {
        id: NodeId(i),
        now: Time::from_ms(0.0),
        cluster_size: nodes.len(),
        rng: &mut rng,
        effects: &mut effects,
        next_timer: &mut next_timer,
    };
    f(&mut nodes[i], &mut ctx);
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Send { to, msg } => Some((to.0, msg)),
            _ => None,
        })
        .collect()
}

fn deliver(nodes: &mut [PaxosNode], from: usize, to: usize, msg: Msg) -> Vec<(usize, Msg)> {
    handle(nodes, to, |n, ctx| n.on_message(ctx, NodeId(from), msg))
}

#[test]
fn a_duplicated_prepare_is_promised_again_and_never_costs_the_proposer_its_ballot() {
    // P0 (node 0), acceptors A0..A2 (nodes 1..3), no learner. Lamport 2001, §2.2: an acceptor
    // promises not to accept ballots *below* b; b itself stays acceptable, so a Prepare(b)
    // it has already promised is no reason to refuse b.
    let rules = PaxosConfig::new(1, 3, 0).rules();
    let mut nodes = PaxosNode::cluster(rules, &[100]);
    handle(&mut nodes, 0, |n, ctx| n.on_start(ctx));
    let prepares = handle(&mut nodes, 0, |n, ctx| n.on_timer(ctx, Timer::Retry { attempt: 1 }));
    let b = Ballot::new(1, 0);
    assert_eq!(prepares, (1..=3).map(|a| (a, Msg::Prepare { ballot: b })).collect::<Vec<_>>());
    // The network delivers Prepare(b) to A0 twice: the same promise, twice.
    let promise = Msg::Promise { ballot: b, accepted: None };
    for _ in 0..2 {
        assert_eq!(deliver(&mut nodes, 0, 1, Msg::Prepare { ballot: b }), [(0, promise.clone())]);
    }
    assert_eq!(nodes[1].acceptor_state().unwrap().promised, b);
    // Both copies reach P0, and so does a Nack that names its own ballot as the promised
    // one (what the acceptor used to send): P0 keeps its ballot.
    assert!(deliver(&mut nodes, 1, 0, promise.clone()).is_empty());
    assert!(deliver(&mut nodes, 1, 0, promise.clone()).is_empty(), "a duplicate promise");
    assert!(deliver(&mut nodes, 1, 0, Msg::Nack { ballot: b, promised: b }).is_empty());
    // A1's promise completes the majority: phase 2 in ballot b, with no second ballot.
    let accepts = deliver(&mut nodes, 2, 0, promise.clone());
    let accept = Msg::Accept { ballot: b, value: 100 };
    assert_eq!(accepts, (1..=3).map(|a| (a, accept.clone())).collect::<Vec<_>>());
    let PaxosNode::Proposer(p) = &nodes[0] else { unreachable!() };
    assert_eq!(p.ballots_started(), 1);
    // A duplicated Accept(b) is accepted again (P1a: b >= promised), never refused ...
    let accepted = Msg::Accepted { ballot: b, value: 100 };
    for _ in 0..2 {
        assert_eq!(deliver(&mut nodes, 0, 1, accept.clone()), [(0, accepted.clone())]);
    }
    // ... and a Prepare(b) that reaches A2 only after A2 accepted in b (reordering, or a late
    // duplicate) gets the promise with what A2 accepted, not a refusal.
    assert_eq!(deliver(&mut nodes, 0, 3, accept.clone()), [(0, accepted.clone())]);
    assert_eq!(
        deliver(&mut nodes, 0, 3, Msg::Prepare { ballot: b }),
        [(0, Msg::Promise { ballot: b, accepted: Some((b, 100)) })]
    );
    // In phase 2 too, a Nack that does not name a higher ballot is ignored: P0 decides in b.
    assert!(deliver(&mut nodes, 3, 0, Msg::Nack { ballot: b, promised: b }).is_empty());
    assert!(deliver(&mut nodes, 1, 0, accepted.clone()).is_empty());
    assert!(deliver(&mut nodes, 3, 0, accepted).is_empty());
    assert_eq!(nodes[0].decided(), Some(100));
    // A genuine pre-emption still works: a higher promise refuses b, and the Nack names it.
    let higher = Ballot::new(2, 1);
    let mut nodes = PaxosNode::cluster(rules, &[100]);
    assert_eq!(deliver(&mut nodes, 0, 1, Msg::Prepare { ballot: higher }).len(), 1);
    let nack = Msg::Nack { ballot: b, promised: higher };
    assert_eq!(deliver(&mut nodes, 0, 1, Msg::Prepare { ballot: b }), [(0, nack.clone())]);
    handle(&mut nodes, 0, |n, ctx| n.on_start(ctx));
    handle(&mut nodes, 0, |n, ctx| n.on_timer(ctx, Timer::Retry { attempt: 1 }));
    assert!(deliver(&mut nodes, 1, 0, nack).is_empty());
    // Pre-empted: P0 left ballot b, so a majority of promises for b no longer starts phase 2.
    assert!(deliver(&mut nodes, 2, 0, promise.clone()).is_empty());
    assert!(deliver(&mut nodes, 3, 0, promise).is_empty());
}

#[test]
fn with_duplication_and_no_competitor_every_value_is_chosen_in_the_first_ballot() {
    // One proposer, no loss, no crashes: nothing can pre-empt its first ballot, duplicates
    // or not. Delays are at most 9 ms and the proposer starts within 1 ms, so the value is
    // chosen by Prepare + Promise + Accept, before 1 + 3 · 9 = 28 ms, and the retry timeout
    // (40–80 ms) never fires first.
    for dup in [0.0, 0.1, 0.3] {
        let c = PaxosConfig::new(1, 5, 1).network(default_network().with_duplicate(dup));
        for seed in 0..500 {
            let r = run(&c, seed).unwrap();
            let chosen = r.first_chosen().expect("decided");
            assert_eq!(r.ballot_starts_ms.len(), 1, "dup {dup}, seed {seed}");
            assert!(chosen.at_ms < 28.0, "dup {dup}, seed {seed}: {chosen:?}");
        }
    }
}
