//! # Distributed deadlock: edge chasing, a global wait-for graph, timeouts
//!
//! With locks spread over several sites, a deadlock can span sites: $T_1$ holds $x$ at site A
//! and waits for $y$ at site B, while $T_2$ holds $y$ at B and waits for $x$ at A. Site A's
//! wait-for graph has the edge $T_2 \to T_1$, site B's the edge $T_1 \to T_2$; **each local graph
//! is acyclic, their union has the cycle** $T_1 \to T_2 \to T_1$. No site can see the deadlock
//! alone. Three cures:
//!
//! * **Edge chasing** (Chandy, Misra & Haas 1983): a blocked transaction sends a *probe*
//!   carrying its own id along the wait-for edges (to the site it waits at, which forwards it to
//!   the holder, which forwards it if it is blocked too, …). A probe that comes back to its
//!   initiator proves a cycle; the initiator aborts itself.
//! * **A global wait-for graph**: a detector asks every site for its edges every `period_ms`,
//!   takes the union and aborts the youngest transaction of each cycle it finds.
//! * **Timeouts**: a transaction that has waited longer than `timeout_ms` aborts. Cheap and
//!   simple, but it cannot tell a deadlock from a long wait behind a slow transaction: a short
//!   timeout aborts transactions that would have finished (*false aborts*); a long one leaves
//!   real deadlocks standing for a long time ([`timeout_sweep`]).
//!
//! Nodes: sites `n0..nS` (lock tables, exclusive locks, FIFO queues), then one agent per
//! transaction (it requests its locks one at a time, works a while after each, commits and
//! releases everything), then the detector (idle unless [`Detection::GlobalGraph`]). Every
//! site records its wait-for edges with their times ([`WaitEdge`]); [`analyse`] replays them
//! to sort aborts into true (the victim was on a cycle), stuck (it waited, through others, for
//! a cycle) and false (it would have got its locks), and to time detection.
//!
//! ```
//! use course_lib::txn::deadlock::{cross_site_cycle, Detection};
//! # fn main() -> course_lib::Result<()> {
//! let out = cross_site_cycle(Detection::EdgeChasing)?;
//! assert!(out.local_graphs_acyclic && out.union_has_cycle);
//! assert_eq!(out.analysis.true_aborts, 1);
//! assert_eq!(out.analysis.committed, 1); // the other transaction proceeds
//! # Ok(()) }
//! ```
//!
//! ## Reading
//! * K. M. Chandy, J. Misra, L. M. Haas, "Distributed Deadlock Detection", ACM TOCS 1(2), 1983
//!   (§3: the AND model's probe computation).
//! * P. A. Bernstein, V. Hadzilacos, N. Goodman, *Concurrency Control and Recovery in Database
//!   Systems*, 1987, §3.11 (distributed deadlock detection, timeouts, phantom deadlocks).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{Ctx, Experiment, Network, Node, NodeId};

/// A transaction's id (its agent's index, 0-based).
pub type TxnId = usize;

/// How deadlocks are found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Detection {
    /// Chandy–Misra–Haas probes; a blocked transaction starts one every `probe_every_ms`.
    EdgeChasing,
    /// A detector collects every site's edges every `period_ms`.
    GlobalGraph {
        /// Collection period, ms.
        period_ms: f64,
    },
    /// A transaction that waited `timeout_ms` aborts.
    Timeout {
        /// The timeout, ms.
        timeout_ms: f64,
    },
}

/// Messages.
#[derive(Clone, Debug, PartialEq)]
pub enum DlMsg {
    /// Agent → site: lock `key` for `txn`.
    Lock {
        /// Requester.
        txn: TxnId,
        /// Key at the site.
        key: u32,
    },
    /// Site → agent: granted.
    Granted {
        /// Key.
        key: u32,
    },
    /// Agent → site: release everything `txn` holds or waits for here.
    Release {
        /// Transaction.
        txn: TxnId,
    },
    /// Agent → site (waiting there) or site → holder's agent: a CMH probe.
    Probe {
        /// The transaction that started it.
        init: TxnId,
        /// Who sends it along the edge (the waiting transaction).
        waiter: TxnId,
        /// The youngest (highest id) transaction the probe has passed: only it aborts, so one
        /// cycle costs one victim even when every member starts a probe.
        youngest: TxnId,
    },
    /// Detector → site: send me your edges (round).
    Collect(u64),
    /// Site → detector: my wait-for edges (waiter, holder).
    Edges(u64, Vec<(TxnId, TxnId)>),
    /// Detector → agent: you are the victim.
    Abort,
}

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DlTimer {
    /// Agent: start (or continue) the transaction.
    Start,
    /// Agent: work after a grant is done; request the next lock or commit.
    WorkDone,
    /// Agent: probe again / check the timeout, for blocking episode `n`.
    Blocked(u32),
    /// Detector: collect.
    Collect,
}

/// A wait-for edge a site saw: `waiter` waited for `holder` from `from_ms` to `to_ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WaitEdge {
    /// The site.
    pub site: usize,
    /// The waiting transaction.
    pub waiter: TxnId,
    /// The transaction holding the lock.
    pub holder: TxnId,
    /// When it appeared, ms.
    pub from_ms: f64,
    /// When it went away (`None`: still there at the end).
    pub to_ms: Option<f64>,
}

#[derive(Clone, Debug, Default)]
struct Site {
    holders: BTreeMap<u32, TxnId>,
    queues: BTreeMap<u32, VecDeque<TxnId>>,
    edges: Vec<WaitEdge>,
}

#[derive(Clone, Debug)]
struct Agent {
    id: TxnId,
    plan: Vec<(usize, u32)>,
    next: usize,
    waiting_at: Option<usize>,
    episode: u32,
    blocked_since: f64,
    forwarded: BTreeSet<(TxnId, u32)>,
    committed_at: Option<f64>,
    aborted_at: Option<f64>,
}

#[derive(Clone, Debug, Default)]
struct Detector {
    round: u64,
    got: BTreeMap<usize, Vec<(TxnId, TxnId)>>,
}

#[derive(Clone, Debug)]
struct Shared {
    sites: usize,
    detection: Detection,
    probe_every_ms: f64,
    work_ms: Dist,
    start_spread_ms: f64,
    keys: u32,
    locks_per_txn: usize,
    fixed: Option<Vec<Vec<(usize, u32)>>>,
}

#[derive(Clone, Debug)]
enum Role {
    Site(Site),
    Agent(Agent),
    Detector(Detector),
}

/// A node: a site, a transaction's agent, or the detector.
#[derive(Clone, Debug)]
pub struct DlNode {
    shared: Shared,
    role: Role,
}

impl DlNode {
    /// A site's recorded wait-for edges (empty for other nodes).
    pub fn edges(&self) -> &[WaitEdge] {
        match &self.role {
            Role::Site(s) => &s.edges,
            _ => &[],
        }
    }
    /// An agent's commit time.
    pub fn committed_at(&self) -> Option<f64> {
        match &self.role {
            Role::Agent(a) => a.committed_at,
            _ => None,
        }
    }
    /// An agent's abort time.
    pub fn aborted_at(&self) -> Option<f64> {
        match &self.role {
            Role::Agent(a) => a.aborted_at,
            _ => None,
        }
    }
}

/// Bring the site's open edges in line with its lock table: `w → h` for every waiter `w` of a
/// key held by `h`.
fn resync_edges(site: &mut Site, now: f64, me: usize) {
    let mut want: BTreeSet<(TxnId, TxnId)> = BTreeSet::new();
    for (k, q) in &site.queues {
        if let Some(&h) = site.holders.get(k) {
            want.extend(q.iter().map(|&w| (w, h)));
        }
    }
    let mut have = BTreeSet::new();
    for e in site.edges.iter_mut().filter(|e| e.to_ms.is_none()) {
        if want.contains(&(e.waiter, e.holder)) {
            have.insert((e.waiter, e.holder));
        } else {
            e.to_ms = Some(now);
        }
    }
    for (w, h) in want.difference(&have) {
        site.edges.push(WaitEdge { site: me, waiter: *w, holder: *h, from_ms: now, to_ms: None });
    }
}

fn site_key_of(queues: &BTreeMap<u32, VecDeque<TxnId>>, t: TxnId) -> Option<u32> {
    queues.iter().find(|(_, q)| q.contains(&t)).map(|(k, _)| *k)
}

impl Node for DlNode {
    type Msg = DlMsg;
    type Timer = DlTimer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        let sh = self.shared.clone();
        match &mut self.role {
            Role::Agent(a) => {
                if a.plan.is_empty() {
                    a.plan = match &sh.fixed {
                        Some(plans) => plans[a.id].clone(),
                        None => {
                            let mut p = Vec::new();
                            while p.len() < sh.locks_per_txn {
                                let site = ctx.rng().below(sh.sites as u64) as usize;
                                let key = ctx.rng().below(sh.keys as u64) as u32;
                                if !p.contains(&(site, key)) {
                                    p.push((site, key));
                                }
                            }
                            p
                        }
                    };
                }
                let at = if sh.fixed.is_some() {
                    0.0
                } else {
                    ctx.rng().uniform_range(0.0, sh.start_spread_ms)
                };
                ctx.set_timer(at, DlTimer::Start);
            }
            Role::Detector(_) => {
                if let Detection::GlobalGraph { period_ms } = sh.detection {
                    ctx.set_timer(period_ms, DlTimer::Collect);
                }
            }
            Role::Site(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: DlMsg) {
        let now = ctx.now_ms();
        let me = ctx.id().0;
        let sites = self.shared.sites;
        match (&mut self.role, msg) {
            (Role::Site(s), DlMsg::Lock { txn, key }) => {
                if let std::collections::btree_map::Entry::Vacant(e) = s.holders.entry(key) {
                    e.insert(txn);
                    ctx.send(from, DlMsg::Granted { key });
                } else {
                    s.queues.entry(key).or_default().push_back(txn);
                    resync_edges(s, now, me);
                }
            }
            (Role::Site(s), DlMsg::Release { txn }) => {
                let keys: Vec<u32> =
                    s.holders.iter().filter(|(_, h)| **h == txn).map(|(k, _)| *k).collect();
                for q in s.queues.values_mut() {
                    q.retain(|&w| w != txn);
                }
                for k in keys {
                    s.holders.remove(&k);
                    let next = s.queues.get_mut(&k).and_then(|q| q.pop_front());
                    if let Some(w) = next {
                        s.holders.insert(k, w);
                        ctx.send(NodeId(sites + w), DlMsg::Granted { key: k });
                    }
                }
                resync_edges(s, now, me);
            }
            (Role::Site(s), DlMsg::Probe { init, waiter, youngest }) => {
                // forward along waiter → holder of the key it waits for here
                if let Some(k) = site_key_of(&s.queues, waiter) {
                    if let Some(&h) = s.holders.get(&k) {
                        let youngest = youngest.max(h);
                        ctx.send(NodeId(sites + h), DlMsg::Probe { init, waiter, youngest });
                    }
                }
            }
            (Role::Site(s), DlMsg::Collect(round)) => {
                let edges = s
                    .edges
                    .iter()
                    .filter(|e| e.to_ms.is_none())
                    .map(|e| (e.waiter, e.holder))
                    .collect();
                ctx.send(from, DlMsg::Edges(round, edges));
            }
            (Role::Agent(a), DlMsg::Granted { key }) => {
                if a.aborted_at.is_some() || a.committed_at.is_some() {
                    return;
                }
                if a.plan.get(a.next) == Some(&(from.0, key)) && a.waiting_at == Some(from.0) {
                    a.waiting_at = None;
                    a.next += 1;
                    a.episode += 1;
                    let work = self.shared.work_ms.sample_delay(ctx.rng());
                    ctx.set_timer(work, DlTimer::WorkDone);
                }
            }
            (Role::Agent(a), DlMsg::Probe { init, youngest, .. }) => {
                if a.aborted_at.is_some() || a.committed_at.is_some() {
                    return;
                }
                let Some(site) = a.waiting_at else { return };
                if init == a.id {
                    if youngest == a.id {
                        ctx.note(format!("T{}: my probe came back: deadlock, I abort", a.id));
                        abort(a, ctx, sites);
                    }
                } else if a.forwarded.insert((init, a.episode)) {
                    let id = a.id;
                    ctx.send(NodeId(site), DlMsg::Probe { init, waiter: id, youngest });
                }
            }
            (Role::Agent(a), DlMsg::Abort)
                if a.aborted_at.is_none() && a.committed_at.is_none() =>
            {
                ctx.note(format!("T{} chosen as victim", a.id));
                abort(a, ctx, sites);
            }
            (Role::Detector(d), DlMsg::Edges(round, edges)) => {
                if round != d.round {
                    return;
                }
                d.got.insert(from.0, edges);
                if d.got.len() == sites {
                    let all: Vec<(TxnId, TxnId)> = d.got.values().flatten().copied().collect();
                    d.got.clear();
                    if let Some(cycle) = find_cycle(&all) {
                        let victim = *cycle.iter().max().expect("a cycle is not empty");
                        ctx.send(NodeId(sites + victim), DlMsg::Abort);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: DlTimer) {
        let sites = self.shared.sites;
        let detection = self.shared.detection;
        let probe_every = self.shared.probe_every_ms;
        match (&mut self.role, timer) {
            (Role::Agent(a), DlTimer::Start | DlTimer::WorkDone) => {
                if a.aborted_at.is_some() {
                    return;
                }
                if a.next == a.plan.len() {
                    a.committed_at = Some(ctx.now_ms());
                    let touched: BTreeSet<usize> = a.plan.iter().map(|(s, _)| *s).collect();
                    for s in touched {
                        ctx.send(NodeId(s), DlMsg::Release { txn: a.id });
                    }
                    return;
                }
                let (site, key) = a.plan[a.next];
                a.waiting_at = Some(site);
                a.blocked_since = ctx.now_ms();
                ctx.send(NodeId(site), DlMsg::Lock { txn: a.id, key });
                let first = match detection {
                    Detection::EdgeChasing => probe_every,
                    Detection::Timeout { timeout_ms } => timeout_ms,
                    Detection::GlobalGraph { .. } => return,
                };
                ctx.set_timer(first, DlTimer::Blocked(a.episode));
            }
            (Role::Agent(a), DlTimer::Blocked(ep)) => {
                if ep != a.episode || a.aborted_at.is_some() || a.waiting_at.is_none() {
                    return;
                }
                match detection {
                    Detection::EdgeChasing => {
                        let site = a.waiting_at.expect("checked above");
                        let id = a.id;
                        ctx.send(NodeId(site), DlMsg::Probe { init: id, waiter: id, youngest: id });
                        ctx.set_timer(probe_every, DlTimer::Blocked(ep));
                    }
                    Detection::Timeout { .. } => {
                        ctx.note(format!("T{} timed out", a.id));
                        abort(a, ctx, sites);
                    }
                    Detection::GlobalGraph { .. } => {}
                }
            }
            (Role::Detector(d), DlTimer::Collect) => {
                d.round += 1;
                d.got.clear();
                for s in 0..sites {
                    ctx.send(NodeId(s), DlMsg::Collect(d.round));
                }
                if let Detection::GlobalGraph { period_ms } = detection {
                    ctx.set_timer(period_ms, DlTimer::Collect);
                }
            }
            _ => {}
        }
    }

    fn restarted(&self) -> Self {
        self.clone()
    }
}

fn abort(a: &mut Agent, ctx: &mut Ctx<DlNode>, _sites: usize) {
    a.aborted_at = Some(ctx.now_ms());
    a.waiting_at = None;
    a.episode += 1;
    let touched: BTreeSet<usize> = a.plan.iter().map(|(s, _)| *s).collect();
    for s in touched {
        ctx.send(NodeId(s), DlMsg::Release { txn: a.id });
    }
}

/// A cycle in the wait-for graph given by its edges `(waiter, holder)`, if there is one (the
/// transactions on it, in order).
pub fn find_cycle(edges: &[(TxnId, TxnId)]) -> Option<Vec<TxnId>> {
    let mut adj: BTreeMap<TxnId, Vec<TxnId>> = BTreeMap::new();
    for &(a, b) in edges {
        adj.entry(a).or_default().push(b);
    }
    // colour: 0 new, 1 on the stack, 2 done
    let mut colour: BTreeMap<TxnId, u8> = BTreeMap::new();
    let starts: Vec<TxnId> = adj.keys().copied().collect();
    for s in starts {
        if colour.get(&s).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(TxnId, usize)> = vec![(s, 0)];
        colour.insert(s, 1);
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            let next = adj.get(&v).and_then(|n| n.get(*i)).copied();
            *i += 1;
            match next {
                Some(w) => match colour.get(&w).copied().unwrap_or(0) {
                    0 => {
                        colour.insert(w, 1);
                        stack.push((w, 0));
                    }
                    1 => {
                        let pos = stack.iter().position(|(x, _)| *x == w).expect("on the stack");
                        return Some(stack[pos..].iter().map(|(x, _)| *x).collect());
                    }
                    _ => {}
                },
                None => {
                    colour.insert(v, 2);
                    stack.pop();
                }
            }
        }
    }
    None
}

/// The configuration.
#[derive(Clone, Debug)]
pub struct DeadlockConfig {
    /// Sites (lock tables), ≥ 1.
    pub sites: usize,
    /// Transactions, ≥ 1.
    pub txns: usize,
    /// Keys per site, ≥ 1.
    pub keys: u32,
    /// Locks each transaction takes, one after the other (≤ sites × keys).
    pub locks_per_txn: usize,
    /// How deadlocks are found.
    pub detection: Detection,
    /// Edge chasing: probe period while blocked, ms (> 0).
    pub probe_every_ms: f64,
    /// Work after each grant, ms.
    pub work_ms: Dist,
    /// Transactions start uniformly in `[0, start_spread_ms)`.
    pub start_spread_ms: f64,
    /// Fixed lock plans (one list of `(site, key)` per transaction) instead of random ones.
    pub plans: Option<Vec<Vec<(usize, u32)>>>,
    /// The network.
    pub network: Network,
    /// Simulated time, ms.
    pub horizon_ms: f64,
}

impl DeadlockConfig {
    /// `sites` sites with 2 keys each, `txns` transactions of 2 locks starting within 50 ms,
    /// exponential work (mean 10 ms) after each grant, probes every 5 ms, 1–2 ms delays, 2 s.
    pub fn new(sites: usize, txns: usize, detection: Detection) -> DeadlockConfig {
        DeadlockConfig {
            sites,
            txns,
            keys: 2,
            locks_per_txn: 2,
            detection,
            probe_every_ms: 5.0,
            work_ms: Dist::Exponential { rate: 0.1 },
            start_spread_ms: 50.0,
            plans: None,
            network: Network::new(Dist::Uniform { lo: 1.0, hi: 2.0 }),
            horizon_ms: 2_000.0,
        }
    }

    fn validate(&self) -> Result<()> {
        validate::at_least("sites", self.sites, 1)?;
        validate::at_least("txns", self.txns, 1)?;
        validate::at_least("keys", self.keys as usize, 1)?;
        validate::at_least("locks_per_txn", self.locks_per_txn, 1)?;
        if self.locks_per_txn > self.sites * self.keys as usize {
            return Err(Error::out_of_range(
                "locks_per_txn",
                self.locks_per_txn,
                format!("at most sites × keys = {}", self.sites * self.keys as usize),
            ));
        }
        validate::positive("probe_every_ms", self.probe_every_ms)?;
        validate::non_negative("start_spread_ms", self.start_spread_ms)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        self.work_ms.check()?;
        match self.detection {
            Detection::GlobalGraph { period_ms } => validate::positive("period_ms", period_ms)?,
            Detection::Timeout { timeout_ms } => validate::positive("timeout_ms", timeout_ms)?,
            Detection::EdgeChasing => 0.0,
        };
        if let Some(plans) = &self.plans {
            if plans.len() != self.txns {
                return Err(Error::invalid(
                    "plans",
                    format!("need one plan per transaction ({})", self.txns),
                ));
            }
            for p in plans.iter().flatten() {
                if p.0 >= self.sites || p.1 >= self.keys {
                    return Err(Error::out_of_range(
                        "plans",
                        format!("{p:?}"),
                        format!("sites 0..{}, keys 0..{}", self.sites, self.keys),
                    ));
                }
            }
        }
        let nodes = self.sites + self.txns + 1;
        self.network.validate(nodes)
    }
}

/// The experiment (no clients: the agents are the transactions).
pub fn experiment(cfg: &DeadlockConfig) -> Result<Experiment<DlNode>> {
    cfg.validate()?;
    let shared = Shared {
        sites: cfg.sites,
        detection: cfg.detection,
        probe_every_ms: cfg.probe_every_ms,
        work_ms: cfg.work_ms.clone(),
        start_spread_ms: cfg.start_spread_ms,
        keys: cfg.keys,
        locks_per_txn: cfg.locks_per_txn,
        fixed: cfg.plans.clone(),
    };
    let mut nodes: Vec<DlNode> = (0..cfg.sites)
        .map(|_| DlNode { shared: shared.clone(), role: Role::Site(Site::default()) })
        .collect();
    for id in 0..cfg.txns {
        nodes.push(DlNode {
            shared: shared.clone(),
            role: Role::Agent(Agent {
                id,
                plan: Vec::new(),
                next: 0,
                waiting_at: None,
                episode: 0,
                blocked_since: 0.0,
                forwarded: BTreeSet::new(),
                committed_at: None,
                aborted_at: None,
            }),
        });
    }
    nodes.push(DlNode { shared, role: Role::Detector(Detector::default()) });
    Ok(Experiment::new(nodes).network(cfg.network.clone()).horizon_ms(cfg.horizon_ms))
}

/// What the edges and the aborts of one run say.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// Transactions that committed.
    pub committed: usize,
    /// Aborts of a transaction that was on a wait-for cycle at that moment.
    pub true_aborts: usize,
    /// Aborts of a transaction not on a cycle but waiting, directly or through others, for one
    /// that is: it would have waited forever too.
    pub stuck_aborts: usize,
    /// Aborts of a transaction that neither was on a cycle nor waited for one: it would have
    /// got its locks (a *false* abort).
    pub false_aborts: usize,
    /// Mean time from a cycle's formation to the abort that broke it, ms (NaN: none).
    pub mean_detection_ms: f64,
    /// Cycles still standing at the end of the run.
    pub unresolved_cycles: usize,
    /// Messages sent.
    pub messages: u64,
}

fn alive_at(edges: &[WaitEdge], t: f64) -> Vec<&WaitEdge> {
    edges.iter().filter(|e| e.from_ms <= t && e.to_ms.map_or(true, |to| to > t)).collect()
}

/// Replay the sites' edges against the agents' aborts (see the module docs).
pub fn analyse(nodes: &[DlNode], messages: u64) -> Analysis {
    let edges: Vec<WaitEdge> = nodes.iter().flat_map(|n| n.edges().iter().copied()).collect();
    let mut out = Analysis { messages, ..Analysis::default() };
    let mut detection = Vec::new();
    for n in nodes {
        if n.committed_at().is_some() {
            out.committed += 1;
        }
        let Role::Agent(a) = &n.role else { continue };
        let Some(t) = a.aborted_at else { continue };
        let live = alive_at(&edges, t);
        let pairs: Vec<(TxnId, TxnId)> = live.iter().map(|e| (e.waiter, e.holder)).collect();
        let on_cycle = cycle_through(&pairs, a.id);
        match on_cycle {
            Some(cycle) => {
                out.true_aborts += 1;
                let formed = cycle
                    .windows(2)
                    .chain(std::iter::once([cycle[cycle.len() - 1], cycle[0]].as_slice()))
                    .filter_map(|w| {
                        live.iter()
                            .filter(|e| e.waiter == w[0] && e.holder == w[1])
                            .map(|e| e.from_ms)
                            .reduce(f64::max)
                    })
                    .fold(0.0, f64::max);
                detection.push(t - formed);
            }
            None if waits_for_a_cycle(&pairs, a.id) => out.stuck_aborts += 1,
            None => out.false_aborts += 1,
        }
    }
    let end_pairs: Vec<(TxnId, TxnId)> =
        edges.iter().filter(|e| e.to_ms.is_none()).map(|e| (e.waiter, e.holder)).collect();
    let mut remaining = end_pairs;
    while let Some(c) = find_cycle(&remaining) {
        out.unresolved_cycles += 1;
        remaining.retain(|(a, _)| !c.contains(a));
    }
    out.mean_detection_ms = if detection.is_empty() {
        f64::NAN
    } else {
        detection.iter().sum::<f64>() / detection.len() as f64
    };
    out
}

/// Does `t` reach, along wait-for edges, a transaction on a cycle?
fn waits_for_a_cycle(edges: &[(TxnId, TxnId)], t: TxnId) -> bool {
    let mut seen = BTreeSet::from([t]);
    let mut todo = vec![t];
    while let Some(v) = todo.pop() {
        for &(a, b) in edges {
            if a == v && seen.insert(b) {
                if cycle_through(edges, b).is_some() {
                    return true;
                }
                todo.push(b);
            }
        }
    }
    false
}

/// The cycle through `t`, if `t` is on one.
fn cycle_through(edges: &[(TxnId, TxnId)], t: TxnId) -> Option<Vec<TxnId>> {
    // BFS from t's successors back to t, keeping parents
    let mut adj: BTreeMap<TxnId, Vec<TxnId>> = BTreeMap::new();
    for &(a, b) in edges {
        adj.entry(a).or_default().push(b);
    }
    let mut parent: BTreeMap<TxnId, TxnId> = BTreeMap::new();
    let mut queue: VecDeque<TxnId> = VecDeque::new();
    queue.push_back(t);
    while let Some(v) = queue.pop_front() {
        for &w in adj.get(&v).map(|x| x.as_slice()).unwrap_or(&[]) {
            if w == t {
                let mut path = vec![v];
                let mut x = v;
                while x != t {
                    x = parent[&x];
                    path.push(x);
                }
                path.reverse();
                return Some(path);
            }
            if let std::collections::btree_map::Entry::Vacant(e) = parent.entry(w) {
                e.insert(v);
                queue.push_back(w);
            }
        }
    }
    None
}

/// Run `cfg` for one seed and analyse it.
pub fn run(cfg: &DeadlockConfig, seed: u64) -> Result<Analysis> {
    let report = experiment(cfg)?.run(seed)?;
    Ok(analyse(report.sim().nodes(), report.stats().sent))
}

/// The two-site cycle: $T_0$ locks key 0 at site 0 then key 0 at site 1; $T_1$ the other way
/// round; both work 5 ms after their first lock, so each waits for the other.
#[derive(Clone, Debug, PartialEq)]
pub struct CycleRun {
    /// Was each site's own graph acyclic when the cycle stood?
    pub local_graphs_acyclic: bool,
    /// Did the union of the sites' graphs have a cycle?
    pub union_has_cycle: bool,
    /// What happened.
    pub analysis: Analysis,
}

/// The two-site deadlock with the given detection.
pub fn cross_site_cycle(detection: Detection) -> Result<CycleRun> {
    let cfg = cross_site_config(detection);
    let report = experiment(&cfg)?.run(1)?;
    let nodes = report.sim().nodes();
    let edges: Vec<WaitEdge> = nodes.iter().flat_map(|n| n.edges().iter().copied()).collect();
    // the moment both edges stood: the later of their starts
    let t = edges.iter().map(|e| e.from_ms).fold(0.0, f64::max);
    let live = alive_at(&edges, t);
    let local_graphs_acyclic = (0..cfg.sites).all(|s| {
        let pairs: Vec<_> =
            live.iter().filter(|e| e.site == s).map(|e| (e.waiter, e.holder)).collect();
        find_cycle(&pairs).is_none()
    });
    let all: Vec<_> = live.iter().map(|e| (e.waiter, e.holder)).collect();
    Ok(CycleRun {
        local_graphs_acyclic,
        union_has_cycle: find_cycle(&all).is_some(),
        analysis: analyse(nodes, report.stats().sent),
    })
}

/// The configuration of [`cross_site_cycle`] (for a traced run or a sequence diagram).
pub fn cross_site_config(detection: Detection) -> DeadlockConfig {
    let mut cfg = DeadlockConfig::new(2, 2, detection);
    cfg.keys = 1;
    cfg.plans = Some(vec![vec![(0, 0), (1, 0)], vec![(1, 0), (0, 0)]]);
    cfg.work_ms = Dist::Constant { value: 5.0 };
    cfg.network = Network::new(Dist::Constant { value: 1.0 });
    cfg.horizon_ms = 300.0;
    cfg
}

/// One point of the timeout sweep: totals over the seeds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeoutPoint {
    /// The detection used.
    pub detection: Detection,
    /// Aborts of transactions on a cycle.
    pub true_aborts: usize,
    /// Aborts of transactions waiting (transitively) for a cycle.
    pub stuck_aborts: usize,
    /// Aborts of transactions on no cycle and waiting for none.
    pub false_aborts: usize,
    /// Mean detection time of the true aborts, ms (NaN: none).
    pub mean_detection_ms: f64,
    /// Commits.
    pub committed: usize,
    /// Messages.
    pub messages: u64,
}

/// Run `base` with each detection in `detections` over `seeds`, summing.
pub fn timeout_sweep(
    base: &DeadlockConfig,
    detections: &[Detection],
    seeds: std::ops::Range<u64>,
) -> Result<Vec<TimeoutPoint>> {
    if detections.is_empty() || seeds.is_empty() {
        return Err(Error::empty("detections / seeds", "give at least one of each"));
    }
    detections
        .iter()
        .map(|&d| {
            let cfg = DeadlockConfig { detection: d, ..base.clone() };
            let mut p = TimeoutPoint {
                detection: d,
                true_aborts: 0,
                stuck_aborts: 0,
                false_aborts: 0,
                mean_detection_ms: 0.0,
                committed: 0,
                messages: 0,
            };
            let mut sum = 0.0;
            for s in seeds.clone() {
                let a = run(&cfg, s)?;
                p.true_aborts += a.true_aborts;
                p.false_aborts += a.false_aborts;
                p.stuck_aborts += a.stuck_aborts;
                p.committed += a.committed;
                p.messages += a.messages;
                if a.true_aborts > 0 {
                    sum += a.mean_detection_ms * a.true_aborts as f64;
                }
            }
            p.mean_detection_ms =
                if p.true_aborts == 0 { f64::NAN } else { sum / p.true_aborts as f64 };
            Ok(p)
        })
        .collect()
}
