//! # Pinned output digests: same seed, same output, on every machine and every release
//!
//! The crate promises that a seed decides a run completely: the same seed and configuration
//! give the same trace and the same numbers on any machine and in any release of this crate
//! (see `course_lib::rng`). The other tests only check "the same twice in one build". This
//! file pins the promise: for every module that draws from `SimRng` it runs one small, fixed,
//! seeded scenario through the public API (the way a notebook would), renders the observable
//! result as canonical text (full traces and client histories with their times, not just a
//! summary), hashes the text with SHA-256 and compares the hash with a digest written below.
//!
//! It is a characterization test. The next large change moves these modules onto one shared
//! experiment harness; these digests say which outputs that change moved. A moved digest is
//! not automatically a bug, but it must never move silently.
//!
//! Each scenario is run twice in the same process first: if the two texts differ, the run is
//! nondeterministic inside one build (a real bug, e.g. a `HashMap`'s iteration order leaking
//! into the output), and the test fails before looking at the digest.
//!
//! The canonical text is built from public fields and accessors with explicit formatting:
//! times in integer nanoseconds where the simulator has them, floats with `{:?}` (Rust's
//! shortest round-trip representation, so any change in any bit shows), nothing whose order
//! is unspecified (no `HashMap`/`HashSet` iteration, and no crate `Debug` output that contains
//! one) and nothing machine-dependent (no timings). Monte Carlo functions that take a thread
//! count get an explicit one; the staleness curve, time-to-visibility and latency samplers use
//! all cores, and their results are documented not to depend on that.
//!
//! ## Updating a digest
//! When a test here fails, its message names the module, shows the actual digest and the
//! first lines of the canonical text. If the change is intended (a fixed defect, a new RNG
//! stream layout), update the digest in `PINS` and explain in the commit which outputs changed
//! and why. To pin a new scenario, add it to `PINS` with any placeholder digest, run
//! `cargo test -p course_lib --test determinism_digests`, and copy the digest the failure
//! reports.

use std::error::Error;
use std::fmt::Write;
use std::time::Duration;

use sha2::{Digest, Sha256};

use course_lib::chain::orphan::Miner;
use course_lib::chain::{double_spend_monte_carlo_with_threads, simulate_orphans, OrphanConfig};
use course_lib::chat::{run_chat, ChatConfig};
use course_lib::clock::lag::{
    hit_registration, prediction_trace, simulate_match, HitStats, LagConfig,
};
use course_lib::clock::{
    commit_wait_experiment, run_clocks, simulate_ntp, ClockRunConfig, EventKind, NtpPath,
    PhysicalClock,
};
use course_lib::consistency::sim::{
    partition_experiment, random_register_history, run_register, RandomHistory, RegisterConfig,
    RegisterRun,
};
use course_lib::consistency::{check_cas_register, stale_reads, History};
use course_lib::coord::{pause_lease_sweep, CoordConfig, CoordReport};
use course_lib::detector::{run_detector, sweep_timeouts, DetectorConfig};
use course_lib::paxos::flp::{scheduled_run, ScheduledRun, Scheduler};
use course_lib::paxos::multi::MultiConfig;
use course_lib::paxos::{check_agreement, PaxosConfig, PaxosRun, Strategy};
use course_lib::prelude::*;
use course_lib::quorum::{
    monte_carlo_at_least_k_with_threads, up_count_histogram_with_threads, Estimate, Topology, Zone,
};
use course_lib::raft::{Cluster, RaftConfig, RaftMsg};
use course_lib::replication::workshop::{run_scenario, workshop_config, Scenario};
use course_lib::replication::{ReplicationConfig, RunReport, Store};
use course_lib::sim::demo::{Gossip, PingPong, Relay};
use course_lib::sim::{Trace, TraceKind};
use course_lib::slo::alert::AlertPolicy;
use course_lib::slo::synth::generate_month;
use course_lib::slo::Slo;
use course_lib::staleness::{
    consistency_curve, operation_latencies, t_visibility_with_threads, time_to_visibility,
    LatencyProfile,
};

/// The canonical text of one scenario, or the error that stopped it.
type Out = Result<String, Box<dyn Error>>;

/// One pinned scenario: (module, the function producing its canonical text, SHA-256 hex).
type Pin = (&'static str, fn() -> Out, &'static str);

const PINS: &[Pin] = &[
    ("rng", rng_text, "228fc4bd81eed5487d5805a4b1de219957188cf9509b43e0d61ac405b4a90e71"),
    ("dist", dist_text, "a4b97f2e66fec77033369ecbf5fded3daaee3a8a67c15ecc6fc910ad04d43dda"),
    ("sim", sim_text, "515333b64bdc5e9fa48f4d862eec8ff1b9de5a2155fca3ad7f331e980f021d53"),
    ("paxos", paxos_text, "819a74622c43ac65f6ced9e126f92a2a1f9bca8860aa910a920270b23793bd68"),
    (
        "paxos::flp",
        paxos_flp_text,
        "9a0e8c7dab382862432a5708f97b543fb74e557756444fbdf8c9c0f4f9189bd5",
    ),
    (
        "paxos::multi",
        paxos_multi_text,
        "0d3c34b7f0d31162e0eded646c961b0820eee47ec30aa38ca4b1d851006a0653",
    ),
    ("raft", raft_text, "6a79da696fd5c25af67ce8c873cd6b466f4587eaa731a9d4974b78a87a7e9357"),
    ("crdt", crdt_text, "5ec1cac11efb538989950e7525b4a7925e4e157e0d15bab90ed80b8676cfb334"),
    (
        "consistency",
        consistency_text,
        "b9dd8d36695176d3d0b5a1ed08b0a1d9aedcc4af1b62837fa3757f856e64a0b4",
    ),
    (
        "replication",
        replication_text,
        "088c99256e1a574e0df72e358751be9da8d9bff4fd862ebe57be3db43289f661",
    ),
    (
        "replication::workshop",
        replication_workshop_text,
        "ddbcc17f2e3c9100f4274cff49abfb10f5cb15df2472a415625e777091ce62d0",
    ),
    ("chat", chat_text, "21d065df6ab6ebdb76493084b78e2b5d4f81462b0c5b55bb71a0941cb8c68f73"),
    ("detector", detector_text, "34d2e9e6e70161ca4df44412b5631ab181285e0af3b85cfce52b57b7a6163f34"),
    ("clock", clock_text, "9a652ecab525241f0dadddd391806a81b2e0fe5e8c290ff251108b34ea38d531"),
    (
        "clock::lag",
        clock_lag_text,
        "f7f114ce991dc2576dc6b342b628046206d2da40f604e34c333b9c4243f91713",
    ),
    ("chain", chain_text, "a958624c71c38f0569eeee51718b110100743a321d65c72bd82e0af1da050f95"),
    ("coord", coord_text, "fe270e8d6bf381e1c4c969254075afa1914bb0bcb60bd833ed82897dc092f2d3"),
    ("quorum", quorum_text, "379dd32a6f7a83722621449e2faa0b6e3c36f7f2d336cffe364891bf79cdf84b"),
    (
        "staleness",
        staleness_text,
        "ca1bd556cd768af2ce0ec4c900131eb502e2c99c775f4e0cab4b1700cc534999",
    ),
    ("slo", slo_text, "46be11b373bd1a5ed7cdba0c3cd1e6a85dd9877434168d255279fa9a559fe358"),
    (
        "byzantine",
        byzantine_text,
        "d10a814636eafca911f316cc0986107f9f75fee4a388536072143120f00b69b5",
    ),
    (
        "reliability",
        reliability_text,
        "e16bb283bc2371ca0b73894ed8fa74eff124f7a1d93b5a9b2cb2460fbbec33cf",
    ),
    ("ids", ids_text, "ace2c1b490a1b9b66aa32bd9bd43f5eb93422e14835b9bb509138d381c6ecb30"),
    (
        "partition",
        partition_text,
        "31d9bac0a9bb0fb995a0c4479d78a1275504d00ee1da5cdcb48eca2fe007b3bf",
    ),
    ("storage", storage_text, "3deebc2d58a4021b0a9ed6d63de8fc61e642f00e19640ec295d326ee27131969"),
    (
        "mapreduce",
        mapreduce_text,
        "82690ee636ec88c38659b7759938b41f30db5e5e25dfbbd17c5508b19fdbc550",
    ),
    ("gossip", gossip_text, "0bb617a2b74bd4573b997be51202332b97288a86db281e7e807a8b82aa1072a4"),
    ("txn", txn_text, "91f01f0cf33f415594cfe4e1fe6d9774f9cfd0945c8caaa1006fa56d57697c45"),
    (
        "txn::dist",
        txn_dist_text,
        "396fb0bcb862d001c6e2eb3e1bb32df56dced80ced28d003021ffc9c723966e3",
    ),
];

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `module`'s scenario twice, checks the two texts agree, then checks the digest.
fn check(module: &str) {
    let &(_, scenario, pinned) =
        PINS.iter().find(|p| p.0 == module).unwrap_or_else(|| panic!("{module} is not in PINS"));
    let first = scenario().unwrap_or_else(|e| panic!("{module}: the scenario failed: {e}"));
    let second = scenario().unwrap_or_else(|e| panic!("{module}: the scenario failed: {e}"));
    if first != second {
        let (i, (a, b)) = first
            .lines()
            .zip(second.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((first.lines().count().min(second.lines().count()), ("<end>", "<end>")));
        panic!(
            "{module}: two runs with the same seed in one process gave different output \
             (nondeterminism inside one build, a bug: find what it depends on besides the \
             seed). First difference at line {}:\n  first run:  {a}\n  second run: {b}",
            i + 1
        );
    }
    let actual = sha256_hex(&first);
    let head: Vec<&str> = first.lines().take(20).collect();
    assert!(
        actual == pinned,
        "{module}: the output of the pinned seeded scenario changed.\n  pinned digest: {pinned}\n  \
         actual digest: {actual}\nIf this change is intended (a fixed defect, a new RNG stream \
         layout), update the digest and explain in the commit which outputs changed and why.\n\
         First lines of the canonical text ({} lines, {} bytes):\n{}",
        first.lines().count(),
        first.len(),
        head.join("\n")
    );
}

// ---- shared renderers ----------------------------------------------------------------------

/// Every trace event: time in ns, then the event with all its fields; `msg` renders messages.
fn trace_text<N: Node>(
    t: &mut String,
    trace: &Trace<N>,
    msg: impl Fn(&N::Msg) -> String,
) -> std::fmt::Result {
    writeln!(t, "trace: {} events", trace.len())?;
    for e in trace.events() {
        write!(t, "{} ", e.time.as_nanos())?;
        match &e.kind {
            TraceKind::Send { from, to, msg_id, msg: m } => {
                writeln!(t, "send #{msg_id} n{}->n{} {}", from.0, to.0, msg(m))?
            }
            TraceKind::Deliver { from, to, msg_id } => {
                writeln!(t, "deliver #{msg_id} n{}->n{}", from.0, to.0)?
            }
            TraceKind::Drop { from, to, msg_id, reason } => {
                writeln!(t, "drop #{msg_id} n{}->n{} {reason:?}", from.0, to.0)?
            }
            TraceKind::Duplicate { from, to, msg_id } => {
                writeln!(t, "duplicate #{msg_id} n{}->n{}", from.0, to.0)?
            }
            TraceKind::Timer { node, timer } => writeln!(t, "timer n{} {timer:?}", node.0)?,
            TraceKind::Request { node, id, request } => {
                writeln!(t, "request r{} n{} {request:?}", id.0, node.0)?
            }
            TraceKind::Response { node, id, response } => {
                writeln!(t, "response r{} n{} {response:?}", id.0, node.0)?
            }
            TraceKind::RequestDropped { node, id } => {
                writeln!(t, "request-dropped r{} n{}", id.0, node.0)?
            }
            TraceKind::Crash { node } => writeln!(t, "crash n{}", node.0)?,
            TraceKind::Restart { node } => writeln!(t, "restart n{}", node.0)?,
            TraceKind::FaultStart { fault } => writeln!(t, "fault-start {fault}")?,
            TraceKind::FaultEnd { fault } => writeln!(t, "fault-end {fault}")?,
            TraceKind::Note { node, text } => writeln!(t, "note n{} {text:?}", node.0)?,
        }
    }
    Ok(())
}

fn debug_msg<M: std::fmt::Debug>(m: &M) -> String {
    format!("{m:?}")
}

/// Every event and every operation of a history, from their public fields.
fn history_text(t: &mut String, h: &History) -> std::fmt::Result {
    writeln!(t, "history: {} events, {} operations", h.events().len(), h.len())?;
    for e in h.events() {
        writeln!(
            t,
            "  event line {} p{} {:?} {:?} {:?} key {:?} time_ns {:?}",
            e.line, e.process, e.kind, e.f, e.value, e.key, e.time_ns
        )?;
    }
    for o in h.operations() {
        writeln!(
            t,
            "  op {} p{} {:?} key {:?} {:?} {:?} invoke {} complete {:?}",
            o.id, o.process, o.f, o.key, o.value, o.outcome, o.invoke, o.complete
        )?;
    }
    Ok(())
}

fn estimate_text(t: &mut String, name: &str, e: &Estimate) -> std::fmt::Result {
    writeln!(
        t,
        "{name}: {}/{} = {:?} ci [{:?}, {:?}]",
        e.successes, e.trials, e.value, e.ci_low, e.ci_high
    )
}

// ---- rng and dist --------------------------------------------------------------------------

/// `SimRng::new(2024)` through every stable sampler, plus streams and forks.
fn rng_text() -> Out {
    let mut t = String::new();
    let mut rng = SimRng::new(2024);
    for _ in 0..16 {
        writeln!(t, "next_u64 {}", rng.next_u64())?;
    }
    for _ in 0..16 {
        writeln!(t, "uniform {:?} open0 {:?}", rng.uniform(), rng.uniform_open0())?;
    }
    for _ in 0..16 {
        writeln!(t, "below7 {} below_big {}", rng.below(7), rng.below((1 << 40) + 3))?;
    }
    for _ in 0..8 {
        writeln!(t, "range {:?} bernoulli {}", rng.uniform_range(-3.0, 5.0), rng.bernoulli(0.3))?;
    }
    for _ in 0..8 {
        writeln!(t, "exp {:?} normal {:?}", rng.exponential(0.5), rng.standard_normal())?;
    }
    writeln!(t, "index {:?} {:?}", rng.index(0), rng.index(10))?;
    let mut v: Vec<u32> = (0..20).collect();
    rng.shuffle(&mut v);
    writeln!(t, "shuffle {v:?}")?;
    for s in 0..4 {
        writeln!(t, "stream {s}: {}", SimRng::stream(2024, s).next_u64())?;
    }
    let mut f = rng.fork();
    writeln!(t, "fork {} parent {}", f.next_u64(), rng.next_u64())?;
    Ok(t)
}

/// 48 samples and 8 delays from each kind of distribution, one generator (seed 17) in turn.
fn dist_text() -> Out {
    let mut t = String::new();
    let dists = [
        ("constant(3)", Dist::constant(3.0)?),
        ("uniform(1, 9)", Dist::uniform(1.0, 9.0)?),
        ("exponential_mean(5)", Dist::exponential_mean(5.0)?),
        ("normal(10, 2)", Dist::normal(10.0, 2.0)?),
        ("lognormal(1, 0.5)", Dist::lognormal(1.0, 0.5)?),
        ("lognormal_from_median_p99(5, 40)", Dist::lognormal_from_median_p99(5.0, 40.0)?),
        ("pareto(5/3, 1.5)", Dist::pareto(5.0 / 3.0, 1.5)?),
        (
            "mixture(0.9 exp(2), 0.1 constant(60))",
            Dist::mixture(vec![(0.9, Dist::exponential_mean(2.0)?), (0.1, Dist::constant(60.0)?)])?,
        ),
        ("empirical", Dist::empirical(vec![4.0, 1.0, 7.5, 2.25, 3.0, 9.0, 0.5])?),
    ];
    let mut rng = SimRng::new(17);
    for (name, d) in &dists {
        writeln!(t, "{name}: samples {:?}", d.samples(&mut rng, 48))?;
        let delays: Vec<f64> = (0..8).map(|_| d.sample_delay(&mut rng)).collect();
        writeln!(t, "{name}: delays {delays:?}")?;
    }
    Ok(t)
}

// ---- sim -----------------------------------------------------------------------------------

/// Notebook 00/01's ping-pong (seed 7, Exp(5 ms), 20 % loss) plus 10 % duplication, a crash
/// and a downed link; a relay cluster under a random fault schedule; gossip with requests.
fn sim_text() -> Out {
    let mut t = String::new();
    let net = Network::new(Dist::exponential_mean(5.0)?).with_loss(0.2).with_duplicate(0.1);
    let faults =
        FaultSchedule::new().crash(1, 60.0).restart(1, 110.0).link_down(0, 1, 150.0, 170.0);
    let mut sim =
        SimBuilder::new(7).network(net).faults(faults).trace(true).build(PingPong::pair(8))?;
    sim.run_until_ms(1_000.0);
    let (pinger, ponger) = (sim.node(0)?, sim.node(1)?);
    writeln!(t, "pingpong now_ns {} stats {:?}", sim.now().as_nanos(), sim.stats())?;
    writeln!(
        t,
        "pinger completed {} retries {} pongs {}; ponger pongs {}",
        pinger.completed(),
        pinger.retries(),
        pinger.pongs_received(),
        ponger.pongs_received()
    )?;
    trace_text(&mut t, sim.trace(), debug_msg)?;

    let mut fault_rng = SimRng::new(11);
    let faults = FaultSchedule::random(4, 100.0, 2, 1, 20.0, 30.0, &mut fault_rng)?;
    writeln!(t, "relay faults {:?}", faults.faults())?;
    let net = Network::new(Dist::uniform(1.0, 4.0)?).with_loss(0.05).with_fifo(false);
    let mut sim =
        SimBuilder::new(11).network(net).faults(faults).trace(true).build(Relay::cluster(4, 2))?;
    sim.run_until_ms(120.0);
    let received: Vec<u64> = sim.nodes().iter().map(|n| n.received).collect();
    writeln!(t, "relay stats {:?} received {received:?}", sim.stats())?;
    trace_text(&mut t, sim.trace(), debug_msg)?;

    let net = Network::new(Dist::lognormal_from_median_p99(2.0, 10.0)?).with_duplicate(0.2);
    let mut sim = SimBuilder::new(5).network(net).trace(true).build(Gossip::cluster(5))?;
    sim.request_at(5.0, 0, 42)?;
    sim.request_at(20.0, 3, 7)?;
    sim.run_to_quiescence(10_000);
    writeln!(t, "gossip stats {:?} unanswered {:?}", sim.stats(), sim.unanswered())?;
    for a in sim.answered() {
        writeln!(
            t,
            "answered r{} n{} {:?} issued {} answered {}",
            a.id.0,
            a.node.0,
            a.request,
            a.issued.as_nanos(),
            a.answered.as_nanos()
        )?;
    }
    for (i, n) in sim.nodes().iter().enumerate() {
        writeln!(t, "gossip n{i} known {:?}", n.known)?;
    }
    trace_text(&mut t, sim.trace(), debug_msg)?;
    Ok(t)
}

// ---- paxos ---------------------------------------------------------------------------------

fn paxos_run_text(t: &mut String, r: &PaxosRun) -> std::fmt::Result {
    writeln!(t, "run seed {} end_ms {:?} proposed {:?}", r.seed, r.end_ms, r.proposed)?;
    for c in &r.chosen {
        writeln!(t, "chosen v{} ballot {:?} at {:?}", c.value, c.ballot, c.at_ms)?;
    }
    writeln!(t, "learned {:?}", r.learned)?;
    writeln!(t, "decisions {:?}", r.decisions)?;
    writeln!(t, "ballot starts {:?}", r.ballot_starts_ms)?;
    writeln!(t, "ballots until chosen {}", r.ballots_until_chosen())?;
    writeln!(t, "stats {:?}", r.stats)?;
    writeln!(t, "violation {:?}", r.breach().map(|v| v.to_string()))
}

/// Notebook 06's faulty configuration (3 proposers, 5 acceptors, 2 learners, 10 % loss and
/// duplication, 2 acceptor crashes in the first 200 ms), seed 3, with a leader (untraced
/// `run`) and with dueling proposers (traced, every event); a 6-seed sweep of the latter.
fn paxos_text() -> Out {
    let mut t = String::new();
    let config = PaxosConfig::new(3, 5, 2)
        .network(course_lib::paxos::default_network().with_loss(0.1).with_duplicate(0.1))
        .acceptor_crashes(2, 200.0, 50.0);
    let seed = 3;
    writeln!(t, "faults {:?}", config.fault_schedule(seed).faults())?;
    paxos_run_text(&mut t, &course_lib::paxos::run(&config, seed)?)?;
    let dueling = config.strategy(Strategy::Dueling { restart_ms: (0.0, 10.0) });
    let mut sim = dueling.simulation(seed, true)?;
    sim.run_until_ms(2_000.0);
    paxos_run_text(&mut t, &PaxosRun::from_simulation(&sim))?;
    trace_text(&mut t, sim.trace(), debug_msg)?;
    let sweep = check_agreement(&dueling, 0..6)?;
    writeln!(
        t,
        "sweep runs {} decided {} violations {:?} mean decision {:?} mean messages {:?}",
        sweep.runs,
        sweep.decided,
        sweep.violations.iter().map(|v| format!("{}: {}", v.seed, v.detail)).collect::<Vec<_>>(),
        sweep.mean_decision_ms,
        sweep.mean_messages
    )?;
    Ok(t)
}

fn scheduled_text(t: &mut String, name: &str, r: &ScheduledRun) -> std::fmt::Result {
    writeln!(
        t,
        "{name}: steps {} decided {:?} ballots {} delivered {} timers {} max wait {} in flight {}",
        r.steps, r.decided, r.ballots, r.delivered, r.timers_fired, r.max_wait_steps, r.in_flight
    )?;
    writeln!(t, "{name}: ballots series {:?}", r.ballots_series)?;
    paxos_run_text(t, &r.outcome)
}

/// Notebook 06's FLP cell: 2 dueling proposers, 3 acceptors; the adversary (seed 0) and the
/// random scheduler (seeds 0 and 1), 2000 steps each.
fn paxos_flp_text() -> Out {
    let mut t = String::new();
    let two = PaxosConfig::new(2, 3, 1).strategy(Strategy::Dueling { restart_ms: (0.0, 0.0) });
    scheduled_text(&mut t, "adversary", &scheduled_run(&two, Scheduler::Adversary, 2_000, 0)?)?;
    for seed in 0..2 {
        let r = scheduled_run(&two, Scheduler::Random, 2_000, seed)?;
        scheduled_text(&mut t, &format!("random seed {seed}"), &r)?;
    }
    Ok(t)
}

/// Multi-Paxos on 3 acceptors, 10 slots, 10 % loss, seed 1, with and without a stable leader.
fn paxos_multi_text() -> Out {
    let mut t = String::new();
    for stable in [true, false] {
        let c = MultiConfig::new(3, 10)
            .network(course_lib::paxos::default_network().with_loss(0.1))
            .stable_leader(stable);
        let r = course_lib::paxos::multi::run(&c, 1)?;
        writeln!(
            t,
            "stable {stable}: messages {} prepares {} end {:?} consistent {}",
            r.messages,
            r.prepares,
            r.end_ms,
            r.consistent()
        )?;
        writeln!(t, "decided {:?}", r.decided)?;
        writeln!(t, "chosen {:?}", r.chosen)?;
    }
    Ok(t)
}

// ---- raft ----------------------------------------------------------------------------------

/// Every field of a Raft message (its `Debug` is a short diagram label).
fn raft_msg(m: &RaftMsg) -> String {
    match m {
        RaftMsg::RequestVote(r) => format!("{r:?}"),
        RaftMsg::Vote(v) => format!("{v:?}"),
        RaftMsg::Append(a) => format!("{a:?}"),
        RaftMsg::AppendResp { term, success, match_index, last_log_index } => format!(
            "AppendResp term {term} success {success} match {match_index} last {last_log_index}"
        ),
    }
}

/// Five servers with fast timers (elections 40–80 ms, heartbeat 15 ms), 1–5 ms links with 2 %
/// loss and duplication, a random schedule of 2 crashes and 1 partition, 3 clients doing 40
/// operations each on 2 keys; seed 21, 600 ms, then the linearizability check.
fn raft_text() -> Out {
    let mut t = String::new();
    let seed = 21;
    let cfg = RaftConfig::new(5).with_election_timeout(40.0, 80.0).with_heartbeat(15.0);
    let net = Network::new(Dist::uniform(1.0, 5.0)?).with_loss(0.02).with_duplicate(0.02);
    let faults = FaultSchedule::random(5, 480.0, 2, 1, 60.0, 100.0, &mut SimRng::new(seed))?;
    writeln!(t, "faults {:?}", faults.faults())?;
    let workload = course_lib::raft::Workload::new(3, 40)
        .keys(2)
        .think_ms(Dist::exponential_mean(15.0)?)
        .timeout_ms(200.0)
        .target(course_lib::raft::Target::Leader)
        .max_redirects(50);
    let mut c = Cluster::builder(cfg)
        .seed(seed)
        .network(net)
        .faults(faults)
        .trace(true)
        .workload(workload)
        .build()?;
    c.run_until_ms(600.0)?;
    let verdict = c.check_history()?;
    writeln!(t, "steps {} stats {:?}", c.steps(), c.sim().stats())?;
    match verdict {
        None => writeln!(t, "violation none")?,
        Some(v) => writeln!(
            t,
            "violation {:?} seed {} at {:?} step {} detail {:?}",
            v.property, v.seed, v.at_ms, v.step, v.detail
        )?,
    }
    writeln!(t, "leader {:?}", c.leader())?;
    for s in c.leader_spans() {
        writeln!(
            t,
            "span group {} n{} term {} from {:?} to {:?}",
            s.group, s.node, s.term, s.from_ms, s.to_ms
        )?;
    }
    for (id, node, resp, ms) in c.answers() {
        writeln!(t, "answer r{} n{node} {resp:?} {ms:?}", id.0)?;
    }
    for i in 0..5 {
        let n = c.node(i)?;
        writeln!(
            t,
            "n{i} role {:?} term {} voted {:?} commit {} applied {} elections {} kv {:?}",
            n.role(),
            n.term(),
            n.state().voted_for,
            n.commit_index(),
            n.last_applied(),
            n.elections_started(),
            n.kv()
        )?;
        writeln!(t, "n{i} log {:?}", n.log())?;
    }
    history_text(&mut t, &c.history()?)?;
    trace_text(&mut t, c.sim().trace(), raft_msg)?;
    Ok(t)
}

// ---- consistency ---------------------------------------------------------------------------

fn register_run_text(t: &mut String, name: &str, r: &RegisterRun) -> std::fmt::Result {
    let v = check_cas_register(&r.history);
    writeln!(
        t,
        "{name}: timeouts {} linearizable {} culprit {:?} stale reads {:?}",
        r.timeouts,
        v.is_linearizable(),
        v.culprit(),
        stale_reads(&r.history)
    )?;
    writeln!(t, "{name}: read latencies {:?}", r.read_latency_ms)?;
    writeln!(t, "{name}: write latencies {:?}", r.write_latency_ms)?;
    history_text(t, &r.history)
}

/// Notebooks 11/12: ABD (linearizable(3)) and Dynamo-style partial(3, 1, 1) registers, 4
/// clients × 10 ops over a lossy network with a crash, seed 7; the CAP partition experiment
/// (200 ms partition, seed 1) for both; a random linearizable history with a corrupted read.
fn consistency_text() -> Out {
    use course_lib::consistency::sim::Workload;
    let mut t = String::new();
    let net = Network::new(Dist::exponential_mean(1.0)?).with_loss(0.05);
    let faults = FaultSchedule::new().crash(2, 10.0).restart(2, 30.0);
    let abd = RegisterConfig::linearizable(3);
    let run = run_register(&abd, &Workload::new(4, 10), net.clone(), faults.clone(), 7)?;
    register_run_text(&mut t, "abd", &run)?;
    let roaming = Workload::new(4, 10).target(course_lib::sim::Target::Random);
    let dynamo = RegisterConfig::partial(3, 1, 1);
    register_run_text(&mut t, "partial", &run_register(&dynamo, &roaming, net, faults, 7)?)?;
    for (name, cfg) in [("cp", abd), ("ap", dynamo)] {
        let o = partition_experiment(&cfg, 200.0, 1)?;
        writeln!(
            t,
            "partition {name}: availability {:?} stale fraction {:?} ops during {}",
            o.availability, o.stale_read_fraction, o.ops_during
        )?;
    }
    let params = RandomHistory { processes: 3, ops: 30, p_info: 0.1, p_cas: 0.2, corrupt: true };
    let h = random_register_history(&params, 5)?;
    writeln!(t, "random history linearizable {}", check_cas_register(&h).is_linearizable())?;
    history_text(&mut t, &h)?;
    Ok(t)
}

// ---- replication ---------------------------------------------------------------------------

fn run_report_text(t: &mut String, r: &RunReport) -> std::fmt::Result {
    writeln!(
        t,
        "config {} stats {:?} hints left {} home replicas {} end {:?}",
        r.config, r.stats, r.hints_left, r.home_replicas, r.end_ms
    )?;
    history_text(t, &r.history)?;
    writeln!(t, "coordinators {:?} stale {:?}", r.coordinator, r.stale)?;
    for l in &r.lag {
        writeln!(t, "lag {:?} stale keys {:?} lag {:?}", l.t_ms, l.stale_keys, l.lag_ms)?;
    }
    Ok(())
}

/// Notebook 15's quorum store: N = 3, R = W = 2, one fallback with hinted handoff, read
/// repair; 10 keys at 100 writes/s and 200 reads/s for 400 ms over the default network with
/// 1 % loss, replica n1 down 100–250 ms; seed 15.
fn replication_text() -> Out {
    let mut t = String::new();
    let config =
        ReplicationConfig::quorum(3, 2, 2).with_sloppy_quorum(1, true).with_read_repair(true);
    let report = Store::new(config)
        .workload(course_lib::replication::Workload::open_loop(100.0, 200.0, 400.0).keys(10))
        .network(course_lib::replication::default_network().with_loss(0.01))
        .faults(FaultSchedule::new().crash(1, 100.0).restart(1, 250.0))
        .run(15)?;
    run_report_text(&mut t, &report)?;
    writeln!(
        t,
        "stale reads {} of {}; availability 100–250 {:?}",
        report.stale_reads(),
        report.successful_reads(),
        report.availability(100.0, 250.0)
    )?;
    Ok(t)
}

/// The sharded-KV workshop's minority-partition scenario with its own configuration, seed 1.
fn replication_workshop_text() -> Out {
    let mut t = String::new();
    let r = run_scenario(Scenario::MinorityPartition, &workshop_config(), 1)?;
    writeln!(t, "scenario {:?} faults {:?} window {:?}", r.scenario, r.faults, r.fault_window_ms)?;
    writeln!(
        t,
        "availability {:?} write {:?} read {:?} by coordinator {:?}",
        r.availability, r.write_availability, r.read_availability, r.availability_by_coordinator
    )?;
    writeln!(
        t,
        "reads {} stale {} affected {:?} recovery {:?}",
        r.reads, r.stale_reads, r.affected, r.recovery_ms
    )?;
    run_report_text(&mut t, &r.run)?;
    Ok(t)
}

// ---- chat, detector ------------------------------------------------------------------------

/// Notebook 04's chat lab: 4 users posting twice a second for 10 s, 5 % loss and 2 %
/// duplication, the server down 3.0–3.5 s, user n2 isolated 5–6 s; seed 3.
fn chat_text() -> Out {
    let mut t = String::new();
    let net = Network::new(Dist::lognormal_from_median_p99(5.0, 40.0)?)
        .with_loss(0.05)
        .with_duplicate(0.02);
    let cfg = ChatConfig::new(4)
        .with_duration_ms(10_000.0)
        .with_posts_per_s(2.0)
        .with_network(net)
        .with_faults(
            FaultSchedule::new().crash(0, 3_000.0).restart(0, 3_500.0).isolate(2, 5_000.0, 6_000.0),
        );
    let r = run_chat(&cfg, 3)?;
    writeln!(
        t,
        "posts {} availability {:?} delivered {:?} p99 {:?}",
        r.posts(),
        r.availability(),
        r.delivered_fraction(),
        r.p99_delivery_ms()
    )?;
    writeln!(t, "latencies {:?}", r.delivery_latencies_ms())?;
    let s = r.availability_series(Duration::from_secs(1))?;
    writeln!(t, "series good {:?} total {:?}", s.good(), s.total())?;
    Ok(t)
}

/// Notebook 01's detector: Pareto delays (mean 5 ms), 1 % loss, 30 ms timeout, 300 probes,
/// the target crashing at 25.05 s, seed 3; a 3-timeout sweep over exponential delays, seed 42.
fn detector_text() -> Out {
    let mut t = String::new();
    let cfg = DetectorConfig::new(Dist::pareto(5.0 / 3.0, 1.5)?, 30.0)
        .with_loss(0.01)
        .with_probes(300)
        .with_crash_at(25_050.0);
    let o = run_detector(&cfg, 3)?;
    writeln!(
        t,
        "timeout {:?} probes alive {} false {} rate {:?} detection {:?}",
        o.timeout_ms, o.probes_alive, o.false_suspicions, o.false_suspicion_rate, o.detection_ms
    )?;
    let exp = Dist::exponential_mean(5.0)?;
    for p in sweep_timeouts(&exp, 0.01, 100.0, &[10.0, 20.0, 40.0], 200, 5, 42)? {
        writeln!(
            t,
            "sweep timeout {:?} false rate {:?} mean detection {:?}",
            p.timeout_ms, p.false_suspicion_rate, p.mean_detection_ms
        )?;
    }
    Ok(t)
}

// ---- clock ---------------------------------------------------------------------------------

/// Notebook 05: NTP over an asymmetric path (50 exchanges, seed 5); all four clocks on the
/// simulator (3 nodes, 60 ms, seed 11, every event); commit wait on and off (seed 1).
fn clock_text() -> Out {
    let mut t = String::new();
    let client = PhysicalClock::new(-30.0, 0.0)?;
    let server = PhysicalClock::new(12.0, 20.0)?;
    let path = NtpPath::new(
        Dist::exponential_mean(10.0)?,
        Dist::lognormal_from_median_p99(5.0, 80.0)?,
        0.2,
    )?;
    for x in simulate_ntp(&client, &server, &path, 50, 1_000.0, 5)? {
        let s = x.sample;
        writeln!(
            t,
            "ntp sent {:?} t {:?} {:?} {:?} {:?} true offset {:?} error {:?}",
            x.sent_true_ms, s.t0, s.t1, s.t2, s.t3, x.true_offset_ms, x.error_ms
        )?;
    }
    let mut cfg = ClockRunConfig::new(3, 60.0, 2.0);
    cfg.mean_gap_ms = 5.0;
    let run = run_clocks(&cfg, 11)?;
    writeln!(t, "epsilon_us {}", run.epsilon_us)?;
    for c in &run.clocks {
        writeln!(t, "clock offset {:?} drift {:?}", c.offset_ms, c.drift_ppm)?;
    }
    for e in &run.events {
        let kind = match e.kind {
            EventKind::Local => "local".to_string(),
            EventKind::Send(m) => format!("send {m}"),
            EventKind::Receive(m) => format!("receive {m}"),
        };
        writeln!(
            t,
            "event p{} #{} {kind} true {:?} pt_us {} lamport {} vector {:?} hlc ({}, {})",
            e.node,
            e.seq,
            e.true_ms,
            e.pt_us,
            e.lamport,
            e.vector.entries(),
            e.hlc.l,
            e.hlc.c
        )?;
    }
    let gap = Dist::exponential_mean(3.0)?;
    for wait in [false, true] {
        let s = commit_wait_experiment(7.0, 500, &gap, wait, 1)?;
        writeln!(
            t,
            "commit wait {wait}: pairs {} violations {} mean wait {:?}",
            s.pairs, s.violations, s.mean_wait_ms
        )?;
    }
    Ok(t)
}

fn hit_text(t: &mut String, name: &str, h: &HitStats) -> std::fmt::Result {
    writeln!(
        t,
        "{name}: shots {} registered {} rate {:?} error {:?} rewind {:?}",
        h.shots, h.registered, h.registered_rate, h.mean_error_m, h.mean_rewind_ms
    )
}

/// Notebook 05's lag compensation: 300 shots at a jittery 40–60 ms one-way latency with and
/// without compensation (seed 1); a two-client match (seed 2); a prediction trace (seed 4).
fn clock_lag_text() -> Out {
    let mut t = String::new();
    let cfg = LagConfig::counter_strike();
    let jittery = Dist::uniform(40.0, 60.0)?;
    hit_text(&mut t, "without", &hit_registration(&cfg, &jittery, false, 300, 1)?)?;
    hit_text(&mut t, "with", &hit_registration(&cfg, &jittery, true, 300, 1)?)?;
    let clients = [Dist::constant(20.0)?, Dist::uniform(50.0, 100.0)?];
    for (i, r) in simulate_match(&cfg, &clients, 200, 2)?.iter().enumerate() {
        writeln!(t, "client {i} mean latency {:?}", r.mean_latency_ms)?;
        hit_text(&mut t, "  without", &r.without)?;
        hit_text(&mut t, "  with", &r.with)?;
    }
    for p in prediction_trace(200.0, 1_000.0, 50.0, 4)? {
        writeln!(
            t,
            "prediction {:?} authoritative {:?} without {:?} with {:?}",
            p.t_ms, p.authoritative, p.without_prediction, p.with_prediction
        )?;
    }
    Ok(t)
}

// ---- chain, coord --------------------------------------------------------------------------

/// Notebook 09: the stale-block simulation (4 miners, 1 s blocks, Exp(100 ms) propagation,
/// 300 blocks, seed 5); the same miners traced for 20 s; the double-spend race by Monte
/// Carlo (q = 0.3, z = 2, 40 000 trials, seed 9, 2 threads).
fn chain_text() -> Out {
    let mut t = String::new();
    let delay = Dist::exponential_mean(100.0)?;
    let cfg = OrphanConfig::new(4, 1_000.0, delay.clone()).with_blocks(300);
    let s = simulate_orphans(&cfg, 5)?;
    writeln!(
        t,
        "orphans mined {} counted {} stale {} rate {:?} height {} model {:?}",
        s.mined, s.counted, s.stale, s.stale_rate, s.height, s.model
    )?;
    let mut sim = SimBuilder::new(5)
        .network(Network::new(delay))
        .trace(true)
        .build(vec![Miner::new(0.25, 1_000.0); 4])?;
    sim.run_until_ms(20_000.0);
    for (i, m) in sim.nodes().iter().enumerate() {
        writeln!(t, "miner {i} tip {:?} switches {}", m.tip(), m.switches())?;
        for b in m.mined() {
            writeln!(t, "  mined {:?} at {:?}", b.block, b.at_ms)?;
        }
    }
    trace_text(&mut t, sim.trace(), debug_msg)?;
    let race = double_spend_monte_carlo_with_threads(0.3, 2, 40_000, 9, 2)?;
    estimate_text(&mut t, "double spend", &race.estimate)?;
    writeln!(t, "race blocks {} give up gap {}", race.blocks, race.give_up_gap)?;
    Ok(t)
}

fn coord_report_text(t: &mut String, name: &str, r: &CoordReport) -> std::fmt::Result {
    writeln!(
        t,
        "{name}: seed {} fencing {} duration {:?} final {} acked {} rejected {} stale accepted {} \
         lost {} missing {} violated {} lease violations {} belief overlaps {} terms overlap {}",
        r.seed(),
        r.fencing(),
        r.duration_ms(),
        r.final_value(),
        r.acknowledged_writes(),
        r.rejected(),
        r.stale_accepted(),
        r.lost_updates(),
        r.missing_increments(),
        r.violated(),
        r.lease_safety_violations(),
        r.belief_overlaps(),
        r.terms_overlap()
    )?;
    for g in r.grants() {
        writeln!(
            t,
            "  grant c{} token {} from {:?} until {:?} renewals {} released {}",
            g.client, g.token, g.from_ms, g.until_ms, g.renewals, g.released
        )?;
    }
    for b in r.beliefs() {
        writeln!(
            t,
            "  belief c{} token {} from {:?} until {:?}",
            b.client, b.token, b.from_ms, b.until_ms
        )?;
    }
    for p in r.pauses() {
        writeln!(t, "  pause c{} from {:?} until {:?}", p.client, p.from_ms, p.until_ms)?;
    }
    for o in r.storage_log() {
        writeln!(
            t,
            "  storage at {:?} c{} token {} {:?} accepted {} stale {} version {} value {}",
            o.at_ms,
            o.client,
            o.token,
            o.kind,
            o.accepted,
            o.stale,
            o.version_before,
            o.value_before
        )?;
    }
    Ok(())
}

/// Notebook 08: Kleppmann's GC-pause scenario without and with fencing (seed 1), the same over
/// a jittery, lossy network (seed 2), lease-based leader election (seed 3), and a 2 × 2
/// pause/lease sweep (3 runs per cell, seed 7).
fn coord_text() -> Out {
    use course_lib::coord::run;
    let mut t = String::new();
    coord_report_text(&mut t, "kleppmann unfenced", &run(&CoordConfig::kleppmann(false), 1)?)?;
    coord_report_text(&mut t, "kleppmann fenced", &run(&CoordConfig::kleppmann(true), 1)?)?;
    let lossy = CoordConfig::kleppmann(true)
        .network(Network::new(Dist::uniform(1.0, 9.0)?).with_loss(0.05).with_fifo(true));
    coord_report_text(&mut t, "kleppmann lossy", &run(&lossy, 2)?)?;
    let election = CoordConfig::leader_election(3, 500.0);
    coord_report_text(&mut t, "election", &run(&election, 3)?)?;
    let s = pause_lease_sweep(&[0.0, 1_500.0], &[500.0, 1_000.0], 3, 7)?;
    writeln!(
        t,
        "sweep runs {} unfenced {:?} fenced {:?} rejections {:?}",
        s.runs, s.unfenced, s.fenced, s.fenced_rejections
    )?;
    Ok(t)
}

// ---- Monte Carlo: quorum, staleness, slo ---------------------------------------------------

/// Notebook 15: up-count histograms and P(majority of 5) for independent nodes and for zones
/// 2 + 2 + 1, 200 000 trials, seed 15, 2 threads.
fn quorum_text() -> Out {
    let mut t = String::new();
    let zones = vec![
        Zone { nodes: 2, p_zone_up: 0.99 },
        Zone { nodes: 2, p_zone_up: 0.99 },
        Zone { nodes: 1, p_zone_up: 0.999 },
    ];
    for (name, topo) in
        [("independent", Topology::independent(5, 0.9)?), ("zones", Topology::zones(zones, 0.95)?)]
    {
        let hist = up_count_histogram_with_threads(&topo, 200_000, 15, 2)?;
        writeln!(t, "{name}: histogram {hist:?}")?;
        let e = monte_carlo_at_least_k_with_threads(3, &topo, 200_000, 15, 2)?;
        estimate_text(&mut t, name, &e)?;
    }
    Ok(t)
}

/// Notebook 13's WARS Monte Carlo (LinkedIn SSD profile, N = 3), 50 000 trials, seed 5.
fn staleness_text() -> Out {
    let mut t = String::new();
    let p = LatencyProfile::lnkd_ssd();
    writeln!(
        t,
        "t_visibility(0) {:?}",
        t_visibility_with_threads(&p, 3, 1, 1, 0.0, 50_000, 5, 2)?
    )?;
    let curve = consistency_curve(&p, 3, 1, 1, &[5.0, 0.0, 1.0, 10.0], 50_000, 5)?;
    writeln!(t, "curve {curve:?}")?;
    writeln!(t, "t for 99.9 % {:?}", time_to_visibility(&p, 3, 1, 1, 0.999, 50_000, 5)?)?;
    let wan = LatencyProfile::wan();
    writeln!(
        t,
        "wan t_visibility(50) {:?}",
        t_visibility_with_threads(&wan, 3, 1, 2, 50.0, 50_000, 5, 2)?
    )?;
    let (writes, reads) = operation_latencies(&p, 3, 1, 2, 5_000, 5)?;
    writeln!(t, "write latencies {writes:?}")?;
    writeln!(t, "read latencies {reads:?}")?;
    Ok(t)
}

/// Notebook 04's generated SLI month (seed 7) and the workbook's multiwindow alerts on it.
fn slo_text() -> Out {
    let mut t = String::new();
    let month = generate_month(7);
    writeln!(t, "blips {:?}", month.blip_starts)?;
    for i in &month.incidents {
        writeln!(t, "incident {} {} {}..{} {:?}", i.id, i.kind, i.start, i.end, i.description)?;
    }
    writeln!(t, "good {:?}", month.series.good())?;
    writeln!(t, "total {:?}", month.series.total())?;
    let slo = Slo::new(0.999, Duration::from_secs(30 * 24 * 3600))?;
    let eval = AlertPolicy::workbook_multiwindow(&slo)?.evaluate(&month.series, &slo)?;
    for a in &eval.alerts {
        writeln!(t, "alert {:?} {}..{}", a.severity, a.start, a.end)?;
    }
    Ok(t)
}

// ---- byzantine, reliability, ids -----------------------------------------------------------

/// Notebook 02: OM(2) among 6 and 7 generals with 40 and 20 sampled lies per placement, seed 42.
fn byzantine_text() -> Out {
    let mut t = String::new();
    for (n, sample) in [(6, 40), (7, 20)] {
        let c = course_lib::byzantine::check_om(n, 2, sample, 42)?;
        writeln!(
            t,
            "n {} f {} scenarios {} violations {} exhaustive {}",
            c.n, c.f, c.scenarios, c.violations, c.exhaustive
        )?;
        if let Some(o) = &c.example {
            writeln!(
                t,
                "example traitors {:?} value {} decisions {:?} agreement {} validity {}",
                o.traitors, o.commander_value, o.decisions, o.agreement, o.validity
            )?;
        }
    }
    Ok(t)
}

/// Notebook 03's hedged requests: 2 000 requests over a stall-prone mixture, hedged after
/// 50 ms, seed 1.
fn reliability_text() -> Out {
    let mut t = String::new();
    let d =
        Dist::mixture(vec![(0.95, Dist::exponential_mean(10.0)?), (0.05, Dist::constant(200.0)?)])?;
    let (lat, extra) = course_lib::reliability::hedged_latencies(&d, 50.0, 2_000, 1)?;
    writeln!(t, "hedged fraction {extra:?}")?;
    writeln!(t, "latencies {lat:?}")?;
    Ok(t)
}

/// Notebook 10: UUIDv4 from `SimRng::new(9)`, UUIDv7 from a generator seeded with 3.
fn ids_text() -> Out {
    let mut t = String::new();
    let mut rng = SimRng::new(9);
    for _ in 0..8 {
        writeln!(t, "v4 {:032x}", course_lib::ids::uuid_v4(&mut rng).0)?;
    }
    let mut g = course_lib::ids::UuidV7Generator::new(3);
    for ms in [1_000, 1_000, 1_000, 1_001, 999, 1_500, 1_500] {
        writeln!(t, "v7 {ms} {:032x}", g.next(ms)?.0)?;
    }
    Ok(t)
}

/// Notebook 14: jump hash, a ring's tokens, owners and shares, rendezvous owners, a shuffled
/// Zipf workload and its sample, simulated ring imbalance, keys moved per scheme, the hot-spot
/// splitter and a directory with a cached client (closed forms that call `statrs` are left
/// out: it uses the platform's `ln`/`exp`).
fn partition_text() -> Out {
    use course_lib::partition::*;
    let mut t = String::new();
    for (key, buckets) in [(0u64, 1u32), (1, 10), (256, 1024), (u64::MAX, 1_000_000), (42, 7)] {
        writeln!(t, "jump {key} {buckets} {}", jump_hash(key, buckets)?)?;
    }
    let ring = HashRing::new(7, 5, 14)?;
    for node in 0..7 {
        writeln!(t, "tokens n{node} {:?}", ring.tokens_of(node)?)?;
    }
    writeln!(t, "owners {:?}", (0..64).map(|k| ring.owner(k)).collect::<Vec<_>>())?;
    writeln!(t, "shares {:?}", ring.load_shares())?;
    writeln!(t, "preference {:?}", ring.preference_list(5, 3)?)?;
    let hrw = Rendezvous::new(5, 14)?;
    writeln!(t, "rendezvous {:?}", (0..64).map(|k| hrw.owner(k)).collect::<Vec<_>>())?;
    let zipf = Zipf::new(50, 1.1).shuffled(3);
    writeln!(t, "zipf {:?}", zipf.load()?.iter().collect::<Vec<_>>())?;
    writeln!(t, "zipf sample {:?}", zipf.sample(40, 9)?)?;
    let m = ring_imbalance(6, 3, 5, 14)?;
    writeln!(
        t,
        "ring_imbalance {:?} {:?} {:?} {:?} {:?}",
        m.median_max_over_mean,
        m.mean_max_over_mean,
        m.share_variance,
        m.share_variance_se,
        m.size_ci99
    )?;
    let schemes = [
        Scheme::ModN,
        Scheme::Ring { vnodes: 16 },
        Scheme::Jump,
        Scheme::Rendezvous,
        Scheme::Directory { slots: 64 },
        Scheme::BuggyRing { vnodes: 16, bug: RingBug::EvenlySpaced },
        Scheme::BuggyRing { vnodes: 16, bug: RingBug::ReseededPerSize },
    ];
    for scheme in schemes {
        for change in [Change::Join, Change::Leave(2), Change::ResizeTo(3)] {
            let mv = keys_moved(scheme, 6, change, 2_000, 14)?;
            writeln!(
                t,
                "moved {scheme} / {change}: {} {} {:?}",
                mv.moved, mv.needless, mv.received
            )?;
        }
    }
    let load = Zipf::new(2_000, 1.0).load()?;
    let r = Splitter::new(0.08).run(&RangeTable::even(5, 2_000)?, &load)?;
    writeln!(t, "split after {:?}", r.after)?;
    writeln!(t, "splits {:?}", r.splits)?;
    writeln!(t, "moves {:?}", r.moves)?;
    writeln!(t, "hot {:?} ranges {:?}", r.hot_keys, r.table.ranges())?;
    let mut dir = Directory::new(3, 32)?;
    let mut client = CachedClient::new(&dir);
    dir.add_node(3)?;
    dir.remove_node(1)?;
    writeln!(t, "directory {:?}", dir.moves())?;
    let hops: Vec<u32> = (0..40).map(|k| client.route(k, &dir).hops).collect();
    writeln!(t, "client {hops:?} {} {}", client.redirects(), client.reloads())?;
    Ok(t)
}

// ---- one test per module -------------------------------------------------------------------

#[test]
fn rng() {
    check("rng");
}

#[test]
fn dist() {
    check("dist");
}

#[test]
fn sim() {
    check("sim");
}

#[test]
fn paxos() {
    check("paxos");
}

#[test]
fn paxos_flp() {
    check("paxos::flp");
}

#[test]
fn paxos_multi() {
    check("paxos::multi");
}

#[test]
fn raft() {
    check("raft");
}

#[test]
fn consistency() {
    check("consistency");
}

#[test]
fn replication() {
    check("replication");
}

#[test]
fn replication_workshop() {
    check("replication::workshop");
}

#[test]
fn chat() {
    check("chat");
}

#[test]
fn detector() {
    check("detector");
}

#[test]
fn clock() {
    check("clock");
}

#[test]
fn clock_lag() {
    check("clock::lag");
}

#[test]
fn chain() {
    check("chain");
}

#[test]
fn coord() {
    check("coord");
}

#[test]
fn quorum() {
    check("quorum");
}

#[test]
fn staleness() {
    check("staleness");
}

#[test]
fn slo() {
    check("slo");
}

#[test]
fn byzantine() {
    check("byzantine");
}

#[test]
fn reliability() {
    check("reliability");
}

#[test]
fn ids() {
    check("ids");
}

fn storage_text() -> Out {
    use course_lib::sim::Bugs;
    use course_lib::storage::*;
    let mut t = String::new();
    writeln!(t, "crc {:08x} {:08x}", crc32c(b"123456789"), crc32c(&[0u8; 32]))?;
    let sweep = CrashSweep::new(StoreConfig::default().batch(8).checkpoint_every(24));
    for p in 0..20 {
        let c = sweep.case(p)?;
        let r = recover(&c.disk)?;
        writeln!(
            t,
            "point {p}: {} / lsn {} state {:?} stop {:?}",
            c.describe(),
            r.lsn,
            r.state,
            r.stopped_at
        )?;
    }
    let out = sweep.run(0..300, recover)?;
    writeln!(t, "sweep {out} max {} mean {}", out.max_recovery_ms(), out.mean_recovery_ms())?;
    for p in group_commit(&[1, 8, 64], CostModel::hdd(), 512)? {
        writeln!(t, "commit {p:?}")?;
    }
    let iv = CrashSweep::new(StoreConfig::default().batch(4)).keys(16).max_ops(300);
    for p in recovery_vs_interval(&iv, &[8, 64], 50)? {
        writeln!(t, "interval {p:?}")?;
    }
    let s = [Compaction::Snapshot, Compaction::Incremental, Compaction::Hybrid { full_every: 3 }];
    for p in compare_compaction(&s, 100, 2_000, 50, CostModel::ssd())? {
        writeln!(t, "compaction {p:?}")?;
    }
    let torn = torn_example()?;
    writeln!(t, "torn {:?} {:?}", torn.after.log(), torn.recovered.stopped_at)?;
    for bugs in [Bugs::none(), Bugs::one(Bug::AckBeforeFsync), Bugs::one(Bug::AckOnOne)] {
        let cfg = ReplicatedLog { bugs, check_majority: false, ..ReplicatedLog::default() };
        let report = cfg.experiment(ReplicatedLog::workload())?.run(5)?;
        let lsns: Vec<_> =
            report.sim().nodes().iter().map(|n| (n.last_lsn(), n.restarts())).collect();
        writeln!(t, "replicated {lsns:?} {:?} {:?}", report.stats().events, report.violation())?;
    }
    Ok(t)
}

#[test]
fn partition() {
    check("partition");
}

#[test]
fn storage() {
    check("storage");
}

/// A word count with a straggler, backups and two workers killed (every task attempt, the
/// times, the output) and a sizes-only job without backups.
fn mapreduce_text() -> Out {
    use course_lib::mapreduce::*;
    let mut t = String::new();
    let text = generated_text(3_000, 3);
    let cluster = Cluster::new(6, 12, 4).stragglers(1, 4.0).kills(2, 60.0).restart_after(20.0);
    let run = word_count_run(&text, &cluster, 11)?;
    writeln!(
        t,
        "job {} ms finished {} maps {} reduces {} backups {} re-executed {} failed {} slow {:?} events {}",
        run.job_ms,
        run.finished,
        run.map_attempts,
        run.reduce_attempts,
        run.backups,
        run.reexecuted_maps,
        run.workers_failed,
        run.slow_workers,
        run.events
    )?;
    for e in &run.tasks {
        writeln!(t, "task {e:?}")?;
    }
    writeln!(t, "output {} first {:?}", run.output.len(), &run.output[..5.min(run.output.len())])?;
    let sizes =
        run_sizes(&Cluster::new(20, 60, 10).stragglers(2, 4.0).backups(false), 64.0, 64.0, 7)?;
    writeln!(
        t,
        "sizes {} ms, {} maps, {} reduces",
        sizes.job_ms, sizes.map_attempts, sizes.reduce_attempts
    )?;
    Ok(t)
}

#[test]
fn mapreduce() {
    check("mapreduce");
}

/// Push rounds, rumor mongering (both rules), anti-entropy residues, SWIM under loss with a
/// crash (every member's transitions and the trace digest), the gossiped counter under loss and
/// duplication.
fn gossip_text() -> Out {
    use course_lib::gossip::counter::CounterConfig;
    use course_lib::gossip::swim::SwimConfig;
    use course_lib::gossip::*;
    let mut t = String::new();
    writeln!(t, "push {} {}", push_rounds(1_000, 3)?, push_rounds(50_000, 4)?)?;
    for rule in [RumorRule::Coin, RumorRule::Counter] {
        writeln!(t, "rumor {:?}", rumor_mongering_with(2_000, 2, rule, 5)?)?;
    }
    for ex in Exchange::ALL {
        writeln!(t, "anti-entropy {:?}", anti_entropy(500, ex, 6)?)?;
    }
    writeln!(t, "swim first {}", swim_first_detection(20, 100, 7)?)?;
    let cfg = SwimConfig::new(8).loss(0.1).crash(6, 700.0).horizon_ms(2_000.0);
    writeln!(t, "swim {:?}", cfg.run(8)?)?;
    let sim = cfg.traced(8)?;
    writeln!(t, "swim trace {}", sim.trace().digest())?;
    for (i, n) in sim.nodes().iter().enumerate() {
        writeln!(t, "n{i} inc {} {:?}", n.incarnation(), n.transitions())?;
    }
    let c = CounterConfig::new(6).faulty(0.2, 0.2).run(9)?;
    writeln!(t, "counter {:?} {:?} {}", c.estimates, c.converged_ms, c.messages)?;
    Ok(t)
}

/// CRDT replicas gossiping through a partition that heals (every final state, the convergence
/// time, the messages), the summing planted bug's violation, a cart scenario under skew for the
/// LWW and siblings carts, and a Merkle anti-entropy cost.
fn crdt_text() -> Out {
    use course_lib::crdt::cart::*;
    use course_lib::crdt::gossip::*;
    use course_lib::crdt::merkle::anti_entropy;
    use course_lib::crdt::{GCounter, OrSet};
    let mut t = String::new();
    let cfg = GossipConfig::new(5, 15.0).updates(6, 12.0).partition(20.0, 250.0);
    let r = run(
        &cfg,
        OrSet::new,
        |s: &mut OrSet<u8>, rng| {
            let x = rng.below(6) as u8;
            if rng.uniform() < 0.7 {
                s.add(x)
            } else {
                s.remove(&x)
            }
        },
        7,
    )?;
    writeln!(t, "or-set {r} {:?} states {:?}", r.convergence_ms, r.states)?;
    let g = run(&cfg, GCounter::new, |c, rng| c.increment(1 + rng.below(3)), 7)?;
    writeln!(t, "gcounter {g} {:?} {:?}", g.convergence_ms, g.states)?;
    let s = run(&cfg, SummingCounter::new, |c, _| c.increment(1), 7)?;
    writeln!(t, "summing {s} {:?}", s.states)?;
    for skew in [0.0, 300.0] {
        let scn = CartScenario::new(skew);
        writeln!(t, "lww {}", run_cart::<LwwCart>(&scn, 5)?)?;
        writeln!(t, "siblings {}", run_cart::<SiblingsCart>(&scn, 5)?)?;
    }
    writeln!(t, "merkle {:?}", anti_entropy(5_000, 20, 8, 3)?)?;
    Ok(t)
}

#[test]
fn gossip() {
    check("gossip");
}

#[test]
fn txn_dist() {
    check("txn::dist");
}

/// Distributed transactions: a crashy 2PC run (trace digest and outcome), the blocking sweep,
/// a saga run, the deadlock timeout sweep.
fn txn_dist_text() -> Out {
    use course_lib::dist::Dist;
    use course_lib::sim::Network;
    use course_lib::txn::deadlock::{self, DeadlockConfig, Detection};
    use course_lib::txn::{saga, twopc};
    let mut t = String::new();
    let cfg = twopc::TwoPcConfig::new(3)
        .vote_no(0.1)
        .random_crashes(3, 50.0)
        .network(Network::new(Dist::uniform(0.5, 1.5)?).with_loss(0.02));
    let report = twopc::experiment(&cfg, twopc::workload(3, 10))?.trace(true).run(7)?;
    writeln!(
        t,
        "2pc trace {:016x} events {}",
        report.sim().trace().digest(),
        report.sim().trace().len()
    )?;
    writeln!(t, "2pc {:?}", twopc::run(&cfg, twopc::workload(3, 10), 7)?)?;
    for p in twopc::blocking_sweep(&twopc::TwoPcConfig::new(3), &[10.0, 100.0])? {
        writeln!(t, "blocking {p:?}")?;
    }
    writeln!(t, "3pc crash {:?}", twopc::three_phase::crash_run(100.0)?)?;
    writeln!(t, "3pc partition {:?}", twopc::three_phase::partition_run()?)?;
    writeln!(t, "saga {:?}", saga::run(&saga::SagaConfig::new(3), 3)?)?;
    let base = DeadlockConfig::new(3, 8, Detection::EdgeChasing);
    let ds = [Detection::Timeout { timeout_ms: 20.0 }, Detection::EdgeChasing];
    for p in deadlock::timeout_sweep(&base, &ds, 0..5)? {
        writeln!(t, "deadlock {p:?}")?;
    }
    Ok(t)
}

#[test]
fn crdt() {
    check("crdt");
}

/// txn: a random schedule and its trace under every scheme, the committed history's
/// verdict, and one contention run per scheme (every number, with `{:?}` floats).
fn txn_text() -> Out {
    use course_lib::txn::*;
    let mut t = String::new();
    let s = RandomSchedule { txns: 4, ops: 4, keys: 3, scan_prob: 0.2, overlap: 0 }.generate(11)?;
    writeln!(t, "{s}")?;
    for scheme in [
        Scheme::ReadUncommitted,
        Scheme::ReadCommitted,
        Scheme::RepeatableReadLocking,
        Scheme::SnapshotIsolation,
        Scheme::Ssi,
        Scheme::Strict2pl,
        Scheme::Occ(reference_validator),
    ] {
        let o = run_scheme(&s, scheme)?;
        writeln!(t, "{}", scheme.name())?;
        for st in o.trace() {
            writeln!(t, "  {:?}", st)?;
        }
        writeln!(t, "  final {:?} {}", o.final_state(), check_serializable(o.history()))?;
    }
    let cfg = Contention { txns: 30, ..Contention::default() };
    for scheme in CC_SCHEMES {
        let (p, h) = cfg.run(scheme, 1.0, 5)?;
        writeln!(t, "{p:?} {}", check_serializable(&h))?;
    }
    Ok(t)
}

#[test]
fn txn() {
    check("txn");
}

/// Every entry of `PINS` has its own test above (a test per module names the failing module).
#[test]
fn every_pin_is_tested_and_unique() {
    let source = include_str!("determinism_digests.rs");
    for (i, (module, _, _)) in PINS.iter().enumerate() {
        assert!(PINS[..i].iter().all(|p| p.0 != *module), "{module} is in PINS twice");
        assert!(
            source.contains(&format!("check(\"{module}\");")),
            "{module} has no #[test] calling check"
        );
    }
}
