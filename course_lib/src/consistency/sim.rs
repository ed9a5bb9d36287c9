//! Histories to check: a replicated register on the simulator, and synthetic histories.
//!
//! * [`RegisterNode`] is a replica of a quorum-replicated register, written as a state machine
//!   for [`crate::sim`]. With [`RegisterConfig::linearizable`] it runs ABD (Attiya, Bar-Noy &
//!   Dolev 1995): majority quorums, a timestamp query before each write, and a *write-back*
//!   before each read returns — linearizable. With [`RegisterConfig::partial`] it is
//!   Dynamo-style: R and W replies, last-writer-wins timestamps, no write-back — fast, available,
//!   and not linearizable.
//! * [`run_register`] runs the harness's clients ([`Workload`]: sticky sessions, or a random
//!   replica per operation) against a cluster on the experiment harness
//!   ([`register_experiment`]) and returns the client [`History`] plus latencies. A replica
//!   speaks the shared [`KvRequest`]/[`KvResponse`]: a coordinator whose quorum does not answer
//!   in time says [`KvResponse::Unknown`], an `info` operation.
//! * [`partition_experiment`] runs the CAP experiment of notebook 11 ([`no_partition_baseline`]
//!   is its control run, same window without the fault): a partition cuts one
//!   replica off; how many operations succeed, and how many reads are stale?
//! * [`random_register_history`] makes linearizable-by-construction histories (optionally with
//!   one corrupted read) quickly, for tests and benchmarks of the checker.
//!
//! ## Which write wins
//! Replicas keep the value with the largest timestamp [`Ts`] = (counter, coordinator node).
//! ABD's coordinator reads the largest counter from a majority and adds one (a Lamport clock),
//! so a write invoked after another completed always gets a larger timestamp. The Dynamo-style
//! store skips that round trip — one round trip per write is the point of partial quorums — and
//! its coordinator stamps a write, when the write reaches it, with its own clock:
//! last-writer-wins, as in Cassandra. The simulated clocks are perfect (every node reads
//! simulated time), so this order too respects real time: a write that starts after another
//! one finished wins. With R + W > N and no failures a read therefore never returns a value
//! older than the latest write completed before it began — no [`stale_reads`] — yet the store
//! is still not linearizable: without write-back, a read that caught a write on its way can be
//! followed by a read that misses it (a new–old inversion). Turn on `write_back` and the perfect
//! clocks stand in for ABD's timestamp query. With R + W ≤ N reads miss completed writes
//! outright. Real clocks drift (notebook 05): with skewed clocks, last-writer-wins silently
//! drops a write that started later from a replica whose clock lags, which is one reason ABD
//! asks a quorum instead.
//!
//! The written value is not the timestamp; it only makes the history's writes distinct, as
//! Jepsen's checkers require. The harness's clients number a write when it is invoked, not when
//! its client starts thinking about it (a client that thinks longer invokes later), so the values
//! increase in invocation order and agree with the replicas' timestamps — the version order
//! [`check_session`](super::check_session) assumes — except, possibly, between writes invoked
//! in the same nanosecond, which are concurrent anyway.
//!
//! ## Latency
//! A client's request goes straight to its coordinator, a replica (the client-to-coordinator
//! hop is not modelled), and the coordinator's messages to itself arrive at once. Latencies in
//! [`RegisterRun`] are therefore the time the coordinator waits for the *other* replicas: with
//! R = W = 1 the coordinator's own copy answers and every operation takes 0 ms, by design —
//! that is the speed partial quorums buy, and the price is the stale reads.

use std::collections::HashMap;

use super::history::{Event, EventType, History, Outcome, Value, F};
use super::models::stale_reads;
use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;
use crate::sim::{
    Ctx, Experiment, FaultSchedule, KvRequest, KvResponse, Network, Node, NodeId, RequestId, Time,
};
/// The harness's clients, as the register uses them.
pub use crate::sim::{Target, Workload};

/// A timestamp: (counter, writer node). Ordered lexicographically; larger is newer.
pub type Ts = (u64, usize);

/// Low-order bits of a last-writer-wins counter that number the writes stamped within one
/// nanosecond of the coordinator's clock (see [`RegisterConfig::query_before_write`]).
const LWW_SUBTICK_BITS: u32 = 10;

/// How the replicas of the register behave.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisterConfig {
    /// Replicas.
    pub n: usize,
    /// Replies a read waits for.
    pub r: usize,
    /// Acknowledgements a write waits for.
    pub w: usize,
    /// Before a write, ask R replicas for their timestamps and pick a larger one (ABD phase 1).
    /// Without it the coordinator stamps the write with its clock when the write reaches it
    /// (last-writer-wins; the simulated clocks are perfectly synchronised, so a write invoked
    /// later gets a larger timestamp — see the module docs). The counter is the clock in
    /// nanoseconds times 1024, the low bits numbering writes the replica stamps within one
    /// nanosecond; the node id breaks ties between replicas.
    pub query_before_write: bool,
    /// Before a read returns, write what it read back to W replicas (ABD's write-back).
    pub write_back: bool,
    /// A coordinator gives up on a request after this long and answers "timeout" (the client
    /// records an `info` operation).
    pub timeout_ms: f64,
}

impl RegisterConfig {
    /// ABD on `n` replicas: majority quorums, query before write, write-back on read.
    /// Linearizable, available only while a majority is reachable.
    pub fn linearizable(n: usize) -> Self {
        let m = n / 2 + 1;
        RegisterConfig {
            n,
            r: m,
            w: m,
            query_before_write: true,
            write_back: true,
            timeout_ms: 50.0,
        }
    }

    /// Dynamo-style partial quorums: wait for `r` replies to a read and `w` acks to a write,
    /// last-writer-wins by the coordinator's clock at invocation, no write-back.
    /// `1 <= r, w <= n` (checked when the register is run). With `r + w > n` and no failures
    /// reads are never stale, but the store is not linearizable (no write-back); with
    /// `r + w <= n` reads can be stale.
    pub fn partial(n: usize, r: usize, w: usize) -> Self {
        RegisterConfig { n, r, w, query_before_write: false, write_back: false, timeout_ms: 50.0 }
    }

    /// The same configuration with another timeout (ms, > 0).
    pub fn with_timeout(mut self, timeout_ms: f64) -> Self {
        self.timeout_ms = timeout_ms;
        self
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("n", self.n, 1)?;
        for (name, v) in [("R", self.r), ("W", self.w)] {
            if v == 0 || v > self.n {
                return Err(Error::out_of_range(
                    name,
                    v,
                    format!("must be between 1 and N = {}", self.n),
                ));
            }
        }
        validate::positive("timeout_ms", self.timeout_ms)?;
        Ok(())
    }
}

/// Messages between replicas.
#[derive(Clone, Debug, PartialEq)]
pub enum RegMsg {
    /// "Send me your timestamp and value" for operation `op` of the sender.
    Query {
        /// The coordinator's operation number.
        op: u64,
    },
    /// Answer to a query.
    QueryReply {
        /// Operation number.
        op: u64,
        /// The replica's timestamp.
        ts: Ts,
        /// The replica's value.
        value: Option<i64>,
    },
    /// "Store this value if its timestamp is newer than yours."
    Store {
        /// Operation number.
        op: u64,
        /// Timestamp of the value.
        ts: Ts,
        /// The value.
        value: Option<i64>,
    },
    /// Acknowledgement of a store.
    StoreAck {
        /// Operation number.
        op: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Query,
    Store,
}

#[derive(Clone, Debug)]
struct Pending {
    req: RequestId,
    write: Option<i64>,
    phase: Phase,
    best: (Ts, Option<i64>),
    replies: usize,
}

/// One replica of the register (see the module docs).
#[derive(Clone, Debug)]
pub struct RegisterNode {
    cfg: RegisterConfig,
    ts: Ts,
    value: Option<i64>,
    clock: u64,
    next_op: u64,
    pending: HashMap<u64, Pending>,
}

impl RegisterNode {
    /// A cluster of `cfg.n` replicas, all holding null.
    pub fn cluster(cfg: &RegisterConfig) -> Result<Vec<RegisterNode>> {
        cfg.validate()?;
        Ok((0..cfg.n)
            .map(|_| RegisterNode {
                cfg: cfg.clone(),
                ts: (0, 0),
                value: None,
                clock: 0,
                next_op: 0,
                pending: HashMap::new(),
            })
            .collect())
    }

    /// The replica's current value and timestamp.
    pub fn stored(&self) -> (Option<i64>, Ts) {
        (self.value, self.ts)
    }

    /// The last-writer-wins counter for a write that reaches this coordinator at `now`: the
    /// coordinator's clock in nanoseconds, shifted left by [`LWW_SUBTICK_BITS`] so that the
    /// low bits can number writes stamped within one nanosecond (saturating after ~200 days), and never below one more than
    /// the largest counter this replica has seen (so a replica never issues a counter twice).
    /// The simulated clocks are perfectly synchronised, so a write invoked after another one
    /// completed gets a larger counter.
    fn lww_stamp(&mut self, now: Time) -> u64 {
        let c = now.as_nanos().saturating_mul(1 << LWW_SUBTICK_BITS).max(self.clock + 1);
        self.clock = c;
        c
    }

    fn all(ctx: &mut Ctx<Self>, msg: RegMsg) {
        for to in 0..ctx.cluster_size() {
            ctx.send(NodeId(to), msg.clone());
        }
    }

    fn store_phase(&mut self, ctx: &mut Ctx<Self>, op: u64, ts: Ts, value: Option<i64>) {
        if let Some(p) = self.pending.get_mut(&op) {
            p.phase = Phase::Store;
            p.replies = 0;
            p.best = (ts, value);
        }
        Self::all(ctx, RegMsg::Store { op, ts, value });
    }

    fn finish(&mut self, ctx: &mut Ctx<Self>, op: u64) {
        if let Some(p) = self.pending.remove(&op) {
            let resp = match p.write {
                Some(_) => KvResponse::Written,
                None => KvResponse::Value(p.best.1),
            };
            ctx.respond(p.req, resp);
        }
    }
}

impl Node for RegisterNode {
    type Msg = RegMsg;
    type Timer = u64;
    type Request = KvRequest;
    type Response = KvResponse;

    /// Every key is the one register (the workload must have one key).
    fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, request: KvRequest) {
        let op = self.next_op;
        self.next_op += 1;
        ctx.set_timer(self.cfg.timeout_ms, op);
        let write = match request {
            KvRequest::Get { .. } => None,
            KvRequest::Put { value, .. } => Some(value),
        };
        self.pending.insert(
            op,
            Pending { req: id, write, phase: Phase::Query, best: ((0, 0), None), replies: 0 },
        );
        if let (Some(_), false) = (write, self.cfg.query_before_write) {
            let ts = (self.lww_stamp(ctx.now()), ctx.id().0);
            self.store_phase(ctx, op, ts, write);
        } else {
            Self::all(ctx, RegMsg::Query { op });
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: RegMsg) {
        match msg {
            RegMsg::Query { op } => {
                ctx.send(from, RegMsg::QueryReply { op, ts: self.ts, value: self.value });
            }
            RegMsg::Store { op, ts, value } => {
                self.clock = self.clock.max(ts.0);
                if ts > self.ts {
                    self.ts = ts;
                    self.value = value;
                }
                ctx.send(from, RegMsg::StoreAck { op });
            }
            RegMsg::QueryReply { op, ts, value } => {
                self.clock = self.clock.max(ts.0);
                let (r, write_back) = (self.cfg.r, self.cfg.write_back);
                let Some(p) = self.pending.get_mut(&op) else { return };
                if p.phase != Phase::Query {
                    return;
                }
                p.replies += 1;
                if ts > p.best.0 || p.replies == 1 {
                    p.best = (ts, value);
                }
                if p.replies < r {
                    return;
                }
                match p.write {
                    Some(v) => {
                        let ts = (p.best.0 .0.max(self.clock) + 1, ctx.id().0);
                        self.clock = ts.0;
                        self.store_phase(ctx, op, ts, Some(v));
                    }
                    None if write_back => {
                        let (ts, v) = p.best;
                        self.store_phase(ctx, op, ts, v);
                    }
                    None => self.finish(ctx, op),
                }
            }
            RegMsg::StoreAck { op } => {
                let w = self.cfg.w;
                let Some(p) = self.pending.get_mut(&op) else { return };
                if p.phase != Phase::Store {
                    return;
                }
                p.replies += 1;
                if p.replies >= w {
                    self.finish(ctx, op);
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, op: u64) {
        if let Some(p) = self.pending.remove(&op) {
            ctx.respond(p.req, KvResponse::Unknown);
        }
    }

    fn restarted(&self) -> Self {
        RegisterNode { pending: HashMap::new(), ..self.clone() }
    }
}

/// The outcome of [`run_register`].
#[derive(Clone, Debug)]
pub struct RegisterRun {
    /// The clients' history (times in ns of simulated time, one process per client
    /// incarnation; a client whose request timed out continues as a new process).
    pub history: History,
    /// Latency (ms) of every read that completed ok: invocation to answer at the coordinator
    /// (0 when R = 1: the coordinator's own copy answers at once; see the module docs).
    pub read_latency_ms: Vec<f64>,
    /// Latency (ms) of every write that completed ok (0 when W = 1, as for reads).
    pub write_latency_ms: Vec<f64>,
    /// Operations that ended as `info` (the coordinator's quorum did not answer in time, or
    /// the client's own timeout passed first).
    pub timeouts: usize,
}

/// The register as an experiment of the harness: `cfg.n` replicas on `network` with `faults`,
/// the harness's clients running `workload` (one register: `workload.keys` must be 1), until
/// every operation has ended.
pub fn register_experiment(
    cfg: &RegisterConfig,
    workload: &Workload,
    network: Network,
    faults: FaultSchedule,
) -> Result<Experiment<RegisterNode>> {
    if workload.keys != 1 {
        return Err(Error::out_of_range(
            "keys",
            workload.keys,
            "the register is a single key: use a workload with keys = 1",
        ));
    }
    Ok(Experiment::new(RegisterNode::cluster(cfg)?)
        .network(network)
        .faults(faults)
        .clients(workload.clone())
        .horizon_ms(RUN_TO_THE_END_MS))
}

/// A horizon no register run reaches: every operation ends by its coordinator's timer.
const RUN_TO_THE_END_MS: f64 = 1e9;

/// Runs `workload` against a cluster configured by `cfg` on `network` with `faults`, on the
/// experiment harness ([`register_experiment`]); the same seed gives the same history.
///
/// ```
/// use course_lib::consistency::sim::{run_register, RegisterConfig, Workload};
/// use course_lib::consistency::check_cas_register;
/// use course_lib::prelude::*;
/// let net = Network::new(Dist::exponential_mean(1.0)?);
/// let run = run_register(&RegisterConfig::linearizable(3), &Workload::new(4, 10), net,
///                        FaultSchedule::new(), 7)?;
/// assert_eq!(run.history.len(), 40);
/// assert!(check_cas_register(&run.history).is_linearizable());
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn run_register(
    cfg: &RegisterConfig,
    workload: &Workload,
    network: Network,
    faults: FaultSchedule,
    seed: u64,
) -> Result<RegisterRun> {
    let report = register_experiment(cfg, workload, network, faults)?.run(seed)?;
    let history = report.history().cloned().expect("an experiment with clients has a history");
    let (mut read_lat, mut write_lat, mut timeouts) = (Vec::new(), Vec::new(), 0usize);
    for op in history.operations() {
        match (op.outcome, op.complete) {
            (Outcome::Ok, Some(done)) => {
                let latency = history.event_time(done) - history.event_time(op.invoke);
                if op.f == F::Read {
                    read_lat.push(latency)
                } else {
                    write_lat.push(latency)
                }
            }
            (Outcome::Info, _) => timeouts += 1,
            _ => {}
        }
    }
    Ok(RegisterRun { history, read_latency_ms: read_lat, write_latency_ms: write_lat, timeouts })
}

fn ms_to_ns(ms: f64) -> i64 {
    (ms * 1e6).round() as i64
}

/// The result of one [`partition_experiment`].
#[derive(Clone, Debug, PartialEq)]
pub struct PartitionOutcome {
    /// Availability while the partition lasted: for each client, the fraction of its
    /// operations invoked during the partition that completed `ok`, averaged over the clients
    /// (each client counts once, however many operations it managed to issue).
    pub availability: f64,
    /// Fraction of the `ok` reads invoked while the partition lasted that were certainly stale
    /// (see [`stale_reads`]).
    pub stale_read_fraction: f64,
    /// Operations invoked during the partition.
    pub ops_during: usize,
}

/// The CAP experiment: `cfg.n` replicas, 2·N clients (client c talks to replica c mod N)
/// issuing reads and writes; from 100 ms on, replica 0 is cut off from the others for
/// `partition_ms`, and the clients keep working until 100 ms after it heals. Network delays
/// are exponential with mean 1 ms.
///
/// ```
/// use course_lib::consistency::sim::{partition_experiment, RegisterConfig};
/// let cp = partition_experiment(&RegisterConfig::linearizable(3), 200.0, 1)?;
/// let ap = partition_experiment(&RegisterConfig::partial(3, 1, 1), 200.0, 1)?;
/// assert!(cp.availability < 0.8 && cp.stale_read_fraction == 0.0); // the minority side waits
/// assert!(ap.availability == 1.0 && ap.stale_read_fraction > 0.1); // everyone answers, some wrongly
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn partition_experiment(
    cfg: &RegisterConfig,
    partition_ms: f64,
    seed: u64,
) -> Result<PartitionOutcome> {
    window_experiment(cfg, partition_ms, true, seed)
}

/// The control run of [`partition_experiment`]: the same clients, network, seed and
/// measurement window (`window_ms` from 100 ms on), **without** the partition. What a design
/// shows here it would show anyway; only the difference is the partition's doing. (An AP store
/// with R = W = 1 returns stale reads with no partition at all: a read races the asynchronous
/// copies of the write before it.)
///
/// ```
/// use course_lib::consistency::sim::{no_partition_baseline, partition_experiment, RegisterConfig};
/// let ap = RegisterConfig::partial(3, 1, 1);
/// let base = no_partition_baseline(&ap, 200.0, 1)?;
/// assert!(base.availability == 1.0 && base.stale_read_fraction > 0.0);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn no_partition_baseline(
    cfg: &RegisterConfig,
    window_ms: f64,
    seed: u64,
) -> Result<PartitionOutcome> {
    window_experiment(cfg, window_ms, false, seed)
}

/// The CAP experiment's body: measures the window [100, 100 + `window_ms`) ms, with replica 0
/// cut off during it when `partitioned`.
fn window_experiment(
    cfg: &RegisterConfig,
    partition_ms: f64,
    partitioned: bool,
    seed: u64,
) -> Result<PartitionOutcome> {
    let what = if partitioned { "partition_ms" } else { "window_ms" };
    validate::non_negative(what, partition_ms)?;
    cfg.validate()?;
    let start = 100.0;
    let end = start + partition_ms;
    let faults = if partitioned && cfg.n > 1 && partition_ms > 0.0 {
        FaultSchedule::new().partition(vec![vec![0], (1..cfg.n).collect()], start, end)
    } else {
        FaultSchedule::new()
    };
    let clients = 2 * cfg.n;
    // enough operations to keep every client busy past the end of the partition; the clients'
    // own timeout is longer than the coordinator's, so the coordinator decides
    let wl = Workload::new(clients, ((end + 100.0) / 2.5).ceil() as usize)
        .think_ms(Dist::exponential_mean(2.0)?)
        .timeout_ms(cfg.timeout_ms * 2.0);
    let run = run_register(cfg, &wl, Network::new(Dist::exponential_mean(1.0)?), faults, seed)?;
    let h = &run.history;
    let during: Vec<&super::history::Operation> = h
        .operations()
        .iter()
        .filter(|o| {
            let t = h.event_time(o.invoke);
            t >= start && t < end
        })
        .collect();
    let mut per_client = vec![(0usize, 0usize); clients];
    for o in &during {
        let c = (o.process % clients as u64) as usize;
        per_client[c].1 += 1;
        if o.outcome == super::Outcome::Ok {
            per_client[c].0 += 1;
        }
    }
    let served: Vec<f64> =
        per_client.iter().filter(|(_, n)| *n > 0).map(|(ok, n)| *ok as f64 / *n as f64).collect();
    let stale: std::collections::HashSet<usize> = stale_reads(h).into_iter().collect();
    let reads: Vec<_> =
        during.iter().filter(|o| o.f == F::Read && o.outcome == super::Outcome::Ok).collect();
    let stale_n = reads.iter().filter(|o| stale.contains(&o.id)).count();
    Ok(PartitionOutcome {
        availability: if served.is_empty() {
            1.0
        } else {
            served.iter().sum::<f64>() / served.len() as f64
        },
        stale_read_fraction: if reads.is_empty() {
            0.0
        } else {
            stale_n as f64 / reads.len() as f64
        },
        ops_during: during.len(),
    })
}

/// Parameters of [`random_register_history`].
#[derive(Clone, Debug, PartialEq)]
pub struct RandomHistory {
    /// Concurrent client processes.
    pub processes: usize,
    /// Operations in total.
    pub ops: usize,
    /// Probability that an operation's outcome is unknown (`info`); its process is then
    /// replaced by a fresh one. Half of the info writes/cas take effect (at a random later
    /// time), half never do.
    pub p_info: f64,
    /// Fraction of operations that are compare-and-set (the rest: half reads, half writes).
    pub p_cas: f64,
    /// Replace the value of one read by a value that it cannot have seen, if there is one.
    pub corrupt: bool,
}

/// A history of an atomic compare-and-set register: each operation takes effect at a random
/// instant inside its interval, so the history is linearizable by construction (unless
/// `corrupt` planted a bad read). Writes write distinct values.
pub fn random_register_history(params: &RandomHistory, seed: u64) -> Result<History> {
    validate::at_least("processes", params.processes, 1)?;
    validate::probability("p_info", params.p_info)?;
    validate::probability("p_cas", params.p_cas)?;
    let mut rng = SimRng::new(seed);
    // Each op: (process, invoke time, complete time, lin time or None, kind)
    struct Op {
        process: u64,
        t_inv: f64,
        t_ret: f64,
        t_lin: Option<f64>,
        f: F,
        value: Value,
        info: bool,
        ok: bool,
    }
    let mut ops: Vec<Op> = Vec::with_capacity(params.ops);
    let mut clock = vec![0.0f64; params.processes];
    let mut proc_id: Vec<u64> = (0..params.processes as u64).collect();
    let mut next_proc = params.processes as u64;
    let mut next_value = 1i64;
    for _ in 0..params.ops {
        let p = rng.below(params.processes as u64) as usize;
        let t_inv = clock[p] + rng.exponential(1.0);
        let t_ret = t_inv + rng.exponential(0.5);
        clock[p] = t_ret;
        let u = rng.uniform();
        let (f, value) = if u < params.p_cas {
            let old = rng.below(next_value.max(1) as u64) as i64;
            next_value += 1;
            (F::Cas, Value::Pair(old, next_value - 1))
        } else if u < params.p_cas + (1.0 - params.p_cas) / 2.0 {
            (F::Read, Value::Nil)
        } else {
            next_value += 1;
            (F::Write, Value::Int(next_value - 1))
        };
        let info = rng.bernoulli(params.p_info);
        let t_lin = if info {
            if rng.bernoulli(0.5) {
                Some(t_inv + rng.exponential(0.1))
            } else {
                None
            }
        } else {
            Some(rng.uniform_range(t_inv, t_ret))
        };
        ops.push(Op { process: proc_id[p], t_inv, t_ret, t_lin, f, value, info, ok: true });
        if info {
            proc_id[p] = next_proc;
            next_proc += 1;
        }
    }
    // Apply in linearization order.
    let mut order: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].t_lin.is_some()).collect();
    order.sort_by(|&a, &b| ops[a].t_lin.unwrap_or(0.0).total_cmp(&ops[b].t_lin.unwrap_or(0.0)));
    let mut state: Option<i64> = None;
    for i in order {
        let o = &mut ops[i];
        match (o.f, o.value) {
            (F::Read, _) => o.value = Value::from(state),
            (F::Write, Value::Int(v)) => state = Some(v),
            (F::Cas, Value::Pair(old, new)) => {
                if state == Some(old) {
                    state = Some(new);
                } else {
                    o.ok = false; // a cas that did not apply fails
                }
            }
            _ => {}
        }
    }
    if params.corrupt {
        let reads: Vec<usize> =
            (0..ops.len()).filter(|&i| ops[i].f == F::Read && !ops[i].info).collect();
        if let Some(&i) = rng.index(reads.len()).map(|k| &reads[k]) {
            ops[i].value = match ops[i].value {
                Value::Int(v) => Value::Int(-v),
                _ => Value::Int(-1),
            };
        }
    }
    let mut events: Vec<(f64, u8, usize, Event)> = Vec::new();
    for (i, o) in ops.iter().enumerate() {
        let inv_value = if o.f == F::Read { Value::Nil } else { o.value };
        let ev = |kind, value, t: f64| Event {
            process: o.process,
            kind,
            f: o.f,
            value,
            key: None,
            time_ns: Some(ms_to_ns(t)),
            line: 0,
        };
        events.push((o.t_inv, 0, i, ev(EventType::Invoke, inv_value, o.t_inv)));
        let kind = match (o.info, o.ok) {
            (true, _) => EventType::Info,
            (false, true) => EventType::Ok,
            (false, false) => EventType::Fail,
        };
        events.push((o.t_ret, 1, i, ev(kind, o.value, o.t_ret)));
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let events = events
        .into_iter()
        .enumerate()
        .map(|(k, (_, _, _, mut e))| {
            e.line = k + 1;
            e
        })
        .collect();
    History::from_events(events)
}

/// The fixed corpus of the checker's benchmark: 24 histories of 200–400 operations over 5–15
/// processes, 15 % of them indeterminate (`info`), 20 % compare-and-set; every other history
/// has one corrupted read (usually making it non-linearizable).
pub fn benchmark_corpus() -> Vec<History> {
    (0..24u64)
        .map(|i| {
            let params = RandomHistory {
                processes: 5 + (i % 11) as usize,
                ops: 200 + ((i * 37) % 201) as usize,
                p_info: 0.15,
                p_cas: 0.2,
                corrupt: i % 2 == 1,
            };
            random_register_history(&params, 1000 + i).expect("valid parameters")
        })
        .collect()
}
