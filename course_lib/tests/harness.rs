//! The experiment harness (`course_lib::sim::Experiment`): one run loop, one client driver,
//! one violation type, one sweep, named streams, pluggable schedulers, held messages.

use course_lib::consistency::{check_cas_register, EventType, History, Outcome, F};
use course_lib::prelude::*;
use course_lib::sim::demo::{KvBug, PingPong, PrimaryKv, Relay};
use course_lib::sim::{
    Bugs, EarliestFirst, Experiment, KvRequest, KvResponse, PendingKind, RandomOrder, SchedView,
    Stream, Sweep, Target, TraceKind, Workload,
};

fn lossy() -> Network {
    Network::new(Dist::exponential_mean(5.0).unwrap()).with_loss(0.2)
}

/// The trace as text, to compare runs event for event.
fn trace_lines<N: Node>(sim: &Simulation<N>) -> Vec<String> {
    sim.trace()
        .events()
        .iter()
        .map(|e| {
            let what = match &e.kind {
                TraceKind::Send { from, to, msg_id, msg } => {
                    format!("send {from}->{to} #{msg_id} {msg:?}")
                }
                TraceKind::Deliver { from, to, msg_id } => {
                    format!("deliver {from}->{to} #{msg_id}")
                }
                TraceKind::Drop { msg_id, reason, .. } => format!("drop #{msg_id} {reason}"),
                TraceKind::Timer { node, timer } => format!("timer {node} {timer:?}"),
                other => format!("{:?}", std::mem::discriminant(other)),
            };
            format!("{} {what}", e.time.as_nanos())
        })
        .collect()
}

#[test]
fn a_run_is_the_simulation_the_builder_makes_for_the_same_seed() {
    for seed in 0..20 {
        let report = Experiment::new(PingPong::pair(10))
            .network(lossy())
            .horizon_ms(1_000.0)
            .trace(true)
            .run(seed)
            .unwrap();
        let mut sim =
            SimBuilder::new(seed).network(lossy()).trace(true).build(PingPong::pair(10)).unwrap();
        sim.run_until_ms(1_000.0);
        assert_eq!(report.stats(), sim.stats(), "seed {seed}");
        assert_eq!(trace_lines(report.sim()), trace_lines(&sim), "seed {seed}");
        assert_eq!(report.sim().now_ms(), 1_000.0);
        assert!(report.passed());
    }
}

#[test]
fn an_invariant_stops_the_run_at_the_event_that_breaks_it() {
    let exp = Experiment::new(PingPong::pair(10)).network(lossy()).horizon_ms(2_000.0).invariant(
        "fewer than 4 rounds",
        |sim| {
            let done = sim.nodes()[0].completed();
            if done < 4 {
                Ok(())
            } else {
                Err(format!("{done} rounds done"))
            }
        },
    );
    let report = exp.run(3).unwrap();
    let v = report.violation().expect("4 rounds complete well within 2 s");
    assert_eq!(v.property, "fewer than 4 rounds");
    assert_eq!(v.detail, "4 rounds done");
    assert_eq!(v.seed, 3);
    // the run stopped right there: exactly 4 rounds, and the clock is at the 4th pong
    assert_eq!(report.sim().nodes()[0].completed(), 4);
    assert_eq!(v.at_ms, report.sim().now_ms());
    assert_eq!(v.step, report.stats().events);
    assert!(v.at_ms < 2_000.0);
    assert!(v.to_string().contains("seed 3"), "{v}");
}

#[test]
fn a_final_property_is_checked_when_the_run_ends() {
    let all_done = |sim: &Simulation<PingPong>| {
        let d = sim.nodes()[0].completed();
        if d == 10 {
            Ok(())
        } else {
            Err(format!("{d} of 10"))
        }
    };
    // 30 ms is too short for ten round trips of ~10 ms: the property fails at the horizon
    let short = Experiment::new(PingPong::pair(10)).network(lossy()).horizon_ms(30.0);
    let v = short.clone().property("all rounds", all_done).run(1).unwrap();
    let v = v.violation().expect("ten rounds cannot finish in 30 ms").clone();
    assert_eq!(v.at_ms, 30.0);
    assert!(short.horizon_ms(5_000.0).property("all rounds", all_done).run(1).unwrap().passed());
}

#[test]
fn a_sweep_stops_or_collects_and_replays_the_first_failing_seed_with_its_trace() {
    // a property that fails on some seeds: a 20 % lossy link needs a retry within 8 rounds
    let exp = Experiment::new(PingPong::pair(8)).network(lossy()).horizon_ms(2_000.0).property(
        "no retries",
        |sim| match sim.nodes()[0].retries() {
            0 => Ok(()),
            r => Err(format!("{r} retries")),
        },
    );
    let all = exp.sweep(0..40, Sweep::CollectAll).unwrap();
    assert_eq!(all.runs(), 40);
    // P(no loss in 16 messages) = 0.8^16 ≈ 2.8 %: most seeds fail, not all need to
    assert!(all.violations().len() > 30, "{all}");
    let seeds: Vec<u64> = all.violations().iter().map(|v| v.seed).collect();
    assert!(seeds.windows(2).all(|w| w[0] < w[1]), "in seed order, one per seed");
    let first = exp.sweep(0..40, Sweep::StopAtFirst).unwrap();
    assert_eq!(first.violations().len(), 1);
    assert_eq!(first.failing_seed(), all.failing_seed());
    assert_eq!(first.runs(), first.failing_seed().unwrap() + 1);
    // the replay is the same run with the trace on
    let replay = first.replay().expect("a failing seed is replayed");
    assert_eq!(replay.seed, first.failing_seed().unwrap());
    assert_eq!(replay.violation(), first.violations().first());
    assert!(!replay.sim().trace().events().is_empty());
    let text = first.to_string();
    assert!(text.contains(&format!("run({})", replay.seed)), "{text}");
    // every seed passes a property that holds
    let ok = Experiment::new(PingPong::pair(8)).network(lossy()).horizon_ms(2_000.0);
    let ok = ok.sweep(0..10, Sweep::StopAtFirst).unwrap();
    assert!(ok.passed() && ok.replay().is_none() && ok.runs() == 10);
    assert!(exp.sweep(5..5, Sweep::CollectAll).is_err());
}

#[test]
fn generated_faults_come_from_the_faults_stream_of_each_seed() {
    let exp = Experiment::new(Relay::cluster(5, 2)).horizon_ms(200.0).faults_from(|rng, n| {
        let node = rng.below(n as u64) as usize;
        Ok(FaultSchedule::new().crash(node, rng.uniform_range(10.0, 100.0)))
    });
    let a = exp.fault_schedule(9).unwrap();
    assert_eq!(a, exp.fault_schedule(9).unwrap());
    let mut rng = Stream::Faults.rng(9);
    let node = rng.below(5) as usize;
    assert_eq!(a, FaultSchedule::new().crash(node, rng.uniform_range(10.0, 100.0)));
    let distinct: std::collections::BTreeSet<String> =
        (0..20).map(|s| exp.fault_schedule(s).unwrap().to_string()).collect();
    assert!(distinct.len() > 10);
    assert_eq!(exp.run(9).unwrap().stats().crashes, 1);
}

#[test]
fn bad_experiments_are_refused_when_run_with_errors_that_say_what_is_allowed() {
    let e = Experiment::new(PingPong::pair(1)).horizon_ms(-5.0).run(0).unwrap_err().to_string();
    assert!(e.contains("horizon_ms"), "{e}");
    let e = Experiment::new(PingPong::pair(1)).network(lossy().with_loss(1.5)).run(0).unwrap_err();
    assert!(e.to_string().contains("loss"), "{e}");
    let e = Experiment::new(PingPong::pair(1))
        .faults(FaultSchedule::new().crash(7, 1.0))
        .run(0)
        .unwrap_err();
    assert!(e.to_string().contains("n7"), "{e}");
    let kv = || Experiment::new(PrimaryKv::cluster(3, Bugs::none()));
    let e = kv().clients(Workload::new(2, 5).read_fraction(1.5)).run(0).unwrap_err().to_string();
    assert!(e.contains("read_fraction"), "{e}");
    let e = kv().clients(Workload::new(0, 5)).run(0).unwrap_err().to_string();
    assert!(e.contains("clients"), "{e}");
    let e = kv().clients(Workload::new(2, 5).target(Target::Node(3))).run(0).unwrap_err();
    assert!(e.to_string().contains("n3"), "{e}");
    let e = kv().clients(Workload::new(1, 1).timeout_ms(0.0)).run(0).unwrap_err().to_string();
    assert!(e.contains("timeout_ms"), "{e}");
    let e = kv().clients(Workload::new(1, 1)).scheduler(|| RandomOrder).run(0).unwrap_err();
    assert!(e.to_string().contains("timed model"), "{e}");
}

// ---- clients and histories ------------------------------------------------------------------

fn kv_exp(bugs: Bugs<KvBug>, workload: Workload) -> Experiment<PrimaryKv> {
    Experiment::new(PrimaryKv::cluster(3, bugs))
        .network(Network::new(Dist::uniform(1.0, 6.0).unwrap()))
        .horizon_ms(5_000.0)
        .clients(workload)
        .check_history("linearizable", |h| {
            if check_cas_register(h).is_linearizable() {
                Ok(())
            } else {
                Err("not linearizable".into())
            }
        })
}

#[test]
fn clients_record_every_operation_and_a_redirect_is_part_of_one_operation() {
    let wl = Workload::new(4, 25).target(Target::Random);
    let report = kv_exp(Bugs::none(), wl).run(5).unwrap();
    assert!(report.passed(), "{report}");
    let h = report.history().unwrap();
    assert_eq!(h.len(), 100, "every operation once, redirects included");
    assert!(h.operations().iter().all(|op| op.outcome == Outcome::Ok));
    // about two thirds of the operations start at a backup and are redirected
    assert!(report.redirects() > 40 && report.redirects() < 90, "{}", report.redirects());
    // write values are unique and increase in invocation order
    let writes: Vec<i64> = h
        .events()
        .iter()
        .filter(|e| e.kind == EventType::Invoke && e.f == course_lib::consistency::F::Write)
        .map(|e| match e.value {
            course_lib::consistency::Value::Int(v) => v,
            other => panic!("a write of {other}"),
        })
        .collect();
    assert!(!writes.is_empty());
    assert_eq!(writes, (1..=writes.len() as i64).collect::<Vec<_>>());
    // events are in time order
    let times: Vec<i64> = h.events().iter().map(|e| e.time_ns.unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn the_planted_bug_is_caught_by_the_linearizability_check_and_the_correct_store_passes() {
    let wl =
        || Workload::new(4, 30).target(Target::Random).think_ms(Dist::uniform(0.0, 3.0).unwrap());
    let good = kv_exp(Bugs::none(), wl()).sweep(0..30, Sweep::CollectAll).unwrap();
    assert!(good.passed(), "{good}");
    let bad = kv_exp(Bugs::one(KvBug::BackupReads), wl()).sweep(0..30, Sweep::CollectAll).unwrap();
    assert!(bad.violations().len() >= 10, "{bad}");
    assert_eq!(bad.violations()[0].property, "linearizable");
    let replay = bad.replay().unwrap();
    assert!(replay.history().is_some() && !replay.sim().trace().events().is_empty());
}

#[test]
fn an_operation_without_an_answer_ends_as_info_and_the_client_continues_as_a_new_process() {
    // n0 crashes at 50 ms and never comes back: writes time out from then on
    let wl = Workload::new(2, 20).target(Target::Node(0)).timeout_ms(30.0);
    let report = kv_exp(Bugs::none(), wl)
        .faults(FaultSchedule::new().crash(0, 50.0))
        .horizon_ms(3_000.0)
        .run(2)
        .unwrap();
    let h = report.history().unwrap();
    assert_eq!(h.len(), 40);
    let e = h.events();
    let invoked_ms =
        |o: &course_lib::consistency::Operation| e[o.invoke].time_ns.unwrap() as f64 / 1e6;
    let info: Vec<_> = h.operations().iter().filter(|o| o.outcome == Outcome::Info).collect();
    // every operation invoked after the crash has an unknown outcome; one in flight at the
    // crash too; every other completed ok before it
    for o in h.operations() {
        match o.outcome {
            Outcome::Ok => {
                let done = e[o.complete.unwrap()].time_ns.unwrap() as f64 / 1e6;
                assert!(done <= 50.0, "{} completed at {done} ms", o.describe());
            }
            Outcome::Info => {}
            Outcome::Fail => panic!("nothing fails here: {}", o.describe()),
        }
        if invoked_ms(o) >= 50.0 {
            assert_eq!(o.outcome, Outcome::Info, "{}", o.describe());
        }
    }
    assert!(info.len() >= 10, "{} info", info.len());
    // each info moves its client to a new process (c, c + 2, c + 4, …): both clients end in
    // info, so the processes used are exactly one per info operation
    let processes: std::collections::BTreeSet<u64> =
        h.operations().iter().map(|o| o.process).collect();
    assert_eq!(processes.len(), info.len());
    for o in h.operations() {
        let first_of_client =
            h.operations().iter().find(|x| x.process % 2 == o.process % 2).unwrap();
        assert!(o.process >= first_of_client.process);
    }
    // info completions come timeout_ms after their invocation
    let op = info[0];
    let dt = e[op.complete.unwrap()].time_ns.unwrap() - e[op.invoke].time_ns.unwrap();
    assert_eq!(dt, 30_000_000);
    assert!(report.passed(), "unknown outcomes are allowed by linearizability: {report}");
}

#[test]
fn more_redirects_than_allowed_end_the_operation_as_fail() {
    // clients talk to n1; with max_redirects 0 the first NotLeader ends the operation
    let wl = Workload::new(1, 10).target(Target::Node(1)).max_redirects(0).read_fraction(0.0);
    let report = kv_exp(Bugs::none(), wl).run(0).unwrap();
    let h = report.history().unwrap();
    assert_eq!(h.len(), 10);
    assert!(h.operations().iter().all(|o| o.outcome == Outcome::Fail));
    assert_eq!(report.redirects(), 0);
    assert_eq!(report.sim().nodes()[0].get(0), None, "a failed write did not take effect");
}

#[test]
fn client_streams_are_per_client_so_adding_a_client_keeps_the_others_choices() {
    let run = |clients| {
        let wl = Workload::new(clients, 10).target(Target::Random).keys(4);
        let report = Experiment::new(PrimaryKv::cluster(3, Bugs::none()))
            .clients(wl)
            .horizon_ms(5_000.0)
            .run(1)
            .unwrap();
        // the keys client 0 chose, in order
        let h = report.history().unwrap().clone();
        h.operations()
            .iter()
            .filter(|o| o.process % clients as u64 == 0)
            .map(|o| o.key)
            .collect::<Vec<_>>()
    };
    let a = run(2);
    assert_eq!(a.len(), 10);
    assert!(a.iter().all(|k| k.is_some()), "multi-key histories carry keys");
    assert_eq!(a, run(3), "client 0 draws from its own stream whatever the others do");
}

// ---- schedulers and held messages ---------------------------------------------------------

#[test]
fn earliest_first_as_a_scheduler_is_the_timed_model_event_for_event() {
    for seed in 0..10 {
        let exp =
            Experiment::new(Relay::cluster(4, 3)).network(lossy()).horizon_ms(300.0).trace(true);
        let timed = exp.run(seed).unwrap();
        let scheduled = exp.clone().scheduler(|| EarliestFirst).run(seed).unwrap();
        assert_eq!(trace_lines(timed.sim()), trace_lines(scheduled.sim()), "seed {seed}");
        assert_eq!(timed.stats(), scheduled.stats());
    }
}

#[test]
fn a_random_scheduler_reorders_deterministically_and_time_never_runs_backwards() {
    let exp = Experiment::new(Relay::cluster(4, 3)).horizon_ms(300.0).trace(true).max_steps(500);
    let a = exp.clone().scheduler(|| RandomOrder).run(4).unwrap();
    let b = exp.clone().scheduler(|| RandomOrder).run(4).unwrap();
    let timed = exp.run(4).unwrap();
    assert_eq!(trace_lines(a.sim()), trace_lines(b.sim()));
    assert_ne!(trace_lines(a.sim()), trace_lines(timed.sim()));
    assert_eq!(a.stats().events, 500);
    let times: Vec<u64> = a.sim().trace().events().iter().map(|e| e.time.as_nanos()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_custom_scheduler_sees_every_pending_event_and_can_starve_a_link() {
    // never deliver anything to n1 while something else can happen: n0's pings pile up as
    // retries, and no pong ever comes back
    let starve_n1 = |view: &SchedView<'_, PingPong>, _rng: &mut SimRng| {
        let other = view
            .pending
            .iter()
            .position(|p| !matches!(p.kind, PendingKind::Message { to, .. } if to == NodeId(1)));
        other.or(if view.pending.is_empty() { None } else { Some(0) })
    };
    let report = Experiment::new(PingPong::pair(5))
        .scheduler(move || starve_n1)
        .max_steps(50)
        .run(0)
        .unwrap();
    let n0 = &report.sim().nodes()[0];
    assert_eq!(n0.completed(), 0);
    assert!(n0.retries() > 10, "{} retries", n0.retries());
}

#[test]
fn held_messages_wait_in_the_network_until_released() {
    let mut sim = Experiment::new(PingPong::pair(3)).simulation(0).unwrap();
    sim.hold(0, 1).unwrap();
    sim.run_until_ms(100.0);
    assert_eq!(sim.node(0).unwrap().completed(), 0);
    let held = sim.held_messages();
    assert!(held.len() >= 4, "the ping and its retries are held: {held:?}");
    assert!(held.iter().all(|(a, b, _)| (*a, *b) == (NodeId(0), NodeId(1))));
    assert_eq!(sim.stats().lost + sim.stats().cut, 0, "held is neither lost nor cut");
    sim.release(0, 1).unwrap();
    assert!(sim.held_messages().is_empty());
    sim.run_until_ms(200.0);
    assert_eq!(sim.node(0).unwrap().completed(), 3);
    assert!(sim.hold(0, 2).is_err());
}

#[test]
fn a_kv_request_and_response_speak_for_every_store() {
    // the shared language, as a node sees it
    assert_eq!(KvRequest::Put { key: 3, value: 9 }.key(), 3);
    assert_eq!(KvRequest::Get { key: 1 }.to_string(), "get k1");
    assert_ne!(KvResponse::Value(None), KvResponse::Written);
    assert_eq!(Bugs::one(KvBug::BackupReads).to_string(), "BackupReads");
    assert_eq!(Bugs::<KvBug>::none().to_string(), "no bugs");
}

/// Every `.rs` file at `path` (a file, or a directory read recursively).
fn rust_files(path: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn the_simulator_and_the_migrated_protocols_do_not_depend_on_the_plot_layer() {
    // views of runs and results (sequence diagrams, timelines, figures, tables) live in
    // `plot`, built from plain results; each module below is a directory of src/ (read
    // recursively) or a single file, with the fewest files it must yield
    for (module, at_least) in [
        ("sim", 10),
        ("raft", 6),
        ("paxos", 4),
        ("coord", 3),
        ("consistency", 7),
        ("replication", 4),
        ("slo", 4),
        ("clock", 2),
        ("chain", 3),
        ("staleness", 1),
        ("staleness.rs", 1),
        ("detector.rs", 1),
        ("quorum.rs", 1),
        ("reliability.rs", 1),
        ("byzantine.rs", 1),
        ("chat.rs", 1),
        ("partition", 8),
        ("storage", 7),
        ("mapreduce", 3),
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(module);
        assert!(path.exists(), "src/{module} does not exist");
        let mut files = Vec::new();
        rust_files(&path, &mut files);
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            for bad in ["crate::plot", "plot::", "crate::table"] {
                assert!(!text.contains(bad), "{} mentions {bad}", file.display());
            }
        }
        assert!(files.len() >= at_least, "read {} files of src/{module}", files.len());
    }
}

// ---- runs stepped by hand, monitors, leader-following clients, shards ------------------------

#[test]
fn a_run_stepped_by_hand_is_the_run_the_experiment_makes() {
    let exp = kv_exp(Bugs::none(), Workload::new(3, 20).target(Target::Random)).trace(true);
    for seed in 0..5 {
        let whole = exp.run(seed).unwrap();
        let mut run = exp.start(seed).unwrap();
        let mut steps = 0;
        while run.sim().now_ms() < 1_000.0 && run.step().unwrap().is_some() {
            steps += 1;
        }
        run.run_until_ms(5_000.0).unwrap();
        let by_hand = run.finish().unwrap();
        assert!(steps > 10, "seed {seed}: {steps} steps");
        assert_eq!(trace_lines(whole.sim()), trace_lines(by_hand.sim()), "seed {seed}");
        assert_eq!(whole.history(), by_hand.history(), "seed {seed}");
        assert_eq!(whole.violation(), by_hand.violation(), "seed {seed}");
    }
}

/// A monitor with memory: the number of pongs the pinger has seen never goes down.
struct NeverFewer {
    last: u64,
    checks: u64,
}

impl course_lib::sim::Monitor<PingPong> for NeverFewer {
    fn check(&mut self, sim: &Simulation<PingPong>) -> Result<(), course_lib::sim::Violation> {
        self.checks += 1;
        let now = sim.nodes()[0].completed() as u64;
        if now < self.last {
            return Err(course_lib::sim::Violation::now(sim, "never fewer", "went down"));
        }
        self.last = now;
        // planted: fire on the fifth round, so the test sees where a monitor stops the run
        if now >= 5 {
            return Err(course_lib::sim::Violation::now(
                sim,
                "fewer than 5 rounds",
                format!("{now} rounds after {} checks", self.checks),
            ));
        }
        Ok(())
    }
}

#[test]
fn a_monitor_is_made_fresh_for_every_run_and_stops_it_at_the_event_that_breaks_it() {
    let exp = Experiment::new(PingPong::pair(10))
        .network(lossy())
        .horizon_ms(2_000.0)
        .monitor(|| NeverFewer { last: 0, checks: 0 });
    let a = exp.run(3).unwrap();
    let b = exp.run(3).unwrap();
    let v = a.violation().expect("five rounds happen within 2 s");
    assert_eq!(v.property, "fewer than 5 rounds");
    // the same seed again: the same event and the same count of checks (a fresh monitor)
    assert_eq!(a.violation(), b.violation());
    assert_eq!(a.stats().events, v.step, "the run stopped at the violating event");
    let sweep = exp.sweep(0..10, Sweep::CollectAll).unwrap();
    assert_eq!(sweep.violations().len(), 10);
    assert!(sweep.replay().is_some_and(|r| r.trace_tail(5).len() == 5));
}

#[test]
fn a_leader_following_client_stays_with_the_node_that_answered() {
    let redirects = |target| {
        let r = kv_exp(Bugs::none(), Workload::new(4, 25).target(target)).run(5).unwrap();
        assert!(r.passed(), "{r}");
        assert_eq!(r.history().unwrap().len(), 100);
        r.redirects()
    };
    // sticky clients 1, 2 (of 0..4, 3 nodes) start at a backup for every operation; a
    // leader-following client is redirected once, then stays with the primary
    let sticky = redirects(Target::Sticky);
    let leader = redirects(Target::Leader);
    assert!(sticky >= 40, "sticky {sticky}");
    assert!(leader <= 4, "leader-following {leader}");
}

#[test]
fn shards_must_divide_the_nodes_and_targets_must_lie_in_a_shard() {
    let e = kv_exp(Bugs::none(), Workload::new(2, 5).shards(2)).run(0).err().unwrap().to_string();
    assert!(e.starts_with("shards = 2") && e.contains("3 entry nodes"), "{e}");
    let e = kv_exp(Bugs::none(), Workload::new(2, 5).target(Target::Node(3)))
        .run(0)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("n3"), "{e}");
    let e =
        kv_exp(Bugs::none(), Workload::new(2, 5).retry_ms(-1.0)).run(0).err().unwrap().to_string();
    assert!(e.starts_with("retry_ms = -1"), "{e}");
    // keys spread over the shards
    let per_shard = (0..1000).fold([0; 4], |mut n, k| {
        n[course_lib::sim::shard_of(k, 4)] += 1;
        n
    });
    assert!(per_shard.iter().all(|&n| n > 200), "{per_shard:?}");
}

/// An open-loop store experiment on the primary-backup demo: clients at the primary only.
fn open_exp(network: Network, workload: Workload) -> Experiment<PrimaryKv> {
    Experiment::new(PrimaryKv::cluster(3, Bugs::none()))
        .network(network)
        .horizon_ms(2_500.0)
        .clients(workload.entry_nodes(0..1))
}

#[test]
fn open_loop_arrivals_are_poisson_and_do_not_wait_for_answers() {
    let wl = Workload::open_loop(200.0, 400.0, 2_000.0).keys(10).writes_until_ms(1_000.0);
    let fast = Network::new(Dist::constant(1.0).unwrap());
    let slow = Network::new(Dist::constant(40.0).unwrap());
    let (mut writes, mut reads) = (0usize, 0usize);
    for seed in 0..10 {
        let a = open_exp(fast.clone(), wl.clone()).run(seed).unwrap();
        let b = open_exp(slow.clone(), wl.clone()).run(seed).unwrap();
        let (ha, hb) = (a.history().unwrap(), b.history().unwrap());
        // open loop: the same arrivals whatever the latency (a closed loop would slow down)
        let invocations = |h: &History| -> Vec<(i64, F)> {
            h.operations().iter().map(|o| (h.events()[o.invoke].time_ns.unwrap(), o.f)).collect()
        };
        assert_eq!(invocations(ha), invocations(hb), "seed {seed}");
        // every arrival is a process of its own, and all of them completed
        let mut processes: Vec<u64> = ha.operations().iter().map(|o| o.process).collect();
        processes.dedup();
        assert_eq!(processes.len(), ha.len());
        assert!(ha.operations().iter().all(|o| o.outcome == Outcome::Ok), "seed {seed}");
        // writes stop at 1 s, reads go on to 2 s
        for o in ha.operations() {
            let t = ha.event_time(o.invoke);
            assert!(t < if o.f == F::Write { 1_000.0 } else { 2_000.0 }, "{t} {:?}", o.f);
        }
        writes += ha.operations().iter().filter(|o| o.f == F::Write).count();
        reads += ha.operations().iter().filter(|o| o.f == F::Read).count();
        assert!(check_cas_register(ha).is_linearizable(), "seed {seed}");
        // many operations in flight at once on the slow network (writes: ≈ 200/s × 80 ms)
        let spans: Vec<(f64, f64)> = hb
            .operations()
            .iter()
            .filter_map(|o| o.complete.map(|c| (hb.event_time(o.invoke), hb.event_time(c))))
            .collect();
        let most = spans
            .iter()
            .map(|&(t, _)| spans.iter().filter(|&&(i, c)| i <= t && c > t).count())
            .max()
            .unwrap();
        assert!(most >= 20, "seed {seed}: at most {most} in flight");
        assert!(a.sent_to().iter().all(|&n| n == 0));
    }
    // 10 runs: 2 000 writes and 8 000 reads expected; Poisson counts within 4 σ
    assert!((writes as f64 - 2_000.0).abs() < 4.0 * 2_000f64.sqrt(), "{writes}");
    assert!((reads as f64 - 8_000.0).abs() < 4.0 * 8_000f64.sqrt(), "{reads}");
}

#[test]
fn a_scripted_operation_runs_at_its_time_on_its_node_beside_the_workload() {
    let wl = Workload::new(2, 10).keys(4).write_at(30.0, 0, 3).read_at(80.0, 0, 3);
    let r = kv_exp(Bugs::none(), wl).run(4).unwrap();
    let h = r.history().unwrap();
    assert_eq!(h.len(), 22);
    let scripted: Vec<_> =
        h.operations().iter().filter(|o| o.process == 2 || o.process == 3).collect();
    assert_eq!(scripted.len(), 2);
    assert_eq!(
        (h.event_time(scripted[0].invoke), scripted[0].f, scripted[0].key),
        (30.0, F::Write, Some(3))
    );
    assert_eq!((h.event_time(scripted[1].invoke), scripted[1].f), (80.0, F::Read));
    assert_eq!(r.sent_to()[scripted[0].id], 0);
    assert_eq!(r.sent_to().len(), h.len());
    // the read after the completed write sees it (or a later one)
    assert_eq!(scripted[1].outcome, Outcome::Ok);
    assert_ne!(scripted[1].value, course_lib::consistency::Value::Nil);
    let e = kv_exp(Bugs::none(), Workload::new(2, 5).write_at(1.0, 7, 0)).run(0).err().unwrap();
    assert!(e.to_string().contains("n7"), "{e}");
    let e = kv_exp(Bugs::none(), Workload::new(2, 5).read_at(1.0, 0, 2)).run(0).err().unwrap();
    assert!(e.to_string().contains("0..1"), "{e}");
}

#[test]
fn entry_nodes_confine_the_clients_and_are_checked() {
    let r = kv_exp(Bugs::none(), Workload::new(4, 10).target(Target::Random).entry_nodes(1..3))
        .run(2)
        .unwrap();
    assert!(r.sent_to().iter().all(|&n| n == 1 || n == 2));
    assert!(r.sent_to().contains(&1) && r.sent_to().contains(&2));
    let e = kv_exp(Bugs::none(), Workload::new(2, 5).entry_nodes(2..5)).run(0).err().unwrap();
    assert!(e.to_string().contains("within 0..3"), "{e}");
    let e = open_exp(lossy(), Workload::open_loop(f64::NAN, 1.0, 10.0)).run(0).err().unwrap();
    assert!(e.to_string().contains("writes_per_s"), "{e}");
}
