//! A gossiped global counter on the experiment harness (seed 002's hands-on: "a global
//! counter with memberlist").
//!
//! Every node counts its own events (node i makes `increments + i` of them, one every
//! `increment_every_ms`) and keeps a vector `counts`, its belief of every node's count; its
//! estimate of the global count is the vector's sum. Every period it picks a random peer and
//! runs anti-entropy on the whole vector ([`super::Exchange`]: push, pull, push-pull), and the
//! receiver merges what it hears with a [`Merge`] function.
//!
//! * [`merge_max`] (the correct one: a G-Counter) keeps, per node, the largest count heard.
//!   Max is idempotent (hearing the same vector twice changes nothing), commutative and
//!   associative (order does not matter), so the estimates converge to the true sum under
//!   loss, duplication and reordering.
//! * [`merge_add`] (the planted bug [`CounterBug::AddWhatYouHear`]) adds what it hears:
//!   every repeated or duplicated message counts the same increments again.
//!
//! Checks ([`CounterConfig::experiment`]): the invariant *no double counting* (no node
//! believes any node has counted more than it has) after every event and the property
//! *converged* (every estimate equals the true total) at the end.

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{Bugs, Ctx, Experiment, Network, Node, NodeId, Simulation};

use super::Exchange;

/// A merge: fold what a peer sent (`heard`, one count per node) into mine.
pub type Merge = fn(&mut [u64], &[u64]);

/// The G-Counter merge: element-wise maximum.
pub fn merge_max(mine: &mut [u64], heard: &[u64]) {
    for (m, h) in mine.iter_mut().zip(heard) {
        *m = (*m).max(*h);
    }
}

/// The naïve merge (a planted bug): add what you hear (saturating at `u64::MAX`: the
/// estimates grow exponentially).
pub fn merge_add(mine: &mut [u64], heard: &[u64]) {
    for (m, h) in mine.iter_mut().zip(heard) {
        *m = m.saturating_add(*h);
    }
}

/// Planted bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CounterBug {
    /// Merge by adding what you hear ([`merge_add`]) instead of the configured merge.
    AddWhatYouHear,
}

/// The counter's messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CounterMsg {
    /// My vector (push; also the first half of push-pull, `reply` set).
    State {
        /// The sender's counts.
        counts: Vec<u64>,
        /// Answer with your vector (push-pull).
        reply: bool,
    },
    /// "Send me your vector" (pull).
    Pull,
}

/// The counter's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterTimer {
    /// Gossip with a random peer.
    Gossip,
    /// Count one local event.
    Increment,
}

/// One node of the gossiped counter.
#[derive(Clone, Debug)]
pub struct CounterNode {
    me: usize,
    exchange: Exchange,
    merge: Merge,
    period_ms: f64,
    increment_every_ms: f64,
    to_count: u64,
    /// Events this node has counted (the truth about itself).
    local: u64,
    counts: Vec<u64>,
}

impl CounterNode {
    /// Events this node has counted itself.
    pub fn local(&self) -> u64 {
        self.local
    }
    /// This node's belief of every node's count.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }
    /// This node's estimate of the global count (sum of its vector).
    pub fn estimate(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }

    fn heard(&mut self, counts: &[u64]) {
        if counts.len() == self.counts.len() {
            (self.merge)(&mut self.counts, counts);
        }
    }
}

impl Node for CounterNode {
    type Msg = CounterMsg;
    type Timer = CounterTimer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        let phase = ctx.rng().uniform();
        ctx.set_timer(phase * self.period_ms, CounterTimer::Gossip);
        if self.to_count > 0 {
            ctx.set_timer(phase * self.increment_every_ms, CounterTimer::Increment);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: CounterMsg) {
        match msg {
            CounterMsg::State { counts, reply } => {
                if reply {
                    let mine = self.counts.clone();
                    ctx.send(from, CounterMsg::State { counts: mine, reply: false });
                }
                self.heard(&counts);
            }
            CounterMsg::Pull => {
                ctx.send(from, CounterMsg::State { counts: self.counts.clone(), reply: false });
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: CounterTimer) {
        match timer {
            CounterTimer::Increment => {
                self.local += 1;
                self.counts[self.me] = self.counts[self.me].max(self.local);
                if self.local < self.to_count {
                    ctx.set_timer(self.increment_every_ms, CounterTimer::Increment);
                }
            }
            CounterTimer::Gossip => {
                let n = self.counts.len();
                let j = ctx.rng().below(n as u64 - 1) as usize;
                let peer = NodeId(if j >= self.me { j + 1 } else { j });
                let msg = match self.exchange {
                    Exchange::Push => {
                        CounterMsg::State { counts: self.counts.clone(), reply: false }
                    }
                    Exchange::Pull => CounterMsg::Pull,
                    Exchange::PushPull => {
                        CounterMsg::State { counts: self.counts.clone(), reply: true }
                    }
                };
                ctx.send(peer, msg);
                ctx.set_timer(self.period_ms, CounterTimer::Gossip);
            }
        }
    }

    fn restarted(&self) -> Self {
        self.clone()
    }
}

/// A gossiped-counter cluster. Public fields; checked by `experiment`/`run`.
#[derive(Clone, Debug)]
pub struct CounterConfig {
    /// Nodes (≥ 2).
    pub nodes: usize,
    /// Node i counts `increments + i` events.
    pub increments: u64,
    /// One local event every this many ms.
    pub increment_every_ms: f64,
    /// Gossip period (ms).
    pub period_ms: f64,
    /// Push, pull or push-pull.
    pub exchange: Exchange,
    /// The merge every node uses.
    pub merge: Merge,
    /// The network.
    pub network: Network,
    /// How long to run (ms).
    pub horizon_ms: f64,
    /// Planted bugs.
    pub bugs: Bugs<CounterBug>,
}

impl CounterConfig {
    /// `nodes` nodes, 20 + i events each (one per 10 ms), gossip every 50 ms by push-pull
    /// with [`merge_max`], delays uniform 1–10 ms, no loss, 3 s.
    pub fn new(nodes: usize) -> CounterConfig {
        CounterConfig {
            nodes,
            increments: 20,
            increment_every_ms: 10.0,
            period_ms: 50.0,
            exchange: Exchange::PushPull,
            merge: merge_max,
            network: Network::new(Dist::Uniform { lo: 1.0, hi: 10.0 }),
            horizon_ms: 3_000.0,
            bugs: Bugs::none(),
        }
    }
    /// The exchange.
    pub fn exchange(mut self, exchange: Exchange) -> Self {
        self.exchange = exchange;
        self
    }
    /// The merge.
    pub fn merge(mut self, merge: Merge) -> Self {
        self.merge = merge;
        self
    }
    /// Loss and duplication on every link.
    pub fn faulty(mut self, loss: f64, duplicate: f64) -> Self {
        self.network = self.network.with_loss(loss).with_duplicate(duplicate);
        self
    }
    /// Plant bugs.
    pub fn bugs(mut self, bugs: Bugs<CounterBug>) -> Self {
        self.bugs = bugs;
        self
    }

    /// The true global count once every node has counted all its events.
    pub fn true_total(&self) -> u64 {
        (0..self.nodes as u64).map(|i| self.increments + i).sum()
    }

    fn base(&self) -> Result<Experiment<CounterNode>> {
        validate::at_least("nodes", self.nodes, 2)?;
        validate::positive("period_ms", self.period_ms)?;
        validate::positive("increment_every_ms", self.increment_every_ms)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        let last = (self.increments + self.nodes as u64) as f64 * self.increment_every_ms;
        if last >= self.horizon_ms {
            return Err(Error::invalid(
                "counter horizon",
                format!(
                    "the last increment happens near {last} ms: horizon_ms = {} leaves no time to converge",
                    self.horizon_ms
                ),
            ));
        }
        let merge = if self.bugs.has(CounterBug::AddWhatYouHear) { merge_add } else { self.merge };
        let nodes = (0..self.nodes)
            .map(|me| CounterNode {
                me,
                exchange: self.exchange,
                merge,
                period_ms: self.period_ms,
                increment_every_ms: self.increment_every_ms,
                to_count: self.increments + me as u64,
                local: 0,
                counts: vec![0; self.nodes],
            })
            .collect();
        Ok(Experiment::new(nodes).network(self.network.clone()).horizon_ms(self.horizon_ms))
    }

    /// The experiment with its checks: *no double counting* after every event, *converged* at
    /// the end.
    pub fn experiment(&self) -> Result<Experiment<CounterNode>> {
        let total = self.true_total();
        Ok(self
            .base()?
            .invariant("no double counting", |sim| {
                let truth: Vec<u64> = sim.nodes().iter().map(|n| n.local).collect();
                for (i, node) in sim.nodes().iter().enumerate() {
                    if node.counts.len() != truth.len() {
                        return Err(format!("n{i}'s vector has {} entries", node.counts.len()));
                    }
                    for (j, (&c, &t)) in node.counts.iter().zip(&truth).enumerate() {
                        if c > t {
                            return Err(format!(
                                "n{i} believes n{j} counted {c}, but n{j} has counted only {t}"
                            ));
                        }
                    }
                }
                Ok(())
            })
            .property("converged to the true total", move |sim| {
                for (i, node) in sim.nodes().iter().enumerate() {
                    let e = node.estimate();
                    if e != total {
                        return Err(format!("n{i} estimates {e}, the true total is {total}"));
                    }
                }
                Ok(())
            }))
    }

    /// Run once without checks and report the estimates.
    pub fn run(&self, seed: u64) -> Result<CounterRun> {
        let mut run = self.base()?.start(seed)?;
        let total = self.true_total();
        let mut converged_ms = None;
        let step = self.period_ms / 5.0;
        let mut t = 0.0;
        let mut spread = Vec::new();
        while t < self.horizon_ms {
            t = (t + step).min(self.horizon_ms);
            run.run_until_ms(t)?;
            let sim: &Simulation<CounterNode> = run.sim();
            let est: Vec<u64> = sim.nodes().iter().map(CounterNode::estimate).collect();
            let (lo, hi) = (*est.iter().min().unwrap_or(&0), *est.iter().max().unwrap_or(&0));
            spread.push((t, lo, hi));
            let done = est.iter().all(|&e| e == total);
            if done && converged_ms.is_none() {
                converged_ms = Some(t);
            } else if !done {
                converged_ms = None;
            }
        }
        let report = run.finish()?;
        let estimates = report.sim().nodes().iter().map(CounterNode::estimate).collect();
        Ok(CounterRun {
            true_total: total,
            estimates,
            converged_ms,
            spread,
            messages: report.stats().sent,
        })
    }
}

/// What a counter run reports.
#[derive(Clone, Debug, PartialEq)]
pub struct CounterRun {
    /// The true global count at the end.
    pub true_total: u64,
    /// Every node's final estimate.
    pub estimates: Vec<u64>,
    /// From when on (ms) every estimate equalled the true total, sampled 5 times a period;
    /// `None` if they did not by the end.
    pub converged_ms: Option<f64>,
    /// `(time ms, lowest estimate, highest estimate)`, 5 samples per period.
    pub spread: Vec<(f64, u64, u64)>,
    /// Messages sent.
    pub messages: u64,
}

/// Judge a merge function: the counter experiment (12 nodes, push-pull) under 20 % loss and
/// 20 % duplication and under reordering delays, over 10 seeds, must never double count and
/// must converge. `Ok(())` or `Err(why)` in words, naming the seed.
pub fn judge_merge(merge: Merge) -> std::result::Result<(), String> {
    for (name, cfg) in [
        ("20 % loss, 20 % duplication", CounterConfig::new(12).faulty(0.2, 0.2).merge(merge)),
        (
            "pull, delays 1–80 ms (reordering)",
            CounterConfig {
                network: Network::new(Dist::Uniform { lo: 1.0, hi: 80.0 }).with_duplicate(0.1),
                ..CounterConfig::new(12).exchange(Exchange::Pull).merge(merge)
            },
        ),
    ] {
        let exp = cfg.experiment().map_err(|e| e.to_string())?;
        let sweep = exp.sweep(0..10, crate::sim::Sweep::StopAtFirst).map_err(|e| e.to_string())?;
        if let Some(v) = sweep.violations().first() {
            return Err(format!("{name}: {v}"));
        }
    }
    Ok(())
}
