//! Small ready-made nodes: for first experiments, tests and benchmarks.
//!
//! * [`PingPong`]: `n0` pings `n1` and waits for the pong, retrying after a timeout — the
//!   smallest protocol that has to cope with loss.
//! * [`Relay`]: every node forwards each "ball" it receives to a random other node — a
//!   steady message load for benchmarks and determinism tests.
//! * [`Gossip`]: a rumour spreads by flooding: a node that first hears it tells everyone.

use super::{Ctx, Node, NodeId, RequestId};

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
