//! A replicated log on the harness: a fixed leader `n0` acknowledges a client write only once
//! a majority of nodes has it **durably synced**; followers crash, restart with what their
//! disk kept, truncate the torn tail and catch up from the leader.

use std::collections::BTreeMap;

use crate::error::{validate, Error, Result};
use crate::sim::{
    Bugs, Ctx, Experiment, FaultSchedule, KvRequest, KvResponse, Monitor, Network, Node, NodeId,
    RequestId, Simulation, Target, Violation, Workload,
};

use super::disk::Disk;
use super::wal::{scan_log, Lsn, Op, Record};

/// Planted bugs of the replicated log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// A follower acknowledges a record as soon as it has *written* it, before the fsync. A
    /// crash in between loses a record the leader counts as durable there.
    AckBeforeFsync,
    /// The leader answers the client once its own copy is synced, without waiting for a
    /// majority: one disk holds an "acknowledged" write.
    AckOnOne,
}

/// Messages between leader and followers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogMsg {
    /// Leader → follower: append record `lsn`.
    Append {
        /// Its LSN.
        lsn: Lsn,
        /// The write.
        op: Op,
    },
    /// Follower → leader: my log is durable up to `durable`.
    Ack {
        /// Last synced LSN.
        durable: Lsn,
    },
    /// Follower → leader: send me everything from `next` on (after a restart or a gap).
    CatchUp {
        /// The first LSN missing.
        next: Lsn,
    },
}

/// Timers of the replicated log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogTimer {
    /// The fsync started when the first unsynced record was written completes.
    FsyncDone,
}

/// One node of the replicated log (`n0` leads). Durable: the [`Disk`]. Volatile: everything
/// else, rebuilt from the disk by [`Node::restarted`].
#[derive(Clone, Debug)]
pub struct LogNode {
    disk: Disk,
    records: Vec<Op>,
    durable: Lsn,
    syncing: bool,
    /// At the leader: the highest LSN each node has reported durable (never lowered).
    matched: Vec<Lsn>,
    /// At the leader: client requests waiting for their LSN to be durable on a majority.
    waiting: BTreeMap<Lsn, RequestId>,
    fsync_ms: f64,
    garble: f64,
    crash_seed: u64,
    restarts: u64,
    recovered_lsn: Lsn,
    bugs: Bugs<Bug>,
}

impl LogNode {
    fn new(n: usize, fsync_ms: f64, garble: f64, bugs: Bugs<Bug>) -> LogNode {
        LogNode {
            disk: Disk::new(),
            records: Vec::new(),
            durable: 0,
            syncing: false,
            matched: vec![0; n],
            waiting: BTreeMap::new(),
            fsync_ms,
            garble,
            crash_seed: 0,
            restarts: 0,
            recovered_lsn: 0,
            bugs,
        }
    }

    /// The node's disk (the durable state).
    pub fn disk(&self) -> &Disk {
        &self.disk
    }

    /// Records in the node's log (written, synced or not).
    pub fn last_lsn(&self) -> Lsn {
        self.records.len() as Lsn
    }

    /// Records synced.
    pub fn durable_lsn(&self) -> Lsn {
        self.durable
    }

    /// Times the node restarted.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// The LSN the node recovered to at its last restart.
    pub fn recovered_lsn(&self) -> Lsn {
        self.recovered_lsn
    }

    /// At the leader: the highest LSN node `i` has reported durable.
    pub fn matched(&self, i: usize) -> Lsn {
        self.matched.get(i).copied().unwrap_or(0)
    }

    fn append(&mut self, ctx: &mut Ctx<Self>, op: Op) -> Lsn {
        let lsn = self.records.len() as Lsn + 1;
        self.disk.write(&Record { lsn, op }.encode());
        self.records.push(op);
        if !self.syncing {
            self.syncing = true;
            ctx.set_timer(self.fsync_ms, LogTimer::FsyncDone);
        }
        lsn
    }

    fn advance(&mut self, ctx: &mut Ctx<Self>) {
        let n = ctx.cluster_size();
        self.matched[0] = self.durable;
        let committed = if self.bugs.has(Bug::AckOnOne) {
            self.durable
        } else {
            let mut m = self.matched.clone();
            m.sort_unstable_by(|a, b| b.cmp(a));
            m[n / 2] // the (⌊n/2⌋+1)-th largest: durable on a majority
        };
        let done: Vec<Lsn> = self.waiting.range(..=committed).map(|(&l, _)| l).collect();
        for lsn in done {
            if let Some(id) = self.waiting.remove(&lsn) {
                ctx.respond(id, KvResponse::Written);
            }
        }
    }
}

impl Node for LogNode {
    type Msg = LogMsg;
    type Timer = LogTimer;
    type Request = KvRequest;
    type Response = KvResponse;

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if ctx.id() != NodeId(0) && self.restarts > 0 {
            ctx.send(NodeId(0), LogMsg::CatchUp { next: self.last_lsn() + 1 });
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, req: KvRequest) {
        self.crash_seed = ctx.rng().next_u64();
        match req {
            KvRequest::Put { key, value } if ctx.id() == NodeId(0) => {
                let op = Op { key: key as u32, value };
                let lsn = self.append(ctx, op);
                ctx.broadcast(LogMsg::Append { lsn, op });
                self.waiting.insert(lsn, id);
            }
            KvRequest::Get { key } if ctx.id() == NodeId(0) => {
                let v =
                    self.records.iter().rev().find(|op| op.key == key as u32).map(|op| op.value);
                ctx.respond(id, KvResponse::Value(v));
            }
            _ => ctx.respond(id, KvResponse::NotLeader(Some(NodeId(0)))),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: LogMsg) {
        self.crash_seed = ctx.rng().next_u64();
        match msg {
            LogMsg::Append { lsn, op } => {
                let next = self.last_lsn() + 1;
                if lsn == next {
                    self.append(ctx, op);
                    if self.bugs.has(Bug::AckBeforeFsync) {
                        ctx.send(from, LogMsg::Ack { durable: lsn });
                    }
                } else if lsn > next {
                    ctx.send(from, LogMsg::CatchUp { next });
                } else {
                    ctx.send(from, LogMsg::Ack { durable: self.durable });
                }
            }
            LogMsg::Ack { durable } => {
                if let Some(m) = self.matched.get_mut(from.0) {
                    *m = (*m).max(durable);
                }
                self.advance(ctx);
            }
            LogMsg::CatchUp { next } => {
                for lsn in next.max(1)..=self.last_lsn() {
                    let op = self.records[(lsn - 1) as usize];
                    ctx.send(from, LogMsg::Append { lsn, op });
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _t: LogTimer) {
        self.crash_seed = ctx.rng().next_u64();
        self.disk.sync();
        self.durable = self.last_lsn();
        self.syncing = false;
        if ctx.id() == NodeId(0) {
            self.advance(ctx);
        } else if !self.bugs.has(Bug::AckBeforeFsync) {
            ctx.send(NodeId(0), LogMsg::Ack { durable: self.durable });
        }
    }

    /// The disk crashes (its unsynced suffix torn at a random byte, maybe garbled), the node
    /// scans its log, truncates the torn tail and rebuilds its records; timers, the fsync in
    /// progress and (at the leader) the waiting requests are gone.
    fn restarted(&self) -> Self {
        let (mut disk, _) = self
            .disk
            .crash(self.crash_seed, self.garble)
            .expect("garble was validated by the experiment");
        let scan = scan_log(disk.log(), 1);
        disk.truncate(scan.valid_bytes);
        let records: Vec<Op> = scan.records.iter().map(|r| r.op).collect();
        let lsn = records.len() as Lsn;
        LogNode {
            disk,
            records,
            durable: lsn,
            syncing: false,
            matched: self.matched.clone(),
            waiting: BTreeMap::new(),
            restarts: self.restarts + 1,
            recovered_lsn: lsn,
            ..self.clone()
        }
    }
}

/// Configuration of a replicated-log experiment.
#[derive(Clone, Debug)]
pub struct ReplicatedLog {
    /// Nodes (n0 leads; at least 1).
    pub nodes: usize,
    /// fsync latency, ms (positive; see [`super::CostModel`]).
    pub fsync_ms: f64,
    /// Probability a crash garbles a surviving unsynced byte.
    pub garble: f64,
    /// The network.
    pub network: Network,
    /// Correlated follower crashes per run: all followers crash together at a random time
    /// and come back after a random outage (the leader stays up; failing over the leader is
    /// consensus, notebook 07).
    pub outages: usize,
    /// Mean outage length, ms.
    pub mean_outage_ms: f64,
    /// Simulated time per run, ms.
    pub horizon_ms: f64,
    /// Check at every acknowledgement that the write is synced on a majority (the strong
    /// check). Off: only the crash-revealed check runs (a follower recovers everything it
    /// acknowledged), which catches [`Bug::AckBeforeFsync`] only when a crash hits its window.
    pub check_majority: bool,
    /// Planted bugs.
    pub bugs: Bugs<Bug>,
}

impl Default for ReplicatedLog {
    /// 3 nodes, 2 ms fsync, 1–3 ms links, two correlated outages per 400 ms run.
    fn default() -> Self {
        ReplicatedLog {
            nodes: 3,
            fsync_ms: 2.0,
            garble: 0.5,
            network: Network::new(crate::dist::Dist::uniform(1.0, 3.0).expect("valid bounds")),
            outages: 2,
            mean_outage_ms: 20.0,
            horizon_ms: 400.0,
            check_majority: true,
            bugs: Bugs::none(),
        }
    }
}

/// The check that a follower keeps, across its crash, every record it told the leader was
/// durable: at each restart, its recovered log must reach the leader's `matched` for it.
struct PromisesKept {
    restarts: Vec<u64>,
}

impl Monitor<LogNode> for PromisesKept {
    fn check(&mut self, sim: &Simulation<LogNode>) -> std::result::Result<(), Violation> {
        let nodes = sim.nodes();
        self.restarts.resize(nodes.len(), 0);
        for (i, n) in nodes.iter().enumerate().skip(1) {
            if n.restarts != self.restarts[i] {
                self.restarts[i] = n.restarts;
                let promised = nodes[0].matched(i);
                if n.recovered_lsn < promised {
                    return Err(Violation::now(
                        sim,
                        "acknowledged records survive a crash",
                        format!(
                            "n{i} had acknowledged LSN {promised} as durable, but after its crash it recovered only up to LSN {}",
                            n.recovered_lsn
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The check that every write the leader acknowledged to a client is, at that moment, synced
/// on a majority of disks (read from the disks' synced bytes, not from the nodes' counters).
struct MajorityDurable {
    seen: usize,
}

impl Monitor<LogNode> for MajorityDurable {
    fn check(&mut self, sim: &Simulation<LogNode>) -> std::result::Result<(), Violation> {
        let answered = sim.answered();
        if answered.len() == self.seen {
            return Ok(());
        }
        let fresh = &answered[self.seen..];
        self.seen = answered.len();
        let n = sim.cluster_size();
        for a in fresh {
            if let (KvRequest::Put { key, value }, KvResponse::Written) = (a.request, a.response) {
                let op = Op { key: key as u32, value };
                let copies = sim
                    .nodes()
                    .iter()
                    .filter(|node| {
                        scan_log(node.disk.synced_log(), 1).records.iter().any(|r| r.op == op)
                    })
                    .count();
                if copies <= n / 2 {
                    return Err(Violation::now(
                        sim,
                        "acknowledged ⇒ durable on a majority",
                        format!(
                            "put k{key}={value} was acknowledged with {copies} synced cop{} of {n}; a majority is {}",
                            if copies == 1 { "y" } else { "ies" },
                            n / 2 + 1
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl ReplicatedLog {
    /// Check every field.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("nodes", self.nodes, 1)?;
        validate::positive("fsync_ms", self.fsync_ms)?;
        validate::finite("fsync_ms", self.fsync_ms)?;
        validate::probability("garble", self.garble)?;
        validate::positive("mean_outage_ms", self.mean_outage_ms)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        if self.outages > 0 && self.nodes < 2 {
            return Err(Error::invalid("outages", "a single node has no followers to crash"));
        }
        self.network.validate(self.nodes)
    }

    /// The experiment: nodes + network + correlated follower outages + the two monitors +
    /// write-only clients sent to the leader.
    pub fn experiment(&self, workload: Workload) -> Result<Experiment<LogNode>> {
        self.validate()?;
        let nodes = vec![
            LogNode::new(self.nodes, self.fsync_ms, self.garble, self.bugs.clone());
            self.nodes
        ];
        let (outages, mean, horizon) = (self.outages, self.mean_outage_ms, self.horizon_ms);
        let mut exp = Experiment::new(nodes)
            .network(self.network.clone())
            .horizon_ms(self.horizon_ms)
            .faults_from(move |rng, n| {
                let mut f = FaultSchedule::new();
                for _ in 0..outages {
                    let at = rng.uniform_range(0.0, 0.8 * horizon);
                    let back = at + rng.exponential(1.0 / mean);
                    for node in 1..n {
                        f = f.crash(node, at).restart(node, back);
                    }
                }
                Ok(f)
            })
            .monitor(|| PromisesKept { restarts: Vec::new() })
            .clients(workload.target(Target::Leader));
        if self.check_majority {
            exp = exp.monitor(|| MajorityDurable { seen: 0 });
        }
        Ok(exp)
    }

    /// The default client load: 4 closed-loop clients, 40 writes each over 4 keys, 0.5 ms
    /// think time (done well before the 400 ms horizon, so the followers catch up).
    pub fn workload() -> Workload {
        Workload::new(4, 40)
            .keys(4)
            .read_fraction(0.0)
            .think_ms(crate::dist::Dist::constant(0.5).expect("valid"))
    }
}
