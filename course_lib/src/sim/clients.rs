//! Clients: the one client driver, whose operations become a Jepsen history.
//!
//! A storage protocol is judged by what its clients see. The harness runs `clients` client
//! processes against the nodes, in one of two ways ([`Arrivals`]):
//! * **closed loop** (the default): each client issues one operation at a time (a read or a
//!   write of a key), waits for the answer, thinks for a while, and issues the next, so a slow
//!   system is offered less load;
//! * **open loop** ([`Workload::open_loop`]): reads and writes arrive as Poisson processes at
//!   fixed rates whatever the answers, as traffic from many users does, so a slow system
//!   builds a queue. Each arrival is a process of its own.
//!
//! [`Workload::write_at`] and [`Workload::read_at`] add single operations at fixed times. The
//! invocations and completions, with their simulated times, form a [`History`] that the
//! checkers of [`crate::consistency`] judge (linearizability, session guarantees, stale
//! reads); the report also says which node each operation was sent to
//! ([`super::Report::sent_to`]).
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
//! The driver's random choices (read or write, which key, which node, think times, arrival
//! times) come from the experiment's [`super::Stream::Client`] streams, one per client.

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

/// How operations arrive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrivals {
    /// Closed loop (the default): each client issues [`Workload::ops_per_client`] operations
    /// one at a time, waiting for each answer and thinking [`Workload::think_ms`] before the
    /// next. The load adapts to the system: a slow store gets fewer requests.
    Closed,
    /// Open loop: writes and reads arrive as two Poisson processes, whatever the answers, as
    /// requests from a large population of users do. The rates are totals, shared evenly by
    /// the [`Workload::clients`]; each arrival is a new process in the history (so a client
    /// has many operations in flight). `ops_per_client`, `read_fraction` and `think_ms` are
    /// not used. Writes arrive from [`Workload::start_ms`] until `writes_until_ms`, reads
    /// until `until_ms`.
    Poisson {
        /// Writes per second, all clients together (≥ 0).
        writes_per_s: f64,
        /// Reads per second, all clients together (≥ 0).
        reads_per_s: f64,
        /// No read arrives at or after this time (ms).
        until_ms: f64,
        /// No write arrives at or after this time (ms); `until_ms` unless set.
        writes_until_ms: f64,
    },
}

/// One operation at a fixed time on a fixed node, beside the workload's own (e.g. "a write to
/// key 3 at 300 ms, just before a crash"); it is recorded in the history like the others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scripted {
    /// When it is invoked (ms, ≥ 0).
    pub at_ms: f64,
    /// The node it is sent to (a node id of the cluster, not an index within a shard).
    pub node: usize,
    /// The key (0 when the workload has one key).
    pub key: i64,
    /// A write (of the next unique value) or a read.
    pub write: bool,
}

/// What the clients do: how many, how many operations, which mix, how fast.
///
/// Fields are public and setters never fail; [`Workload::validate`] (run by the harness) says
/// what is wrong with a bad one.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Client processes, at least 1.
    pub clients: usize,
    /// Operations each client issues, one at a time (closed loop).
    pub ops_per_client: usize,
    /// Keys `0..keys` (1: a single register), each operation's key uniform among them.
    pub keys: u64,
    /// Probability that an operation is a read, in [0, 1] (closed loop).
    pub read_fraction: f64,
    /// Pause before each operation (ms), also before the first (closed loop).
    pub think_ms: Dist,
    /// Closed or open loop.
    pub arrivals: Arrivals,
    /// An operation with no answer this long after its invocation ends as `info` (ms, > 0).
    pub timeout_ms: f64,
    /// Which node a client talks to.
    pub target: Target,
    /// How many `NotLeader` answers one operation follows before it ends as `fail`.
    pub max_redirects: u32,
    /// Pause before retrying at the next node when a `NotLeader` answer names no leader (an
    /// election is under way), ms, ≥ 0.
    pub retry_ms: f64,
    /// The nodes clients send to, `first..end` (default: every node). A store whose clients
    /// talk to front ends (coordinators) and never to its replicas names the front ends here.
    pub entry: Option<std::ops::Range<usize>>,
    /// The entry nodes form this many equal shards (consecutive ids: shard `s` is nodes
    /// `s·n/shards .. (s+1)·n/shards`, e.g. the groups of Multi-Raft); key `k` lives in shard
    /// [`shard_of`]`(k, shards)`, and a client sends it only there. Default 1.
    pub shards: usize,
    /// When the clients start (ms, ≥ 0).
    pub start_ms: f64,
    /// Operations at fixed times, beside the workload's own.
    pub script: Vec<Scripted>,
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
            arrivals: Arrivals::Closed,
            timeout_ms: 100.0,
            target: Target::Sticky,
            max_redirects: 5,
            retry_ms: 5.0,
            entry: None,
            shards: 1,
            start_ms: 0.0,
            script: Vec::new(),
        }
    }

    /// Open-loop traffic ([`Arrivals::Poisson`]): `writes_per_s` writes and `reads_per_s`
    /// reads a second in all, from time 0 until `until_ms`, from one client that sends each
    /// operation to a node chosen uniformly at random ([`Target::Random`]); one register, 1 s
    /// timeout. Add `.keys(k)`, `.writes_until_ms(t)`, `.clients(c)`.
    ///
    /// ```
    /// use course_lib::sim::{Arrivals, Workload};
    /// let w = Workload::open_loop(200.0, 400.0, 1_000.0).keys(20).writes_until_ms(600.0);
    /// assert!(matches!(w.arrivals, Arrivals::Poisson { writes_until_ms, .. } if writes_until_ms == 600.0));
    /// assert!(w.validate(3).is_ok());
    /// assert!(Workload::open_loop(-1.0, 400.0, 1_000.0).validate(3).is_err());
    /// ```
    pub fn open_loop(writes_per_s: f64, reads_per_s: f64, until_ms: f64) -> Workload {
        Workload {
            clients: 1,
            ops_per_client: 0,
            arrivals: Arrivals::Poisson {
                writes_per_s,
                reads_per_s,
                until_ms,
                writes_until_ms: until_ms,
            },
            timeout_ms: 1_000.0,
            target: Target::Random,
            ..Workload::new(1, 0)
        }
    }

    /// Client processes (closed loop), or sources sharing the rates (open loop).
    pub fn clients(mut self, clients: usize) -> Workload {
        self.clients = clients;
        self
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

    /// Open loop: stop issuing writes at `ms` (reads go on until the end). No effect on a
    /// closed loop.
    pub fn writes_until_ms(mut self, ms: f64) -> Workload {
        if let Arrivals::Poisson { writes_until_ms, .. } = &mut self.arrivals {
            *writes_until_ms = ms;
        }
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

    /// Clients send only to nodes `nodes` (e.g. a store's coordinators).
    pub fn entry_nodes(mut self, nodes: std::ops::Range<usize>) -> Workload {
        self.entry = Some(nodes);
        self
    }

    /// Split the entry nodes into this many shards.
    pub fn shards(mut self, shards: usize) -> Workload {
        self.shards = shards;
        self
    }

    /// When clients start.
    pub fn start_ms(mut self, ms: f64) -> Workload {
        self.start_ms = ms;
        self
    }

    /// One more operation: a write of `key` (its value the next unique one) at `at_ms`, sent
    /// to node `node`.
    pub fn write_at(mut self, at_ms: f64, node: usize, key: i64) -> Workload {
        self.script.push(Scripted { at_ms, node, key, write: true });
        self
    }

    /// One more operation: a read of `key` at `at_ms`, sent to node `node`.
    pub fn read_at(mut self, at_ms: f64, node: usize, key: i64) -> Workload {
        self.script.push(Scripted { at_ms, node, key, write: false });
        self
    }

    /// The nodes clients send to in a cluster of `nodes` nodes.
    fn entry_range(&self, nodes: usize) -> std::ops::Range<usize> {
        self.entry.clone().unwrap_or(0..nodes)
    }

    /// Checks every field for a cluster of `nodes` nodes, naming the first bad one.
    pub fn validate(&self, nodes: usize) -> Result<()> {
        validate::at_least("clients", self.clients, 1)?;
        validate::at_least("keys", self.keys as usize, 1)?;
        validate::probability("read_fraction", self.read_fraction)?;
        validate::positive("timeout_ms", self.timeout_ms)?;
        validate::non_negative("start_ms", self.start_ms)?;
        validate::finite("start_ms", self.start_ms)?;
        validate::non_negative("retry_ms", self.retry_ms)?;
        validate::finite("retry_ms", self.retry_ms)?;
        self.think_ms.check()?;
        if let Arrivals::Poisson { writes_per_s, reads_per_s, until_ms, writes_until_ms } =
            self.arrivals
        {
            for (name, v) in [
                ("writes_per_s", writes_per_s),
                ("reads_per_s", reads_per_s),
                ("until_ms", until_ms),
                ("writes_until_ms", writes_until_ms),
            ] {
                validate::non_negative(name, v)?;
                validate::finite(name, v)?;
            }
        }
        let entry = self.entry_range(nodes);
        if entry.is_empty() || entry.end > nodes {
            return Err(Error::out_of_range(
                "entry nodes",
                format!("{}..{}", entry.start, entry.end),
                format!("must be a non-empty range of the {nodes} nodes, within 0..{nodes}"),
            ));
        }
        validate::at_least("shards", self.shards, 1)?;
        if entry.len() % self.shards != 0 {
            return Err(Error::out_of_range(
                "shards",
                self.shards,
                format!("must divide the {} entry nodes into equal groups", entry.len()),
            ));
        }
        let size = entry.len() / self.shards;
        if let Target::Node(i) = self.target {
            if i >= size {
                return Err(Error::UnknownNode {
                    node: i,
                    cluster_size: size,
                    context: "Workload::target".to_string(),
                });
            }
        }
        for s in &self.script {
            validate::non_negative("scripted at_ms", s.at_ms)?;
            validate::finite("scripted at_ms", s.at_ms)?;
            if s.node >= nodes {
                return Err(Error::UnknownNode {
                    node: s.node,
                    cluster_size: nodes,
                    context: "Workload::write_at / read_at".to_string(),
                });
            }
            if s.key < 0 || s.key as u64 >= self.keys {
                return Err(Error::out_of_range(
                    "scripted key",
                    s.key,
                    format!("must be a key of the workload, 0..{}", self.keys),
                ));
            }
        }
        Ok(())
    }
}

/// One operation in progress.
#[derive(Clone, Copy, Debug)]
struct Op {
    /// Its process in the history.
    process: u64,
    request: KvRequest,
    /// The request id of the attempt in flight (a redirect makes a new attempt).
    attempt: RequestId,
    deadline: Time,
    redirects: u32,
    node: usize,
}

/// Where a client's operations come from.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// Closed loop: the next operation is invoked at `next_at` (none in flight, some left).
    Closed { next_at: Option<Time> },
    /// Open loop: the next write and the next read arrive at these times.
    Open { next_write: Option<Time>, next_read: Option<Time> },
    /// One scripted operation, invoked at `at` unless done.
    Script { at: Option<Time>, s: Scripted },
}

#[derive(Clone, Debug)]
struct Client {
    rng: SimRng,
    left: usize,
    /// The process of this client's next operation.
    process: u64,
    source: Source,
    /// Per shard, the node (index within the shard) the client talks to first.
    home: Vec<usize>,
    /// Operations in flight (at most one in a closed loop).
    ops: Vec<Op>,
}

/// The driver: runs the workload against a simulation and records the history.
pub(crate) struct ClientDriver {
    workload: Workload,
    /// First entry node.
    first: usize,
    /// Entry nodes per shard.
    size: usize,
    /// Clients, scripted operations included (process ids step by this).
    stride: u64,
    clients: Vec<Client>,
    next_value: i64,
    events: Vec<Event>,
    /// The node each operation (in invocation order) was first sent to.
    sent_to: Vec<usize>,
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
        let entry = workload.entry_range(nodes);
        let size = entry.len() / workload.shards;
        let start = Time::from_ms(workload.start_ms);
        let own = workload.clients;
        let mut clients: Vec<Client> = (0..own)
            .map(|c| Client {
                rng: Stream::Client(c).rng(seed),
                left: workload.ops_per_client,
                process: c as u64,
                source: Source::Closed { next_at: None },
                home: vec![c % size; workload.shards],
                ops: Vec::new(),
            })
            .collect();
        for (i, s) in workload.script.iter().enumerate() {
            clients.push(Client {
                rng: Stream::Client(own + i).rng(seed),
                left: 1,
                process: (own + i) as u64,
                source: Source::Script { at: Some(Time::from_ms(s.at_ms)), s: *s },
                home: Vec::new(),
                ops: Vec::new(),
            });
        }
        let mut d = ClientDriver {
            workload: workload.clone(),
            first: entry.start,
            size,
            stride: clients.len() as u64,
            clients,
            next_value: 1,
            events: Vec::new(),
            sent_to: Vec::new(),
            seen: 0,
            redirects: 0,
            wakeup: None,
        };
        for c in 0..own {
            match workload.arrivals {
                Arrivals::Closed => d.schedule_next(c, start),
                Arrivals::Poisson { writes_per_s, reads_per_s, until_ms, writes_until_ms } => {
                    let share = own as f64;
                    let rng = &mut d.clients[c].rng;
                    let next_write =
                        next_arrival(rng, start, writes_per_s / share, writes_until_ms);
                    let next_read = next_arrival(rng, start, reads_per_s / share, until_ms);
                    d.clients[c].source = Source::Open { next_write, next_read };
                }
            }
        }
        d.refresh();
        Ok(d)
    }

    fn schedule_next(&mut self, c: usize, from: Time) {
        let client = &mut self.clients[c];
        if let Source::Closed { next_at } = &mut client.source {
            *next_at = if client.left > 0 {
                Some(from.plus_ms(self.workload.think_ms.sample_delay(&mut client.rng)))
            } else {
                None
            };
        }
    }

    /// The earliest time the driver must act (an invocation or a deadline).
    pub(crate) fn next_wakeup(&self) -> Option<Time> {
        self.wakeup
    }

    fn refresh(&mut self) {
        self.wakeup = self
            .clients
            .iter()
            .filter_map(|c| {
                let deadline = c.ops.iter().map(|op| op.deadline).min();
                match c.source {
                    Source::Closed { next_at } => deadline.or(next_at),
                    Source::Script { at, .. } => deadline.or(at),
                    Source::Open { next_write, next_read } => {
                        [deadline, next_write, next_read].into_iter().flatten().min()
                    }
                }
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
            while let Some(j) = self.clients[c].ops.iter().position(|op| op.deadline <= now) {
                self.end(c, j, EventType::Info, Value::Nil, now);
            }
            match self.clients[c].source {
                Source::Closed { next_at } => {
                    if self.clients[c].ops.is_empty() && next_at.is_some_and(|t| t <= now) {
                        self.clients[c].source = Source::Closed { next_at: None };
                        self.clients[c].left -= 1;
                        self.invoke(sim, c, None)?;
                    }
                }
                Source::Script { at, s } => {
                    if at.is_some_and(|t| t <= now) {
                        self.clients[c].source = Source::Script { at: None, s };
                        self.clients[c].left = 0;
                        self.invoke(sim, c, Some((s.write, s.key, s.node)))?;
                    }
                }
                Source::Open { .. } => self.arrive(sim, c, now)?,
            }
        }
        self.refresh();
        Ok(())
    }

    /// Open loop: invoke every arrival of client `c` due by `now`, drawing the next ones.
    fn arrive<N>(&mut self, sim: &mut Simulation<N>, c: usize, now: Time) -> Result<()>
    where
        N: Node<Request = KvRequest, Response = KvResponse>,
    {
        let Arrivals::Poisson { writes_per_s, reads_per_s, until_ms, writes_until_ms } =
            self.workload.arrivals
        else {
            return Ok(());
        };
        let share = self.workload.clients as f64;
        loop {
            let Source::Open { next_write, next_read } = self.clients[c].source else {
                return Ok(());
            };
            // the earlier arrival first (a write on a tie)
            let write = match (next_write, next_read) {
                (Some(w), Some(r)) => w <= r,
                (Some(_), None) => true,
                _ => false,
            };
            let at = if write { next_write } else { next_read };
            if !at.is_some_and(|t| t <= now) {
                return Ok(());
            }
            let at = at.expect("checked above");
            let key = self.draw_key(c);
            self.invoke(sim, c, Some((write, key, usize::MAX)))?;
            let rng = &mut self.clients[c].rng;
            self.clients[c].source = if write {
                let next = next_arrival(rng, at, writes_per_s / share, writes_until_ms);
                Source::Open { next_write: next, next_read }
            } else {
                let next = next_arrival(rng, at, reads_per_s / share, until_ms);
                Source::Open { next_write, next_read: next }
            };
        }
    }

    fn draw_key(&mut self, c: usize) -> i64 {
        let keys = self.workload.keys;
        if keys > 1 {
            self.clients[c].rng.below(keys) as i64
        } else {
            0
        }
    }

    /// Invoke an operation of client `c` now. `fixed`: (write, key, node) decided by the
    /// caller (`node == usize::MAX`: chosen by the target); `None`: a closed-loop operation
    /// whose kind and key are drawn here.
    fn invoke<N>(
        &mut self,
        sim: &mut Simulation<N>,
        c: usize,
        fixed: Option<(bool, i64, usize)>,
    ) -> Result<()>
    where
        N: Node<Request = KvRequest, Response = KvResponse>,
    {
        let now = sim.now();
        let (write, key, node) = match fixed {
            Some(f) => f,
            None => {
                let read = self.clients[c].rng.bernoulli(self.workload.read_fraction);
                let key = self.draw_key(c);
                (!read, key, usize::MAX)
            }
        };
        let w = &self.workload;
        let node = if node != usize::MAX {
            node
        } else {
            let client = &mut self.clients[c];
            let shard = shard_of(key, w.shards);
            self.first
                + shard * self.size
                + match w.target {
                    Target::Sticky | Target::Leader => client.home[shard],
                    Target::Random => client.rng.below(self.size as u64) as usize,
                    Target::Node(i) => i,
                }
        };
        let request = if write {
            let value = self.next_value;
            self.next_value += 1;
            KvRequest::Put { key, value }
        } else {
            KvRequest::Get { key }
        };
        let process = self.clients[c].process;
        if matches!(self.clients[c].source, Source::Open { .. }) {
            // every arrival is a process of its own
            self.clients[c].process += self.stride;
        }
        let attempt = sim.request_at(now.as_ms(), node, request)?;
        let deadline = now.plus_ms(w.timeout_ms);
        self.clients[c].ops.push(Op { process, request, attempt, deadline, redirects: 0, node });
        self.sent_to.push(node);
        let (f, value) = match request {
            KvRequest::Get { .. } => (F::Read, Value::Nil),
            KvRequest::Put { value, .. } => (F::Write, Value::Int(value)),
        };
        self.record(process, EventType::Invoke, f, value, key, now);
        Ok(())
    }

    /// The shard of entry node `node`, if it is one.
    fn shard_of_node(&self, node: usize) -> Option<usize> {
        (node >= self.first && node < self.first + self.size * self.workload.shards)
            .then(|| (node - self.first) / self.size)
    }

    fn end(&mut self, c: usize, j: usize, kind: EventType, value: Value, at: Time) {
        let op = self.clients[c].ops.remove(j);
        if self.workload.target == Target::Leader {
            if let Some(shard) = self.shard_of_node(op.node) {
                let offset = (op.node - self.first) % self.size;
                // stay with the node that answered; after a timeout, try the next one
                self.clients[c].home[shard] =
                    if kind == EventType::Info { (offset + 1) % self.size } else { offset };
            }
        }
        let f = match op.request {
            KvRequest::Get { .. } => F::Read,
            KvRequest::Put { .. } => F::Write,
        };
        self.record(op.process, kind, f, value, op.request.key(), at);
        if kind == EventType::Info && matches!(self.clients[c].source, Source::Closed { .. }) {
            // the old process may still have the operation in flight: continue as a new one
            self.clients[c].process += self.stride;
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
            let Some((c, j)) =
                self.clients.iter().enumerate().find_map(|(c, cl)| {
                    cl.ops.iter().position(|op| op.attempt == id).map(|j| (c, j))
                })
            else {
                continue; // an answer to an attempt that already timed out or was redirected
            };
            let op = self.clients[c].ops[j];
            match response {
                KvResponse::Value(v) => self.end(c, j, EventType::Ok, v.into(), at),
                KvResponse::Written => {
                    let value = match op.request {
                        KvRequest::Put { value, .. } => Value::Int(value),
                        KvRequest::Get { .. } => Value::Nil,
                    };
                    self.end(c, j, EventType::Ok, value, at)
                }
                KvResponse::Failed => self.end(c, j, EventType::Fail, Value::Nil, at),
                KvResponse::Unknown => self.end(c, j, EventType::Info, Value::Nil, at),
                KvResponse::NotLeader(hint) => {
                    if op.redirects >= self.workload.max_redirects {
                        self.end(c, j, EventType::Fail, Value::Nil, at);
                        continue;
                    }
                    let Some(shard) = self.shard_of_node(op.node) else {
                        // a scripted operation outside the entry nodes: no shard to try
                        self.end(c, j, EventType::Fail, Value::Nil, at);
                        continue;
                    };
                    self.redirects += 1;
                    let base = self.first + shard * self.size;
                    let (node, when) = match hint {
                        // the hinted node, if it serves this shard: at once
                        Some(h) if self.shard_of_node(h.0) == Some(shard) && h.0 != op.node => {
                            (h.0, at.as_ms())
                        }
                        // no leader known: the next node of the shard, after a pause
                        _ => (
                            base + (op.node - base + 1) % self.size,
                            at.as_ms() + self.workload.retry_ms,
                        ),
                    };
                    let attempt = sim.request_at(when, node, op.request)?;
                    let op = &mut self.clients[c].ops[j];
                    op.redirects += 1;
                    op.node = node;
                    op.attempt = attempt;
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

    /// The node each operation of the history was first sent to.
    pub(crate) fn sent_to(&self) -> &[usize] {
        &self.sent_to
    }
}

/// The next arrival of a Poisson process of `per_s` a second after `from`, if before `until_ms`.
fn next_arrival(rng: &mut SimRng, from: Time, per_s: f64, until_ms: f64) -> Option<Time> {
    if per_s <= 0.0 {
        return None;
    }
    let t = from.as_ms() + rng.exponential(per_s / 1_000.0);
    (t < until_ms).then(|| Time::from_ms(t))
}
