//! SWIM on the experiment harness (Das, Gupta & Motivala, DSN 2002).
//!
//! Every member runs the same state machine ([`SwimNode`]):
//! * **Failure detection (§3.1).** Each protocol period (`period_ms`, with a random phase per
//!   member) it pings one random member it does not consider dead. No ack within
//!   `ping_timeout_ms` → it sends `ping-req` to `indirect` (k) other members, which ping the
//!   target and forward its ack. No ack (direct or forwarded) by the end of the period → the
//!   probe failed.
//! * **Suspicion (§4.2).** A failed probe makes the target *suspected* (with
//!   `suspicion_periods = Some(p)`), or dead at once (`None`: basic SWIM). A suspicion not
//!   refuted within p periods becomes a death (*confirm*).
//! * **Incarnations (§4.2).** A member that hears it is suspected raises its incarnation
//!   number above the suspicion's and spreads `alive`; `alive` with a higher incarnation
//!   overrides a suspicion; `suspect` overrides `alive` of the same or a lower incarnation;
//!   `dead` overrides everything and is final.
//! * **Dissemination (§4.1).** Membership updates ride on pings, ping-reqs and acks (at most
//!   `piggyback` per message, the least-sent first), each retransmitted
//!   ⌈λ log₂(n + 1)⌉ times (λ = `retransmit_mult`).
//!
//! The harness delivers the messages (delays, loss, duplication, crashes). [`SwimConfig::run`]
//! measures a run (detection times, false deaths, messages); [`SwimConfig::experiment`] adds
//! the checks: *accuracy* after every event (no live member is dead at a live member; true
//! of the correct protocol when nothing is lost and no partition outlasts the suspicion
//! timeout) and *completeness* at the end (every crashed member is dead at every live member).
//! Two planted bugs ([`SwimBug`]) are caught by them.

use std::collections::VecDeque;
use std::fmt;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{Bugs, Ctx, Experiment, FaultSchedule, Network, Node, NodeId, Simulation};

/// What a member believes about another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Alive (at an incarnation).
    Alive,
    /// Suspected: a probe failed, not yet confirmed.
    Suspect,
    /// Confirmed dead (final).
    Dead,
}

/// A membership update, gossiped piggybacked on protocol messages.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Update {
    /// About whom.
    pub member: usize,
    /// The claim.
    pub status: Status,
    /// The incarnation the claim is about.
    pub incarnation: u32,
}

impl fmt::Debug for Update {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.status {
            Status::Alive => "alive",
            Status::Suspect => "suspect",
            Status::Dead => "dead",
        };
        write!(f, "{s} n{}/{}", self.member, self.incarnation)
    }
}

/// SWIM's messages. Their `Debug` text is short, for sequence diagrams.
#[derive(Clone, PartialEq, Eq)]
pub enum SwimMsg {
    /// A probe.
    Ping {
        /// Sequence number, the sender's.
        seq: u64,
        /// Piggybacked updates.
        updates: Vec<Update>,
    },
    /// The answer to a ping (also forwarded by a ping-req helper, with the origin's seq).
    Ack {
        /// The seq of the ping answered.
        seq: u64,
        /// Piggybacked updates.
        updates: Vec<Update>,
    },
    /// "Ping `target` for me."
    PingReq {
        /// The origin's seq, echoed in the forwarded ack.
        seq: u64,
        /// Whom to ping.
        target: usize,
        /// Piggybacked updates.
        updates: Vec<Update>,
    },
}

impl fmt::Debug for SwimMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (head, ups) = match self {
            SwimMsg::Ping { seq, updates } => (format!("ping#{seq}"), updates),
            SwimMsg::Ack { seq, updates } => (format!("ack#{seq}"), updates),
            SwimMsg::PingReq { seq, target, updates } => {
                (format!("ping-req#{seq} n{target}"), updates)
            }
        };
        write!(f, "{head}")?;
        for u in ups.iter().filter(|u| u.status != Status::Alive || u.incarnation > 0) {
            write!(f, " +{u:?}")?;
        }
        Ok(())
    }
}

/// SWIM's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwimTimer {
    /// A protocol period starts.
    Period,
    /// The direct ping of probe `seq` timed out: time for ping-req.
    PingTimeout(u64),
    /// A suspicion of `member` at `incarnation` expires.
    Suspicion(usize, u32),
}

/// Planted bugs; `Bugs::none()` is the correct protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SwimBug {
    /// A suspected member does not refute with a higher incarnation: every suspicion of a
    /// live member becomes a false death (caught by *accuracy* after a short isolation).
    NoRefute,
    /// Updates are never piggybacked: each member must detect every crash itself, about
    /// (n − 1) ln(n − 1) periods for the last one (caught by *completeness*).
    NoPiggyback,
}

/// A change of one member's view, recorded for the report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transition {
    /// When (ms).
    pub at_ms: f64,
    /// About whom.
    pub member: usize,
    /// The new status.
    pub status: Status,
    /// At which incarnation.
    pub incarnation: u32,
}

#[derive(Clone, Copy, Debug)]
struct Params {
    period_ms: f64,
    ping_timeout_ms: f64,
    indirect: usize,
    suspicion_periods: Option<f64>,
    piggyback: usize,
    retransmits: u32,
}

#[derive(Clone, Copy, Debug)]
struct Probe {
    target: usize,
    seq: u64,
    acked: bool,
}

/// One SWIM member: a state machine on the harness.
#[derive(Clone, Debug)]
pub struct SwimNode {
    me: usize,
    p: Params,
    bugs: Bugs<SwimBug>,
    incarnation: u32,
    view: Vec<(Status, u32)>,
    seq: u64,
    probe: Option<Probe>,
    /// (my seq, origin, origin's seq) of pings sent for a ping-req; the last 64.
    relays: VecDeque<(u64, usize, u64)>,
    /// (update, times sent).
    gossip: Vec<(Update, u32)>,
    log: Vec<Transition>,
}

impl SwimNode {
    /// This member's current incarnation number.
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }
    /// What this member believes about `member` (status, incarnation); `None` for an unknown
    /// id.
    pub fn view_of(&self, member: usize) -> Option<(Status, u32)> {
        self.view.get(member).copied()
    }
    /// Every change of this member's view, in order (suspicions, deaths, refutations heard).
    pub fn transitions(&self) -> &[Transition] {
        &self.log
    }

    fn enqueue(&mut self, u: Update) {
        self.gossip.retain(|(g, _)| g.member != u.member);
        self.gossip.push((u, 0));
    }

    fn take_updates(&mut self) -> Vec<Update> {
        if self.bugs.has(SwimBug::NoPiggyback) {
            return Vec::new();
        }
        // least-sent first (stable, so ties keep their age order)
        self.gossip.sort_by_key(|(_, sent)| *sent);
        let mut out = Vec::new();
        for (u, sent) in self.gossip.iter_mut().take(self.p.piggyback) {
            *sent += 1;
            out.push(*u);
        }
        let limit = self.p.retransmits;
        self.gossip.retain(|(_, sent)| *sent < limit);
        out
    }

    fn set(&mut self, now: f64, u: Update) {
        self.view[u.member] = (u.status, u.incarnation);
        self.log.push(Transition {
            at_ms: now,
            member: u.member,
            status: u.status,
            incarnation: u.incarnation,
        });
        self.enqueue(u);
    }

    fn suspect(&mut self, ctx: &mut Ctx<Self>, member: usize, incarnation: u32) {
        let now = ctx.now_ms();
        match self.p.suspicion_periods {
            Some(periods) => {
                self.set(now, Update { member, status: Status::Suspect, incarnation });
                ctx.set_timer(
                    periods * self.p.period_ms,
                    SwimTimer::Suspicion(member, incarnation),
                );
            }
            None => self.set(now, Update { member, status: Status::Dead, incarnation }),
        }
    }

    fn apply(&mut self, ctx: &mut Ctx<Self>, updates: &[Update]) {
        for &u in updates {
            if u.member == self.me {
                if u.status != Status::Alive
                    && u.incarnation >= self.incarnation
                    && !self.bugs.has(SwimBug::NoRefute)
                {
                    self.incarnation = u.incarnation + 1;
                    let me = Update {
                        member: self.me,
                        status: Status::Alive,
                        incarnation: self.incarnation,
                    };
                    self.enqueue(me);
                }
                continue;
            }
            let Some(&(status, inc)) = self.view.get(u.member) else { continue };
            let newer = match (u.status, status) {
                (_, Status::Dead) => false,
                (Status::Dead, _) => true,
                (Status::Suspect, Status::Alive) => u.incarnation >= inc,
                (Status::Suspect, Status::Suspect) => u.incarnation > inc,
                (Status::Alive, _) => u.incarnation > inc,
            };
            if newer {
                if u.status == Status::Suspect {
                    self.suspect(ctx, u.member, u.incarnation);
                } else {
                    self.set(ctx.now_ms(), u);
                }
            }
        }
    }

    fn candidates(&self, except: Option<usize>) -> Vec<usize> {
        (0..self.view.len())
            .filter(|&j| j != self.me && Some(j) != except && self.view[j].0 != Status::Dead)
            .collect()
    }
}

impl Node for SwimNode {
    type Msg = SwimMsg;
    type Timer = SwimTimer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        let phase = ctx.rng().uniform() * self.p.period_ms;
        ctx.set_timer(phase, SwimTimer::Period);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: SwimMsg) {
        match msg {
            SwimMsg::Ping { seq, updates } => {
                self.apply(ctx, &updates);
                let updates = self.take_updates();
                ctx.send(from, SwimMsg::Ack { seq, updates });
            }
            SwimMsg::PingReq { seq, target, updates } => {
                self.apply(ctx, &updates);
                self.seq += 1;
                self.relays.push_back((self.seq, from.0, seq));
                if self.relays.len() > 64 {
                    self.relays.pop_front();
                }
                let updates = self.take_updates();
                ctx.send(NodeId(target), SwimMsg::Ping { seq: self.seq, updates });
            }
            SwimMsg::Ack { seq, updates } => {
                self.apply(ctx, &updates);
                match self.probe.as_mut() {
                    Some(p) if p.seq == seq => p.acked = true,
                    _ => {
                        if let Some(&(_, origin, oseq)) = self.relays.iter().find(|r| r.0 == seq) {
                            let updates = self.take_updates();
                            ctx.send(NodeId(origin), SwimMsg::Ack { seq: oseq, updates });
                        }
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: SwimTimer) {
        match timer {
            SwimTimer::Period => {
                if let Some(p) = self.probe.take() {
                    let (status, inc) = self.view[p.target];
                    if !p.acked && status == Status::Alive {
                        self.suspect(ctx, p.target, inc);
                    }
                }
                let members = self.candidates(None);
                if let Some(i) = ctx.rng().index(members.len()) {
                    let target = members[i];
                    self.seq += 1;
                    self.probe = Some(Probe { target, seq: self.seq, acked: false });
                    let updates = self.take_updates();
                    ctx.send(NodeId(target), SwimMsg::Ping { seq: self.seq, updates });
                    ctx.set_timer(self.p.ping_timeout_ms, SwimTimer::PingTimeout(self.seq));
                }
                ctx.set_timer(self.p.period_ms, SwimTimer::Period);
            }
            SwimTimer::PingTimeout(seq) => {
                let Some(p) = self.probe else { return };
                if p.seq != seq || p.acked {
                    return;
                }
                let mut helpers = self.candidates(Some(p.target));
                ctx.rng().shuffle(&mut helpers);
                for h in helpers.into_iter().take(self.p.indirect) {
                    let updates = self.take_updates();
                    ctx.send(NodeId(h), SwimMsg::PingReq { seq, target: p.target, updates });
                }
            }
            SwimTimer::Suspicion(member, inc) => {
                if self.view[member] == (Status::Suspect, inc) {
                    let u = Update { member, status: Status::Dead, incarnation: inc };
                    self.set(ctx.now_ms(), u);
                }
            }
        }
    }

    fn restarted(&self) -> Self {
        self.clone()
    }
}

/// A SWIM cluster and its conditions. Public fields; [`SwimConfig::run`] and
/// [`SwimConfig::experiment`] check them.
#[derive(Clone, Debug)]
pub struct SwimConfig {
    /// Members (≥ 3: a ping-req needs someone else).
    pub members: usize,
    /// Protocol period T′ (ms).
    pub period_ms: f64,
    /// How long to wait for a direct ack before ping-req (ms, < `period_ms`).
    pub ping_timeout_ms: f64,
    /// k: members asked to ping indirectly.
    pub indirect: usize,
    /// Suspicion timeout in protocol periods; `None` declares a failed probe's target dead at
    /// once (SWIM without the suspicion mechanism).
    pub suspicion_periods: Option<f64>,
    /// Most updates piggybacked on one message.
    pub piggyback: usize,
    /// λ: each update is sent ⌈λ log₂(n + 1)⌉ times.
    pub retransmit_mult: f64,
    /// The network (loss, delays, duplication).
    pub network: Network,
    /// Extra faults: crashes, isolations.
    pub faults: FaultSchedule,
    /// Members that crash, and when (ms).
    pub crashes: Vec<(usize, f64)>,
    /// How long to run (ms).
    pub horizon_ms: f64,
    /// Planted bugs.
    pub bugs: Bugs<SwimBug>,
}

impl SwimConfig {
    /// `members` members, 100 ms periods, 20 ms ping timeout, k = 3, suspicion 5 periods, 6
    /// updates per message, λ = 3, delays uniform in 1–5 ms, no loss, no crash, 5 s.
    pub fn new(members: usize) -> SwimConfig {
        SwimConfig {
            members,
            period_ms: 100.0,
            ping_timeout_ms: 20.0,
            indirect: 3,
            suspicion_periods: Some(5.0),
            piggyback: 6,
            retransmit_mult: 3.0,
            network: Network::new(Dist::Uniform { lo: 1.0, hi: 5.0 }),
            faults: FaultSchedule::new(),
            crashes: Vec::new(),
            horizon_ms: 5_000.0,
            bugs: Bugs::none(),
        }
    }
    /// Message loss on every link.
    pub fn loss(mut self, loss: f64) -> Self {
        self.network = self.network.with_loss(loss);
        self
    }
    /// The suspicion timeout in periods (`None`: no suspicion).
    pub fn suspicion(mut self, periods: Option<f64>) -> Self {
        self.suspicion_periods = periods;
        self
    }
    /// k, the ping-req fan-out.
    pub fn indirect(mut self, k: usize) -> Self {
        self.indirect = k;
        self
    }
    /// Crash `member` at `at_ms`.
    pub fn crash(mut self, member: usize, at_ms: f64) -> Self {
        self.crashes.push((member, at_ms));
        self
    }
    /// Cut `member` off from everyone from `from_ms` to `until_ms`.
    pub fn isolate(mut self, member: usize, from_ms: f64, until_ms: f64) -> Self {
        self.faults = self.faults.isolate(member, from_ms, until_ms);
        self
    }
    /// Run this long (ms).
    pub fn horizon_ms(mut self, ms: f64) -> Self {
        self.horizon_ms = ms;
        self
    }
    /// Plant bugs.
    pub fn bugs(mut self, bugs: Bugs<SwimBug>) -> Self {
        self.bugs = bugs;
        self
    }

    fn check(&self) -> Result<Params> {
        validate::at_least("members", self.members, 3)?;
        validate::positive("period_ms", self.period_ms)?;
        validate::positive("ping_timeout_ms", self.ping_timeout_ms)?;
        if self.ping_timeout_ms >= self.period_ms {
            return Err(Error::out_of_range(
                "ping_timeout_ms",
                self.ping_timeout_ms,
                format!("must be less than period_ms = {}", self.period_ms),
            ));
        }
        if self.indirect > self.members - 2 {
            return Err(Error::out_of_range(
                "indirect",
                self.indirect,
                format!("must be at most members − 2 = {}", self.members - 2),
            ));
        }
        if let Some(p) = self.suspicion_periods {
            validate::positive("suspicion_periods", p)?;
        }
        validate::at_least("piggyback", self.piggyback, 1)?;
        validate::positive("retransmit_mult", self.retransmit_mult)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        for &(m, at) in &self.crashes {
            if m >= self.members {
                return Err(Error::UnknownNode {
                    node: m,
                    cluster_size: self.members,
                    context: "SwimConfig::crashes".into(),
                });
            }
            validate::non_negative("crash time", at)?;
        }
        let retransmits = (self.retransmit_mult * (self.members as f64 + 1.0).log2()).ceil() as u32;
        Ok(Params {
            period_ms: self.period_ms,
            ping_timeout_ms: self.ping_timeout_ms,
            indirect: self.indirect,
            suspicion_periods: self.suspicion_periods,
            piggyback: self.piggyback,
            retransmits: retransmits.max(1),
        })
    }

    fn base(&self) -> Result<Experiment<SwimNode>> {
        let p = self.check()?;
        let nodes: Vec<SwimNode> = (0..self.members)
            .map(|me| SwimNode {
                me,
                p,
                bugs: self.bugs.clone(),
                incarnation: 0,
                view: vec![(Status::Alive, 0); self.members],
                seq: 0,
                probe: None,
                relays: VecDeque::new(),
                gossip: Vec::new(),
                log: Vec::new(),
            })
            .collect();
        let mut faults = self.faults.clone();
        for &(m, at) in &self.crashes {
            faults = faults.crash(m, at);
        }
        Ok(Experiment::new(nodes)
            .network(self.network.clone())
            .faults(faults)
            .horizon_ms(self.horizon_ms))
    }

    /// The experiment with its checks: the invariant *accuracy* (no live member is dead in a
    /// live member's view) after every event and the property *completeness* (every crashed
    /// member is dead in every live member's view) at the end.
    pub fn experiment(&self) -> Result<Experiment<SwimNode>> {
        Ok(self
            .base()?
            .invariant("accuracy: no live member declared dead", |sim| {
                for (i, node) in sim.nodes().iter().enumerate() {
                    if !sim.is_up(i) {
                        continue;
                    }
                    for j in 0..sim.cluster_size() {
                        if sim.is_up(j) && node.view[j].0 == Status::Dead {
                            return Err(format!("n{i} declared the live member n{j} dead"));
                        }
                    }
                }
                Ok(())
            })
            .property("completeness: every crashed member dead at every live member", |sim| {
                for j in (0..sim.cluster_size()).filter(|&j| !sim.is_up(j)) {
                    for (i, node) in sim.nodes().iter().enumerate() {
                        if sim.is_up(i) && node.view[j].0 != Status::Dead {
                            return Err(format!(
                                "n{i} still has the crashed n{j} as {:?}",
                                node.view[j].0
                            ));
                        }
                    }
                }
                Ok(())
            }))
    }

    /// Run once (no checks that stop the run) and measure it.
    pub fn run(&self, seed: u64) -> Result<SwimRun> {
        let report = self.base()?.run(seed)?;
        Ok(SwimRun::measure(self, report.sim()))
    }

    /// The same run with its trace (for a sequence diagram in the plot layer:
    /// `sim.sequence_diagram(title, from_ms, to_ms)`).
    pub fn traced(&self, seed: u64) -> Result<Simulation<SwimNode>> {
        Ok(self.base()?.trace(true).run(seed)?.into_sim())
    }
}

/// What one SWIM run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SwimRun {
    /// Members.
    pub members: usize,
    /// Protocol period (ms).
    pub period_ms: f64,
    /// Simulated time (ms).
    pub horizon_ms: f64,
    /// For each crash `(member, crash ms, first suspicion or death by a live member (ms after
    /// the crash), when every live member had it dead (ms after the crash))`.
    pub detections: Vec<(usize, f64, Option<f64>, Option<f64>)>,
    /// Live members (never crashed) that some live member declared dead.
    pub false_deaths: usize,
    /// Suspicions of live members (count of transitions to suspect).
    pub false_suspicions: usize,
    /// Live (never crashed) members.
    pub live: usize,
    /// Messages sent by all members.
    pub messages: u64,
}

impl SwimRun {
    fn measure(cfg: &SwimConfig, sim: &Simulation<SwimNode>) -> SwimRun {
        let n = cfg.members;
        let crashed: Vec<bool> = (0..n).map(|j| cfg.crashes.iter().any(|c| c.0 == j)).collect();
        let live_ids: Vec<usize> = (0..n).filter(|&i| !crashed[i]).collect();
        let mut detections = Vec::new();
        for &(m, at) in &cfg.crashes {
            let mut first: Option<f64> = None;
            let mut all = Some(0.0_f64);
            for &i in &live_ids {
                let node = &sim.nodes()[i];
                let seen = node
                    .log
                    .iter()
                    .filter(|t| t.member == m && t.at_ms >= at && t.status != Status::Alive)
                    .map(|t| t.at_ms - at)
                    .next();
                if let Some(s) = seen {
                    first = Some(first.map_or(s, |f: f64| f.min(s)));
                }
                let dead = node
                    .log
                    .iter()
                    .find(|t| t.member == m && t.status == Status::Dead)
                    .map(|t| (t.at_ms - at).max(0.0));
                all = match (all, dead) {
                    (Some(a), Some(d)) => Some(a.max(d)),
                    _ => None,
                };
            }
            detections.push((m, at, first, all));
        }
        let mut false_deaths = 0;
        let mut false_suspicions = 0;
        for &j in &live_ids {
            let mut dead = false;
            for &i in &live_ids {
                let node = &sim.nodes()[i];
                dead |= node.view[j].0 == Status::Dead;
                false_suspicions += node
                    .log
                    .iter()
                    .filter(|t| t.member == j && t.status == Status::Suspect)
                    .count();
            }
            false_deaths += usize::from(dead);
        }
        SwimRun {
            members: n,
            period_ms: cfg.period_ms,
            horizon_ms: cfg.horizon_ms,
            detections,
            false_deaths,
            false_suspicions,
            live: live_ids.len(),
            messages: sim.stats().sent,
        }
    }

    /// Fraction of live members falsely declared dead.
    pub fn false_death_rate(&self) -> f64 {
        self.false_deaths as f64 / self.live.max(1) as f64
    }

    /// Messages per member per protocol period.
    pub fn messages_per_member_period(&self) -> f64 {
        self.messages as f64 / (self.members as f64 * self.horizon_ms / self.period_ms)
    }
}

/// False deaths and detection time over many seeds, for one configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct SwimStats {
    /// Loss probability of the network.
    pub loss: f64,
    /// Suspicion timeout (periods), `None` without suspicion.
    pub suspicion_periods: Option<f64>,
    /// k.
    pub indirect: usize,
    /// Runs.
    pub seeds: u64,
    /// Mean fraction of live members falsely declared dead per run.
    pub false_death_rate: f64,
    /// Mean time from crash to death at every live member, in periods (runs where it
    /// happened).
    pub full_detection_periods: f64,
    /// Runs in which the crash was not known everywhere by the horizon.
    pub undetected: u64,
    /// Mean messages per member per period.
    pub messages_per_member_period: f64,
}

/// Run `cfg` with member `members − 1` crashed at 1 s over seeds `0..seeds` and average.
/// Errors: those of [`SwimConfig::run`], `seeds = 0`.
pub fn swim_stats(cfg: &SwimConfig, seeds: u64) -> Result<SwimStats> {
    validate::at_least("seeds", seeds as usize, 1)?;
    let mut cfg = cfg.clone();
    cfg.crashes = vec![(cfg.members - 1, 1_000.0)];
    let (mut fd, mut det, mut detected, mut msgs) = (0.0, 0.0, 0u64, 0.0);
    for seed in 0..seeds {
        let run = cfg.run(seed)?;
        fd += run.false_death_rate();
        msgs += run.messages_per_member_period();
        if let Some(all) = run.detections[0].3 {
            det += all / cfg.period_ms;
            detected += 1;
        }
    }
    let s = seeds as f64;
    Ok(SwimStats {
        loss: cfg.network.default_link().loss(),
        suspicion_periods: cfg.suspicion_periods,
        indirect: cfg.indirect,
        seeds,
        false_death_rate: fd / s,
        full_detection_periods: if detected > 0 { det / detected as f64 } else { f64::NAN },
        undetected: seeds - detected,
        messages_per_member_period: msgs / s,
    })
}

/// [`swim_stats`] for every loss in `losses` and every suspicion setting in `suspicions`.
pub fn swim_sweep(
    cfg: &SwimConfig,
    losses: &[f64],
    suspicions: &[Option<f64>],
    seeds: u64,
) -> Result<Vec<SwimStats>> {
    if losses.is_empty() || suspicions.is_empty() {
        return Err(Error::empty("losses or suspicions", "give at least one of each"));
    }
    let mut out = Vec::new();
    for &s in suspicions {
        for &l in losses {
            validate::probability("loss", l)?;
            out.push(swim_stats(&cfg.clone().loss(l).suspicion(s), seeds)?);
        }
    }
    Ok(out)
}

/// The exercise's conditions: 16 members, 10 % loss, a crash at 1 s, 6 s, 12 seeds.
pub fn tuning_scenario() -> SwimConfig {
    SwimConfig::new(16).loss(0.1).horizon_ms(6_000.0)
}

/// Judge a choice of suspicion timeout (periods) and k on [`tuning_scenario`]: the mean
/// false-death rate must be at most `max_false_deaths` and the crash known everywhere, on
/// average, within `max_detection_periods`. `Ok(stats)` or `Err(why)` in words.
pub fn judge_tuning(
    suspicion_periods: f64,
    indirect: usize,
    max_false_deaths: f64,
    max_detection_periods: f64,
) -> std::result::Result<SwimStats, String> {
    let cfg = tuning_scenario().suspicion(Some(suspicion_periods)).indirect(indirect);
    let st = swim_stats(&cfg, 12).map_err(|e| e.to_string())?;
    if st.false_death_rate > max_false_deaths {
        return Err(format!(
            "false deaths {:.3} of live members per run, more than {max_false_deaths}: a longer \
             suspicion timeout or more ping-req helpers give refutations time to arrive",
            st.false_death_rate
        ));
    }
    if st.undetected > 0 || st.full_detection_periods > max_detection_periods {
        return Err(format!(
            "the crash took {:.1} periods to be known everywhere ({} runs never), more than \
             {max_detection_periods}: the suspicion timeout adds directly to detection time",
            st.full_detection_periods, st.undetected
        ));
    }
    Ok(st)
}
