//! State-based replication on the harness: every replica is a [`crate::sim::Node`] that
//! applies its own updates and, every `interval_ms`, sends its whole state to one random peer,
//! which merges it (anti-entropy by gossip; Demers et al. 1987). A partition from a
//! [`crate::sim::FaultSchedule`] splits the replicas in two halves while updates go on; when
//! it heals, gossip carries every state everywhere, and the run's final property checks that
//! all replicas are **equal**. [`GossipRun::convergence_ms`] is how long that took after the
//! last update and the heal.
//!
//! The planted bug [`SummingCounter`] (a G-counter whose merge *adds* entries instead of taking
//! the maximum: not idempotent) never converges: every gossip message counts the same
//! increments again.
//!
//! ```
//! use course_lib::crdt::{gossip::*, GCounter};
//! # fn main() -> course_lib::Result<()> {
//! let cfg = GossipConfig::new(6, 20.0).updates(5, 10.0).partition(20.0, 300.0);
//! let run = run(&cfg, GCounter::new, |c, _| c.increment(1), 1)?;
//! assert!(run.converged && run.states.iter().all(|c| c.value() == 30));
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use super::Crdt;
use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::{Ctx, Experiment, FaultSchedule, Network, Node, NodeId};

/// How replicas gossip: counts, intervals, the partition, the network. Setters never fail;
/// [`experiment`] checks the values.
#[derive(Clone, Debug)]
pub struct GossipConfig {
    /// Number of replicas (at least 2).
    pub replicas: usize,
    /// Each replica sends its state to one random peer every `interval_ms` (first send at a
    /// random phase).
    pub interval_ms: f64,
    /// Updates each replica applies.
    pub updates: usize,
    /// Time between a replica's updates (ms).
    pub update_every_ms: f64,
    /// Replicas `0..n/2` and `n/2..n` cannot talk from `.0` to `.1` ms.
    pub partition: Option<(f64, f64)>,
    /// The network (default: uniform 1–5 ms delays).
    pub network: Network,
    /// When the run stops (ms).
    pub horizon_ms: f64,
}

impl GossipConfig {
    /// `replicas` replicas gossiping every `interval_ms`, 10 updates each 10 ms apart, no
    /// partition, uniform 1–5 ms delays, a 3 s horizon.
    pub fn new(replicas: usize, interval_ms: f64) -> GossipConfig {
        GossipConfig {
            replicas,
            interval_ms,
            updates: 10,
            update_every_ms: 10.0,
            partition: None,
            network: Network::new(Dist::Uniform { lo: 1.0, hi: 5.0 }),
            horizon_ms: 3_000.0,
        }
    }

    /// `count` updates per replica, `every_ms` apart.
    pub fn updates(mut self, count: usize, every_ms: f64) -> Self {
        self.updates = count;
        self.update_every_ms = every_ms;
        self
    }

    /// Split the replicas in two halves from `from_ms` until `until_ms`.
    pub fn partition(mut self, from_ms: f64, until_ms: f64) -> Self {
        self.partition = Some((from_ms, until_ms));
        self
    }

    /// The network.
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// The horizon (ms).
    pub fn horizon_ms(mut self, horizon_ms: f64) -> Self {
        self.horizon_ms = horizon_ms;
        self
    }

    fn validate(&self) -> Result<()> {
        validate::at_least("replicas", self.replicas, 2)?;
        validate::positive("interval_ms", self.interval_ms)?;
        validate::positive("update_every_ms", self.update_every_ms)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        if let Some((a, b)) = self.partition {
            validate::non_negative("partition start (ms)", a)?;
            validate::ordered("partition start (ms)", a, "partition end (ms)", b)?;
            if a >= b {
                return Err(Error::invalid(
                    "partition",
                    format!("it starts at {a} ms and ends at {b} ms: the end must be later"),
                ));
            }
        }
        self.network.validate(self.replicas)
    }
}

/// What a replica's timer reminds it of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipTimer {
    /// Send the state to a random peer.
    Gossip,
    /// Apply the next local update.
    Update,
}

/// A replica: its CRDT state, its update function and how many updates are left.
#[derive(Clone, Debug)]
pub struct Replica<C> {
    /// The replicated state.
    pub state: C,
    /// Updates applied so far.
    pub applied: usize,
    updates_left: usize,
    update: fn(&mut C, &mut SimRng),
    interval_ms: f64,
    every_ms: f64,
}

impl<C: Crdt> Node for Replica<C> {
    type Msg = C;
    type Timer = GossipTimer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        let phase = ctx.rng().uniform() * self.interval_ms;
        ctx.set_timer(phase, GossipTimer::Gossip);
        if self.updates_left > 0 {
            let first = ctx.rng().uniform() * self.every_ms;
            ctx.set_timer(first, GossipTimer::Update);
        }
    }

    fn on_message(&mut self, _ctx: &mut Ctx<Self>, _from: NodeId, msg: C) {
        self.state.merge(&msg);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: GossipTimer) {
        match timer {
            GossipTimer::Gossip => {
                let n = ctx.cluster_size();
                let me = ctx.id().0;
                let k = ctx.rng().below(n as u64 - 1) as usize;
                let to = if k >= me { k + 1 } else { k };
                ctx.send(NodeId(to), self.state.clone());
                ctx.set_timer(self.interval_ms, GossipTimer::Gossip);
            }
            GossipTimer::Update => {
                if self.updates_left > 0 {
                    (self.update)(&mut self.state, ctx.rng());
                    self.applied += 1;
                    self.updates_left -= 1;
                }
                if self.updates_left > 0 {
                    ctx.set_timer(self.every_ms, GossipTimer::Update);
                }
            }
        }
    }

    fn restarted(&self) -> Self {
        self.clone() // the state is durable
    }
}

fn all_equal<C: PartialEq>(states: &[Replica<C>]) -> bool {
    states.windows(2).all(|w| w[0].state == w[1].state)
}

/// The experiment: `cfg.replicas` replicas `make(i)`, each applying `cfg.updates` updates
/// `update(state, rng)` (its own random stream), gossiping; the partition as a fault; the final
/// property "converged": every replica's state equal.
pub fn experiment<C: Crdt + 'static>(
    cfg: &GossipConfig,
    make: impl Fn(usize) -> C,
    update: fn(&mut C, &mut SimRng),
) -> Result<Experiment<Replica<C>>> {
    cfg.validate()?;
    let n = cfg.replicas;
    let nodes: Vec<Replica<C>> = (0..n)
        .map(|i| Replica {
            state: make(i),
            applied: 0,
            updates_left: cfg.updates,
            update,
            interval_ms: cfg.interval_ms,
            every_ms: cfg.update_every_ms,
        })
        .collect();
    let mut faults = FaultSchedule::new();
    if let Some((a, b)) = cfg.partition {
        faults = faults.partition(vec![(0..n / 2).collect(), (n / 2..n).collect()], a, b);
    }
    Ok(Experiment::new(nodes)
        .network(cfg.network.clone())
        .faults(faults)
        .horizon_ms(cfg.horizon_ms)
        .property("converged", |sim| {
            if all_equal(sim.nodes()) {
                Ok(())
            } else {
                let diff = (1..sim.nodes().len())
                    .find(|&i| sim.nodes()[i].state != sim.nodes()[0].state)
                    .unwrap_or(0);
                Err(format!("replicas n0 and n{diff} still differ at the end"))
            }
        }))
}

/// One gossip run: final states, whether they agree, and when.
#[derive(Clone, Debug)]
pub struct GossipRun<C> {
    /// Every replica's final state.
    pub states: Vec<C>,
    /// The final property held: all states equal.
    pub converged: bool,
    /// Time from the moment the last update was applied and the partition had healed (the
    /// later of the two) until all states were equal for good; `None` if they never were.
    pub convergence_ms: Option<f64>,
    /// When that quiet period began (ms).
    pub quiet_from_ms: f64,
    /// Gossip messages sent.
    pub messages: u64,
    /// The harness's violation, if any.
    pub violation: Option<String>,
}

impl<C> fmt::Display for GossipRun<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.converged, self.convergence_ms) {
            (true, Some(ms)) => write!(
                f,
                "{} replicas converged {:.1} ms after the last update and the heal ({} messages)",
                self.states.len(),
                ms,
                self.messages
            ),
            _ => write!(
                f,
                "{} replicas did NOT converge ({} messages): {}",
                self.states.len(),
                self.messages,
                self.violation.clone().unwrap_or_default()
            ),
        }
    }
}

/// Run [`experiment`] with `seed`, watching after every event when the replicas agree.
pub fn run<C: Crdt + 'static>(
    cfg: &GossipConfig,
    make: impl Fn(usize) -> C,
    update: fn(&mut C, &mut SimRng),
    seed: u64,
) -> Result<GossipRun<C>> {
    let exp = experiment(cfg, make, update)?;
    let mut r = exp.start(seed)?;
    let heal = cfg.partition.map_or(0.0, |p| p.1);
    let mut last_update: Option<f64> = if cfg.updates == 0 { Some(0.0) } else { None };
    let mut agreed_since: Option<f64> = None;
    while let Some(t) = r.step()? {
        let t = t.as_ms();
        if t > cfg.horizon_ms {
            break;
        }
        let nodes = r.sim().nodes();
        if last_update.is_none() && nodes.iter().all(|n| n.updates_left == 0) {
            last_update = Some(t);
        }
        let quiet = last_update.is_some_and(|u| t >= u) && t >= heal;
        if quiet && all_equal(nodes) {
            agreed_since.get_or_insert(t);
        } else {
            agreed_since = None;
        }
    }
    let report = r.finish()?;
    let quiet_from = last_update.unwrap_or(f64::INFINITY).max(heal);
    let states: Vec<C> = report.sim().nodes().iter().map(|n| n.state.clone()).collect();
    Ok(GossipRun {
        converged: report.passed(),
        convergence_ms: agreed_since.filter(|_| report.passed()).map(|t| t - quiet_from),
        quiet_from_ms: quiet_from,
        messages: report.stats().sent,
        violation: report.violation().map(|v| v.to_string()),
        states,
    })
}

/// Mean convergence time (ms after the last update and the heal) of G-counters on
/// `replicas` replicas, 10 increments each, for each gossip interval, over seeds `0..seeds`;
/// with the mean number of messages. Runs that did not converge are counted in `failed`.
pub fn convergence_vs_interval(
    replicas: usize,
    intervals_ms: &[f64],
    seeds: u64,
) -> Result<Vec<ConvergencePoint>> {
    validate::at_least("seeds", seeds as usize, 1)?;
    let mut out = Vec::new();
    for &iv in intervals_ms {
        let cfg = GossipConfig::new(replicas, iv).updates(10, 10.0).horizon_ms(100.0 + 60.0 * iv);
        let (mut sum, mut msgs, mut ok, mut failed) = (0.0, 0.0, 0u64, 0u64);
        for s in 0..seeds {
            let r = run(&cfg, super::GCounter::new, |c, _| c.increment(1), s)?;
            match r.convergence_ms {
                Some(ms) => {
                    sum += ms;
                    ok += 1;
                }
                None => failed += 1,
            }
            msgs += r.messages as f64;
        }
        out.push(ConvergencePoint {
            interval_ms: iv,
            mean_ms: if ok > 0 { sum / ok as f64 } else { f64::NAN },
            mean_messages: msgs / seeds as f64,
            failed,
        });
    }
    Ok(out)
}

/// One point of [`convergence_vs_interval`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvergencePoint {
    /// The gossip interval (ms).
    pub interval_ms: f64,
    /// Mean time to agree after the last update (ms).
    pub mean_ms: f64,
    /// Mean gossip messages per run.
    pub mean_messages: f64,
    /// Seeds that never agreed.
    pub failed: u64,
}

/// **Planted bug**: a G-counter whose merge *adds* the other side's entries instead of taking
/// the maximum. Merge is commutative and associative but not idempotent ($a \sqcup a = 2a$),
/// so the same increments are counted again by every gossip message and replicas never agree.
#[derive(Clone, Debug)]
pub struct SummingCounter {
    replica: usize,
    counts: BTreeMap<usize, u64>,
}

impl SummingCounter {
    /// A zero counter held by `replica`.
    pub fn new(replica: usize) -> SummingCounter {
        SummingCounter { replica, counts: BTreeMap::new() }
    }

    /// Add `n`.
    pub fn increment(&mut self, n: u64) {
        let c = self.counts.entry(self.replica).or_insert(0);
        *c = c.saturating_add(n);
    }

    /// The sum (wrapping: the bug makes it grow without bound).
    pub fn value(&self) -> u64 {
        self.counts.values().fold(0u64, |a, &b| a.wrapping_add(b))
    }
}

impl Crdt for SummingCounter {
    fn merge(&mut self, other: &Self) {
        for (&r, &c) in &other.counts {
            let e = self.counts.entry(r).or_insert(0);
            *e = e.wrapping_add(c); // the bug: + instead of max
        }
    }
}

impl PartialEq for SummingCounter {
    fn eq(&self, other: &Self) -> bool {
        self.counts == other.counts
    }
}
