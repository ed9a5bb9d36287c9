//! Small ready-made nodes: for first experiments, tests and benchmarks.
//!
//! * [`PingPong`]: `n0` pings `n1` and waits for the pong, retrying after a timeout — the
//!   smallest protocol that has to cope with loss.
//! * [`Relay`]: every node forwards each "ball" it receives to a random other node — a
//!   steady message load for benchmarks and determinism tests.
//! * [`Gossip`]: a rumour spreads by flooding: a node that first hears it tells everyone.
//! * [`PrimaryKv`]: a primary-backup key-value store with a planted bug ([`KvBug`]): the
//!   smallest protocol that serves the harness's clients.

use super::{Ctx, KvRequest, KvResponse, Node, NodeId, RequestId};

/// Messages of [`PingPong`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ping {
    /// Ping number `k`.
    Ping(u32),
    /// Answer to ping number `k`.
    Pong(u32),
}

/// `n0` sends `Ping(k)` to `n1`, waits for `Pong(k)`, then sends the next; if no pong comes
/// within `timeout_ms` it sends `Ping(k)` again. `n1` answers every ping.
#[derive(Clone, Debug)]
pub struct PingPong {
    rounds: u32,
    timeout_ms: f64,
    next: u32,
    completed: u32,
    retries: u32,
    pongs_received: u32,
}

impl PingPong {
    /// A two-node cluster that plays `rounds` rounds with a 20 ms retry timeout.
    pub fn pair(rounds: u32) -> Vec<PingPong> {
        Self::pair_with_timeout(rounds, 20.0)
    }

    /// A two-node cluster with the given retry timeout (ms; values ≤ 0 are treated as 0).
    pub fn pair_with_timeout(rounds: u32, timeout_ms: f64) -> Vec<PingPong> {
        let node = PingPong {
            rounds,
            timeout_ms: timeout_ms.max(0.0),
            next: 0,
            completed: 0,
            retries: 0,
            pongs_received: 0,
        };
        vec![node.clone(), node]
    }

    /// Rounds completed (pong received) by the pinger.
    pub fn completed(&self) -> u32 {
        self.completed
    }

    /// Pings sent again after a timeout.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Pongs received, including duplicates and late answers to retried pings.
    pub fn pongs_received(&self) -> u32 {
        self.pongs_received
    }
}

impl Node for PingPong {
    type Msg = Ping;
    type Timer = u32;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if ctx.id() == NodeId(0) && self.next < self.rounds {
            ctx.send(NodeId(1), Ping::Ping(self.next));
            ctx.set_timer(self.timeout_ms, self.next);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Ping) {
        match msg {
            Ping::Ping(k) => ctx.send(from, Ping::Pong(k)),
            Ping::Pong(k) => {
                self.pongs_received += 1;
                if k == self.next {
                    self.completed += 1;
                    self.next += 1;
                    if self.next < self.rounds {
                        ctx.send(from, Ping::Ping(self.next));
                        ctx.set_timer(self.timeout_ms, self.next);
                    }
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, k: u32) {
        if k == self.next && self.next < self.rounds {
            self.retries += 1;
            ctx.send(NodeId(1), Ping::Ping(k));
            ctx.set_timer(self.timeout_ms, k);
        }
    }

    /// Everything is volatile except the configuration: a restarted pinger starts over.
    fn restarted(&self) -> Self {
        PingPong { next: 0, completed: 0, retries: 0, pongs_received: 0, ..self.clone() }
    }
}

/// A node that forwards every ball to a uniformly random other node. `balls` balls start at
/// each node; they bounce forever, so run with a time limit.
#[derive(Clone, Debug)]
pub struct Relay {
    balls: u32,
    /// Balls this node has received since it (re)started.
    pub received: u64,
}

impl Relay {
    /// `n` relay nodes each starting `balls` balls.
    pub fn cluster(n: usize, balls: u32) -> Vec<Relay> {
        vec![Relay { balls, received: 0 }; n]
    }
}

impl Node for Relay {
    type Msg = u64;
    type Timer = ();
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        let n = ctx.cluster_size();
        if n < 2 {
            return;
        }
        for b in 0..self.balls {
            let to = pick_other(ctx, n);
            ctx.send(to, b as u64);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, _from: NodeId, hops: u64) {
        self.received += 1;
        let n = ctx.cluster_size();
        let to = pick_other(ctx, n);
        ctx.send(to, hops + 1);
    }

    fn restarted(&self) -> Self {
        Relay { balls: self.balls, received: 0 }
    }
}

fn pick_other<N: Node>(ctx: &mut Ctx<N>, n: usize) -> NodeId {
    let me = ctx.id().0;
    let k = ctx.rng().below(n as u64 - 1) as usize;
    NodeId(if k >= me { k + 1 } else { k })
}

/// Flooding broadcast: a client request `r` hands a rumour to a node; every node that hears
/// a rumour for the first time forwards it to all others. The node that received the request
/// answers it with the number of nodes it knows have the rumour once all have acknowledged.
#[derive(Clone, Debug, Default)]
pub struct Gossip {
    /// Rumours this node knows (durable: survives a crash).
    pub known: Vec<u64>,
}

/// Messages of [`Gossip`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rumour(pub u64);

impl Gossip {
    /// `n` gossip nodes knowing nothing.
    pub fn cluster(n: usize) -> Vec<Gossip> {
        vec![Gossip::default(); n]
    }
}

impl Node for Gossip {
    type Msg = Rumour;
    type Timer = ();
    type Request = u64;
    type Response = ();

    fn on_message(&mut self, ctx: &mut Ctx<Self>, _from: NodeId, Rumour(r): Rumour) {
        if !self.known.contains(&r) {
            self.known.push(r);
            ctx.broadcast(Rumour(r));
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, r: u64) {
        if !self.known.contains(&r) {
            self.known.push(r);
            ctx.broadcast(Rumour(r));
        }
        ctx.respond(id, ());
    }

    fn restarted(&self) -> Self {
        self.clone()
    }
}

/// Planted bugs of [`PrimaryKv`] (a [`super::Bugs`] set of them; the default has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KvBug {
    /// Backups answer reads from their own copy instead of redirecting to the primary. A
    /// backup that has not yet received a completed write returns the old value: a stale read
    /// the linearizability checker catches.
    BackupReads,
}

/// Messages of [`PrimaryKv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvMsg {
    /// The primary's write number `op`, to be applied by a backup.
    Replicate {
        /// The primary's sequence number of the write.
        op: u64,
        /// The key.
        key: i64,
        /// The value.
        value: i64,
    },
    /// A backup applied write `op`.
    Ack {
        /// The write acknowledged.
        op: u64,
    },
}

/// The smallest replicated key-value store, and the model of a protocol module on the
/// harness: node `n0` is the primary; it applies a write, copies it to every backup and
/// answers once a majority (itself included) has it. Reads are served by the primary;
/// backups redirect clients there ([`KvResponse::NotLeader`]). Everything is volatile.
#[derive(Clone, Debug, Default)]
pub struct PrimaryKv {
    data: std::collections::BTreeMap<i64, i64>,
    /// At the primary: write number → (client request, acknowledgements so far).
    waiting: std::collections::BTreeMap<u64, (RequestId, usize)>,
    next_op: u64,
    bugs: super::Bugs<KvBug>,
}

impl PrimaryKv {
    /// A cluster of `n` nodes (n0 the primary) with these planted bugs.
    pub fn cluster(n: usize, bugs: super::Bugs<KvBug>) -> Vec<PrimaryKv> {
        vec![PrimaryKv { bugs, ..PrimaryKv::default() }; n]
    }

    /// The value this node holds for `key`.
    pub fn get(&self, key: i64) -> Option<i64> {
        self.data.get(&key).copied()
    }
}

impl Node for PrimaryKv {
    type Msg = KvMsg;
    type Timer = ();
    type Request = KvRequest;
    type Response = KvResponse;

    fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, request: KvRequest) {
        let primary = ctx.id() == NodeId(0);
        match request {
            KvRequest::Get { key } if primary || self.bugs.has(KvBug::BackupReads) => {
                ctx.respond(id, KvResponse::Value(self.get(key)));
            }
            KvRequest::Put { key, value } if primary => {
                self.data.insert(key, value);
                let op = self.next_op;
                self.next_op += 1;
                ctx.broadcast(KvMsg::Replicate { op, key, value });
                self.waiting.insert(op, (id, 1));
                self.check_majority(ctx, op);
            }
            _ => ctx.respond(id, KvResponse::NotLeader(Some(NodeId(0)))),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: KvMsg) {
        match msg {
            KvMsg::Replicate { op, key, value } => {
                self.data.insert(key, value);
                ctx.send(from, KvMsg::Ack { op });
            }
            KvMsg::Ack { op } => {
                if let Some(w) = self.waiting.get_mut(&op) {
                    w.1 += 1;
                }
                self.check_majority(ctx, op);
            }
        }
    }

    fn restarted(&self) -> Self {
        PrimaryKv { bugs: self.bugs.clone(), ..PrimaryKv::default() }
    }
}

impl PrimaryKv {
    fn check_majority(&mut self, ctx: &mut Ctx<Self>, op: u64) {
        if let Some(&(id, acks)) = self.waiting.get(&op) {
            if acks > ctx.cluster_size() / 2 {
                self.waiting.remove(&op);
                ctx.respond(id, KvResponse::Written);
            }
        }
    }
}
