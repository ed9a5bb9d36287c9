//! Closed-loop clients: the one client driver, whose operations become a Jepsen history.
//!
//! A storage protocol is judged by what its clients see. The harness runs `clients` client
//! processes against the nodes: each issues one operation at a time (a read or a write of a
//! key), waits for the answer, thinks for a while, and issues the next; the invocations and
//! completions, with their simulated times, form a [`History`] that the checkers of
//! [`crate::consistency`] judge (linearizability, session guarantees, stale reads).
//!
//! Every node that serves clients speaks the same language: a [`KvRequest`] in, a
//! [`KvResponse`] out. A follower that cannot serve answers [`KvResponse::NotLeader`] with a
//! hint, and the client retries the *same* operation there (a redirect is part of one
//! operation, not a new one; with no hint, at the next node after [`Workload::retry_ms`]); a node that knows the operation did not happen answers
//! [`KvResponse::Failed`]; one that gave up without knowing answers [`KvResponse::Unknown`].
//!
//! **How an operation ends in the history** (Jepsen's three outcomes):
//! * `ok`: the client got `Value` (for a read) or `Written` (for a write);
//! * `fail`: the operation certainly did not take effect (`Failed`, or every redirect was
//!   refused: `NotLeader` more than [`Workload::max_redirects`] times);
//! * `info`: the outcome is unknown: no answer within [`Workload::timeout_ms`] of the
//!   invocation, or `Unknown`. The process that issued it may still have it in flight, so the
//!   client continues as a *new* process (process ids `c`, `c + clients`, `c + 2·clients`, …).
//!
//! Written values are unique: the k-th write of the run writes `k` (1, 2, 3, … in invocation
//! order), assigned when the write is *invoked*, so a value never claims to be newer than a
//! write that was invoked after it.
//!
//! The driver's random choices (read or write, which key, which node, think times) come from
//! the experiment's [`super::Stream::Client`] streams, one per client.

use std::fmt;

use super::time::{NodeId, RequestId, Time};
use super::{Node, Simulation, Stream};
use crate::consistency::{Event, EventType, History, Value, F};
use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::rng::SimRng;

/// A client's request to a key-value node. Keys are small integers; a single register is key 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvRequest {
    /// Read `key`.
    Get {
        /// The key.
        key: i64,
    },
    /// Write `value` to `key`.
    Put {
        /// The key.
        key: i64,
        /// The value (unique in a run: see the module docs).
        value: i64,
    },
}

impl KvRequest {
    /// The key this request is about.
    pub fn key(&self) -> i64 {
        match *self {
            KvRequest::Get { key } | KvRequest::Put { key, .. } => key,
        }
    }
}

impl fmt::Display for KvRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvRequest::Get { key } => write!(f, "get k{key}"),
            KvRequest::Put { key, value } => write!(f, "put k{key}={value}"),
        }
    }
}

/// A key-value node's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KvResponse {
    /// The value read (`None`: the key was never written).
    Value(Option<i64>),
    /// The write took effect.
    Written,
    /// This node cannot serve the request; the leader may be the hinted node.
    NotLeader(Option<NodeId>),
    /// The request certainly did not take effect.
    Failed,
    /// The node gave up without knowing whether it took effect (e.g. a quorum did not answer
    /// in time).
    Unknown,
}

/// Which node a client sends each operation to (within the key's shard, see
/// [`Workload::shards`]; with one shard, among all nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Client `c` always starts at node `c mod n` (a sticky session).
    Sticky,
    /// Each operation starts at a node chosen uniformly at random.
    Random,
    /// Every client starts at this node (its index within the shard).
    Node(usize),
    /// A client of a leader-based store: it starts at node `c mod n` and then talks to the
    /// node that last answered it, so after one redirect it stays with the leader; after a
    /// timeout it tries the next node.
    Leader,
}

/// The shard of `key` when the nodes are split into `shards` groups: a multiplicative
/// (Fibonacci) hash of the key, so consecutive keys spread over the shards.
pub fn shard_of(key: i64, shards: usize) -> usize {
    let h = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    (h % shards.max(1) as u64) as usize
}

/// What the clients do: how many, how many operations, which mix, how fast.
///
/// Fields are public and setters never fail; [`Workload::validate`] (run by the harness) says
/// what is wrong with a bad one.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Client processes, at least 1.
    pub clients: usize,
    /// Operations each client issues, one at a time.
    pub ops_per_client: usize,
    /// Keys `0..keys` (1: a single register), each operation's key uniform among them.
    pub keys: u64,
    /// Probability that an operation is a read, in [0, 1].
    pub read_fraction: f64,
    /// Pause before each operation (ms), also before the first.
    pub think_ms: Dist,
    /// An operation with no answer this long after its invocation ends as `info` (ms, > 0).
    pub timeout_ms: f64,
    /// Which node a client talks to.
    pub target: Target,
    /// How many `NotLeader` answers one operation follows before it ends as `fail`.
    pub max_redirects: u32,
    /// Pause before retrying at the next node when a `NotLeader` answer names no leader (an
    /// election is under way), ms, ≥ 0.
    pub retry_ms: f64,
    /// The nodes form this many equal shards (consecutive ids: shard `s` is nodes
    /// `s·n/shards .. (s+1)·n/shards`, e.g. the groups of Multi-Raft); key `k` lives in shard
    /// [`shard_of`]`(k, shards)`, and a client sends it only there. Default 1.
    pub shards: usize,
    /// When the clients start (ms, ≥ 0).
    pub start_ms: f64,
}

impl Workload {
    /// `clients` clients doing `ops_per_client` operations each on one register (key 0): half
    /// reads, ~2 ms think time (exponential), 100 ms timeout, sticky sessions, up to 5
    /// redirects per operation (5 ms pause when no leader is named), one shard, starting at
    /// time 0.
    pub fn new(clients: usize, ops_per_client: usize) -> Workload {
        Workload {
            clients,
            ops_per_client,
            keys: 1,
            read_fraction: 0.5,
            think_ms: Dist::Exponential { rate: 0.5 },
            timeout_ms: 100.0,
            target: Target::Sticky,
            max_redirects: 5,
            retry_ms: 5.0,
            shards: 1,
            start_ms: 0.0,
        }
    }

    /// Keys `0..keys`.
    pub fn keys(mut self, keys: u64) -> Workload {
        self.keys = keys;
        self
    }

    /// The share of reads.
    pub fn read_fraction(mut self, p: f64) -> Workload {
        self.read_fraction = p;
        self
    }

    /// The think time before each operation.
    pub fn think_ms(mut self, think: Dist) -> Workload {
        self.think_ms = think;
        self
    }

    /// The per-operation timeout.
    pub fn timeout_ms(mut self, ms: f64) -> Workload {
        self.timeout_ms = ms;
        self
    }

    /// Which node clients talk to.
    pub fn target(mut self, target: Target) -> Workload {
        self.target = target;
        self
    }

    /// Redirects followed per operation.
    pub fn max_redirects(mut self, k: u32) -> Workload {
        self.max_redirects = k;
        self
    }

    /// The pause before retrying when no leader is named.
    pub fn retry_ms(mut self, ms: f64) -> Workload {
        self.retry_ms = ms;
        self
    }

    /// Split the nodes into this many shards.
    pub fn shards(mut self, shards: usize) -> Workload {
        self.shards = shards;
        self
    }

    /// When clients start.
    pub fn start_ms(mut self, ms: f64) -> Workload {
        self.start_ms = ms;
        self
    }

    /// Checks every field for a cluster of `nodes` nodes, naming the first bad one.
    pub fn validate(&self, nodes: usize) -> Result<()> {
        validate::at_least("clients", self.clients, 1)?;
        validate::at_least("keys", self.keys as usize, 1)?;
        validate::probability("read_fraction", self.read_fraction)?;
        validate::positive("timeout_ms", self.timeout_ms)?;
        validate::non_negative("start_ms", self.start_ms)?;
        validate::non_negative("retry_ms", self.retry_ms)?;
        validate::finite("retry_ms", self.retry_ms)?;
        self.think_ms.check()?;
        validate::at_least("shards", self.shards, 1)?;
        if nodes % self.shards != 0 {
            return Err(Error::out_of_range(
                "shards",
                self.shards,
                format!("must divide the {nodes} nodes into equal groups"),
            ));
        }
        let size = nodes / self.shards;
        if let Target::Node(i) = self.target {
            if i >= size {
                return Err(Error::UnknownNode {
                    node: i,
                    cluster_size: size,
                    context: "Workload::target".to_string(),
                });
            }
        }
        Ok(())
    }
}

/// One operation in progress.
#[derive(Clone, Copy, Debug)]
struct Op {
    request: KvRequest,
    /// The request id of the attempt in flight (a redirect makes a new attempt).
    attempt: RequestId,
    deadline: Time,
    redirects: u32,
    node: usize,
}

#[derive(Clone, Debug)]
struct Client {
    rng: SimRng,
    left: usize,
    process: u64,
    /// When the next operation is invoked (if none is in flight and some are left).
    next_at: Option<Time>,
    /// Per shard, the node (index within the shard) the client talks to first.
    home: Vec<usize>,
    op: Option<Op>,
}

/// The driver: runs the workload against a simulation and records the history.
pub(crate) struct ClientDriver {
    workload: Workload,
    /// Nodes per shard.
    size: usize,
    clients: Vec<Client>,
    next_value: i64,
    events: Vec<Event>,
    /// How many of the simulation's answers have been seen.
    seen: usize,
    /// Redirects followed, in all (a redirect is not an operation).
    pub(crate) redirects: u64,
    /// The earliest time the driver must act, recomputed whenever a client's state changes
    /// (the run loop asks after every event).
    wakeup: Option<Time>,
}

impl ClientDriver {
    pub(crate) fn new(workload: &Workload, seed: u64, nodes: usize) -> Result<ClientDriver> {
        workload.validate(nodes)?;
        let size = nodes / workload.shards;
        let clients = (0..workload.clients)
            .map(|c| Client {
                rng: Stream::Client(c).rng(seed),
                left: workload.ops_per_client,
                process: c as u64,
                next_at: None,
                home: vec![c % size; workload.shards],
                op: None,
            })
            .collect();
        let mut d = ClientDriver {
            workload: workload.clone(),
            size,
            clients,
            next_value: 1,
            events: Vec::new(),
            seen: 0,
            redirects: 0,
            wakeup: None,
        };
        let start = Time::from_ms(workload.start_ms);
        for c in 0..d.clients.len() {
            d.schedule_next(c, start);
        }
        d.refresh();
        Ok(d)
    }

    fn schedule_next(&mut self, c: usize, from: Time) {
        let client = &mut self.clients[c];
        client.next_at = if client.left > 0 {
            Some(from.plus_ms(self.workload.think_ms.sample_delay(&mut client.rng)))
        } else {
            None
        };
    }

    /// The earliest time the driver must act (an invocation or a deadline).
    pub(crate) fn next_wakeup(&self) -> Option<Time> {
        self.wakeup
    }

    fn refresh(&mut self) {
        self.wakeup = self
            .clients
            .iter()
            .filter_map(|c| match c.op {
                Some(op) => Some(op.deadline),
                None => c.next_at,
            })
            .min();
    }

    fn record(&mut self, process: u64, kind: EventType, f: F, value: Value, key: i64, at: Time) {
        let line = self.events.len() + 1;
        self.events.push(Event {
            process,
            kind,
            f,
            value,
            key: (self.workload.keys > 1).then_some(key),
            time_ns: Some(at.as_nanos() as i64),
            line,
        });
    }

    /// Act at the simulation's current time: time out operations, invoke new ones.
    pub(crate) fn wake<N>(&mut self, sim: &mut Simulation<N>) -> Result<()>
    where
        N: Node<Request = KvRequest, Response = KvResponse>,
    {
        let now = sim.now();
        for c in 0..self.clients.len() {
            if let Some(op) = self.clients[c].op {
                if op.deadline <= now {
                    self.end(c, EventType::Info, Value::Nil, op, now);
                }
            }
            if self.clients[c].op.is_none() && self.clients[c].next_at.is_some_and(|t| t <= now) {
                self.invoke(sim, c)?;
            }
        }
        self.refresh();
        Ok(())
    }

    fn invoke<N>(&mut self, sim: &mut Simulation<N>, c: usize) -> Result<()>
    where
        N: Node<Request = KvRequest, Response = KvResponse>,
    {
        let now = sim.now();
        let w = &self.workload;
        let client = &mut self.clients[c];
        client.next_at = None;
        client.left -= 1;
        let read = client.rng.bernoulli(w.read_fraction);
        let key = if w.keys > 1 { client.rng.below(w.keys) as i64 } else { 0 };
        let shard = shard_of(key, w.shards);
        let node = shard * self.size
            + match w.target {
                Target::Sticky | Target::Leader => client.home[shard],
                Target::Random => client.rng.below(self.size as u64) as usize,
                Target::Node(i) => i,
            };
        let request = if read {
            KvRequest::Get { key }
        } else {
            let value = self.next_value;
            self.next_value += 1;
            KvRequest::Put { key, value }
        };
        let process = client.process;
        let attempt = sim.request_at(now.as_ms(), node, request)?;
        let deadline = now.plus_ms(w.timeout_ms);
        self.clients[c].op = Some(Op { request, attempt, deadline, redirects: 0, node });
        let (f, value) = match request {
            KvRequest::Get { .. } => (F::Read, Value::Nil),
            KvRequest::Put { value, .. } => (F::Write, Value::Int(value)),
        };
        self.record(process, EventType::Invoke, f, value, key, now);
        Ok(())
    }

    fn end(&mut self, c: usize, kind: EventType, value: Value, op: Op, at: Time) {
        if self.workload.target == Target::Leader {
            let shard = op.node / self.size;
            let offset = op.node % self.size;
            // stay with the node that answered; after a timeout, try the next one
            self.clients[c].home[shard] =
                if kind == EventType::Info { (offset + 1) % self.size } else { offset };
        }
        let f = match op.request {
            KvRequest::Get { .. } => F::Read,
            KvRequest::Put { .. } => F::Write,
        };
        let process = self.clients[c].process;
        self.record(process, kind, f, value, op.request.key(), at);
        self.clients[c].op = None;
        if kind == EventType::Info {
            // the old process may still have the operation in flight: continue as a new one
            self.clients[c].process += self.workload.clients as u64;
        }
        self.schedule_next(c, at);
    }

    /// Read the answers the simulation recorded since the last call.
    pub(crate) fn observe<N>(&mut self, sim: &mut Simulation<N>) -> Result<()>
    where
        N: Node<Request = KvRequest, Response = KvResponse>,
    {
        if self.seen == sim.answered().len() {
            return Ok(());
        }
        while self.seen < sim.answered().len() {
            let a = &sim.answered()[self.seen];
            let (id, response, at) = (a.id, a.response, a.answered);
            self.seen += 1;
            let Some(c) =
                self.clients.iter().position(|cl| cl.op.is_some_and(|op| op.attempt == id))
            else {
                continue; // an answer to an attempt that already timed out or was redirected
            };
            let mut op = self.clients[c].op.expect("matched above");
            match response {
                KvResponse::Value(v) => self.end(c, EventType::Ok, v.into(), op, at),
                KvResponse::Written => {
                    let value = match op.request {
                        KvRequest::Put { value, .. } => Value::Int(value),
                        KvRequest::Get { .. } => Value::Nil,
                    };
                    self.end(c, EventType::Ok, value, op, at)
                }
                KvResponse::Failed => self.end(c, EventType::Fail, Value::Nil, op, at),
                KvResponse::Unknown => self.end(c, EventType::Info, Value::Nil, op, at),
                KvResponse::NotLeader(hint) => {
                    if op.redirects >= self.workload.max_redirects {
                        self.end(c, EventType::Fail, Value::Nil, op, at);
                        continue;
                    }
                    self.redirects += 1;
                    op.redirects += 1;
                    let base = op.node - op.node % self.size;
                    let (node, when) = match hint {
                        // the hinted node, if it serves this shard: at once
                        Some(h) if h.0 / self.size == op.node / self.size && h.0 != op.node => {
                            (h.0, at.as_ms())
                        }
                        // no leader known: the next node of the shard, after a pause
                        _ => (
                            base + (op.node - base + 1) % self.size,
                            at.as_ms() + self.workload.retry_ms,
                        ),
                    };
                    op.node = node;
                    op.attempt = sim.request_at(when, op.node, op.request)?;
                    self.clients[c].op = Some(op);
                }
            }
        }
        self.refresh();
        Ok(())
    }

    /// The history so far (operations still in flight have no completion: unknown outcome).
    pub(crate) fn history(&self) -> Result<History> {
        History::from_events(self.events.clone())
    }
}
