//! The three kinds of node of the coordination scenario, as pure state machines: the lock
//! server, the storage service and the clients.

use crate::clock::PhysicalClock;
use crate::sim::{Ctx, Node, NodeId};

use super::{Belief, Grant, PauseRecord, StorageOp, StorageOpKind};

/// Node ids: the lock server is `n0`, the storage `n1`, client `i` is `n{i + 2}`.
pub(crate) const SERVER: usize = 0;
pub(crate) const STORAGE: usize = 1;
pub(crate) const FIRST_CLIENT: usize = 2;

/// Messages between clients, the lock server and the storage.
#[derive(Clone, Debug)]
pub(crate) enum Msg {
    /// Client → server: grant me the lock, or renew it if I hold it (`seq` matches the answer).
    Acquire { seq: u64 },
    /// Client → server: I am done with the lease whose token is `token`.
    Release { token: u64 },
    /// Server → client: the lease is yours for `lease_ms` of the server's clock.
    Granted { seq: u64, token: u64 },
    /// Server → client: someone else holds it.
    Denied { seq: u64 },
    /// Client → storage: read the register under fencing token `token`.
    Read { op: u64, token: u64 },
    /// Storage → client.
    ReadOk { op: u64, value: u64, version: u64 },
    /// Client → storage: write `value`, computed from the value read at `read_version`.
    Write { op: u64, token: u64, value: u64, read_version: u64 },
    /// Storage → client.
    WriteOk { op: u64 },
    /// Storage → client: your token is older than one the storage has already seen.
    Rejected { op: u64 },
}

/// Timers of the clients.
#[derive(Clone, Debug)]
pub(crate) enum Timer {
    /// Start (or restart after thinking) trying to acquire the lock.
    Start,
    /// Ask again if acquire attempt `seq` is still unanswered.
    AcquireRetry(u64),
    /// The work between reading and writing of operation `op` is done: write.
    WorkDone { op: u64, value: u64, version: u64 },
    /// Operation `op` is still waiting for the storage: give up on it.
    OpTimeout(u64),
    /// A stop-the-world pause of `length_ms` begins.
    PauseStart { length_ms: f64 },
    /// A pause ends.
    PauseEnd,
}

/// The lock server: grants one lease at a time, measured on its own clock, and numbers every
/// new lease with the next fencing token.
#[derive(Clone, Debug)]
pub(crate) struct LockServer {
    pub clock: PhysicalClock,
    pub lease_ms: f64,
    /// (client node, token, expiry on the server's clock).
    pub holder: Option<(usize, u64, f64)>,
    pub next_token: u64,
    pub grants: Vec<Grant>,
}

impl LockServer {
    fn on_message(&mut self, ctx: &mut Ctx<CoordNode>, from: NodeId, msg: Msg) {
        let now_true = ctx.now_ms();
        let now = self.clock.read_ms(now_true);
        match msg {
            Msg::Acquire { seq } => {
                let client = from.0;
                match self.holder {
                    Some((h, _, exp)) if exp > now && h != client => {
                        ctx.send(from, Msg::Denied { seq });
                    }
                    Some((h, token, exp)) if exp > now && h == client => {
                        // renewal: same lease, same token, new expiry
                        let exp = now + self.lease_ms;
                        self.holder = Some((client, token, exp));
                        let until = self.clock.true_time_ms(exp);
                        if let Some(g) = self.grants.iter_mut().rev().find(|g| g.token == token) {
                            g.until_ms = until;
                            g.renewals += 1;
                        }
                        ctx.send(from, Msg::Granted { seq, token });
                    }
                    _ => {
                        let token = self.next_token;
                        self.next_token += 1;
                        let exp = now + self.lease_ms;
                        self.holder = Some((client, token, exp));
                        self.grants.push(Grant {
                            client: client - FIRST_CLIENT,
                            token,
                            from_ms: now_true,
                            until_ms: self.clock.true_time_ms(exp),
                            renewals: 0,
                            released: false,
                        });
                        ctx.send(from, Msg::Granted { seq, token });
                    }
                }
            }
            Msg::Release { token } => {
                if let Some((h, t, exp)) = self.holder {
                    if h == from.0 && t == token && exp > now {
                        self.holder = None;
                        if let Some(g) = self.grants.iter_mut().rev().find(|g| g.token == token) {
                            g.until_ms = now_true;
                            g.released = true;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The storage service: one register (a counter the clients increment by read-modify-write).
/// With `fencing` it rejects any request whose token is lower than the highest it has seen.
#[derive(Clone, Debug)]
pub(crate) struct Storage {
    pub fencing: bool,
    pub max_token: u64,
    pub value: u64,
    pub version: u64,
    pub log: Vec<StorageOp>,
}

impl Storage {
    fn on_message(&mut self, ctx: &mut Ctx<CoordNode>, from: NodeId, msg: Msg) {
        let (op, token, kind) = match msg {
            Msg::Read { op, token } => (op, token, StorageOpKind::Read),
            Msg::Write { op, token, value, read_version } => {
                (op, token, StorageOpKind::Write { value, read_version })
            }
            _ => return,
        };
        let stale = token < self.max_token;
        let accepted = !(self.fencing && stale);
        self.log.push(StorageOp {
            at_ms: ctx.now_ms(),
            client: from.0 - FIRST_CLIENT,
            token,
            kind,
            accepted,
            stale,
            version_before: self.version,
            value_before: self.value,
        });
        if !accepted {
            ctx.send(from, Msg::Rejected { op });
            return;
        }
        self.max_token = self.max_token.max(token);
        match kind {
            StorageOpKind::Read => {
                ctx.send(from, Msg::ReadOk { op, value: self.value, version: self.version })
            }
            StorageOpKind::Write { value, .. } => {
                self.value = value;
                self.version += 1;
                ctx.send(from, Msg::WriteOk { op });
            }
        }
    }
}

/// Where a client is in its cycle.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Not holding, waiting to (re)start acquiring.
    Idle,
    /// Acquire request `seq` outstanding.
    Acquiring,
    /// Holding; no operation in flight.
    Holding,
    /// Holding; read of the current op outstanding.
    Reading,
    /// Holding; working between read and write.
    Working,
    /// Holding; write outstanding.
    Writing,
}

/// Something that happened to a paused client, to be handled when it wakes up.
#[derive(Clone, Debug)]
enum Deferred {
    Msg(Msg),
    Timer(Timer),
}

/// A client: acquires the lock, then does read-modify-write operations on the storage
/// (check lease → read → work → write), renews when a third of its lease is left and releases after
/// `ops_per_hold` operations.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub index: usize,
    pub clock: PhysicalClock,
    /// How long after sending an acquire request the client trusts a grant, on its own clock.
    pub validity_ms: f64,
    pub work_ms: f64,
    /// Renew the lease when a third of it is left (otherwise use it up and release).
    pub renew: bool,
    pub ops_per_hold: u32,
    pub think_ms: f64,
    pub retry_ms: f64,
    pub start_ms: f64,
    /// Pauses: (true start time, length).
    pub pauses: Vec<(f64, f64)>,
    paused: u32,
    pause_began: f64,
    deferred: Vec<Deferred>,
    phase: Phase,
    seq: u64,
    acquire_sent_local: f64,
    /// (token, valid until on the local clock)
    lease: Option<(u64, f64)>,
    op: u64,
    ops_done: u32,
    pub beliefs: Vec<Belief>,
    pub pause_log: Vec<PauseRecord>,
    pub acknowledged_writes: u64,
}

impl Client {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        index: usize,
        clock: PhysicalClock,
        validity_ms: f64,
        work_ms: f64,
        renew: bool,
        ops_per_hold: u32,
        think_ms: f64,
        retry_ms: f64,
        start_ms: f64,
        pauses: Vec<(f64, f64)>,
    ) -> Client {
        Client {
            index,
            clock,
            validity_ms,
            work_ms,
            renew,
            ops_per_hold,
            think_ms,
            retry_ms,
            start_ms,
            pauses,
            paused: 0,
            pause_began: 0.0,
            deferred: Vec::new(),
            phase: Phase::Idle,
            seq: 0,
            acquire_sent_local: 0.0,
            lease: None,
            op: 0,
            ops_done: 0,
            beliefs: Vec::new(),
            pause_log: Vec::new(),
            acknowledged_writes: 0,
        }
    }

    fn local(&self, ctx: &Ctx<CoordNode>) -> f64 {
        self.clock.read_ms(ctx.now_ms())
    }

    fn acquire(&mut self, ctx: &mut Ctx<CoordNode>) {
        self.seq += 1;
        self.acquire_sent_local = self.local(ctx);
        self.phase = Phase::Acquiring;
        ctx.send(NodeId(SERVER), Msg::Acquire { seq: self.seq });
        ctx.set_timer(self.retry_ms, Timer::AcquireRetry(self.seq));
    }

    /// The client stops believing it holds the lease now (released, or told it lost it).
    fn end_belief(&mut self, now_true: f64) {
        if let Some(b) = self.beliefs.last_mut() {
            if b.until_ms > now_true {
                b.until_ms = now_true.max(b.from_ms);
            }
        }
        self.lease = None;
    }

    fn think(&mut self, ctx: &mut Ctx<CoordNode>) {
        self.phase = Phase::Idle;
        let wait = if self.think_ms > 0.0 { ctx.rng().uniform() * self.think_ms } else { 0.0 };
        ctx.set_timer(wait, Timer::Start);
    }

    /// Between operations: release, renew, or check the lease and start the next operation.
    fn next_op(&mut self, ctx: &mut Ctx<CoordNode>) {
        let Some((token, valid_until)) = self.lease else {
            self.think(ctx);
            return;
        };
        if self.ops_done >= self.ops_per_hold {
            ctx.send(NodeId(SERVER), Msg::Release { token });
            self.end_belief(ctx.now_ms());
            self.think(ctx);
            return;
        }
        let remaining = valid_until - self.local(ctx);
        if self.renew && remaining < self.validity_ms / 3.0 {
            // renew with a third of the lease left, as etcd's keep-alive does
            self.acquire(ctx);
        } else if remaining > self.work_ms {
            // the lease check passed: enough of the lease left (by my clock) for the work
            self.op += 1;
            self.phase = Phase::Reading;
            ctx.send(NodeId(STORAGE), Msg::Read { op: self.op, token });
            ctx.set_timer(self.retry_ms, Timer::OpTimeout(self.op));
        } else if self.renew {
            self.acquire(ctx); // renew (the server keeps the token if the lease has not expired)
        } else {
            ctx.send(NodeId(SERVER), Msg::Release { token });
            self.end_belief(ctx.now_ms());
            self.think(ctx);
        }
    }

    fn handle_message(&mut self, ctx: &mut Ctx<CoordNode>, msg: Msg) {
        let now_true = ctx.now_ms();
        match msg {
            Msg::Granted { seq, token } if seq == self.seq && self.phase == Phase::Acquiring => {
                let valid_until = self.acquire_sent_local + self.validity_ms;
                if self.local(ctx) >= valid_until {
                    // the answer came too late to be trusted (we were paused, or it was slow)
                    self.end_belief(now_true);
                    self.acquire(ctx);
                    return;
                }
                if self.lease.map(|(t, _)| t) != Some(token) {
                    self.ops_done = 0;
                }
                self.lease = Some((token, valid_until));
                let until = self.clock.true_time_ms(valid_until).max(now_true);
                match self.beliefs.last_mut() {
                    Some(b) if b.token == token && b.until_ms >= now_true => b.until_ms = until,
                    _ => self.beliefs.push(Belief {
                        client: self.index,
                        token,
                        from_ms: now_true,
                        until_ms: until,
                    }),
                }
                self.phase = Phase::Holding;
                self.next_op(ctx);
            }
            Msg::Denied { seq } if seq == self.seq && self.phase == Phase::Acquiring => {
                // someone else holds it; the retry timer asks again
                self.end_belief(now_true);
            }
            Msg::ReadOk { op, value, version } if op == self.op && self.phase == Phase::Reading => {
                self.phase = Phase::Working;
                ctx.set_timer(self.work_ms, Timer::WorkDone { op, value, version });
            }
            Msg::WriteOk { op } if op == self.op && self.phase == Phase::Writing => {
                self.acknowledged_writes += 1;
                self.ops_done += 1;
                self.phase = Phase::Holding;
                self.next_op(ctx);
            }
            Msg::Rejected { op }
                if op == self.op && matches!(self.phase, Phase::Reading | Phase::Writing) =>
            {
                // the storage has seen a newer token: my lease is gone
                self.end_belief(now_true);
                self.think(ctx);
            }
            _ => {}
        }
    }

    fn handle_timer(&mut self, ctx: &mut Ctx<CoordNode>, timer: Timer) {
        match timer {
            Timer::Start if self.phase == Phase::Idle => self.acquire(ctx),
            Timer::AcquireRetry(seq) if seq == self.seq && self.phase == Phase::Acquiring => {
                self.acquire(ctx)
            }
            Timer::WorkDone { op, value, version }
                if op == self.op && self.phase == Phase::Working =>
            {
                // No second look at the lease here: the check was made before the read. Even a
                // check at this point could not help, since a pause (or a slow network) can
                // fall between any check and the moment the write reaches the storage.
                if let Some((token, _)) = self.lease {
                    self.phase = Phase::Writing;
                    ctx.send(
                        NodeId(STORAGE),
                        Msg::Write { op, token, value: value + 1, read_version: version },
                    );
                    ctx.set_timer(self.retry_ms, Timer::OpTimeout(op));
                }
            }
            Timer::OpTimeout(op)
                if op == self.op && matches!(self.phase, Phase::Reading | Phase::Writing) =>
            {
                self.phase = Phase::Holding;
                self.next_op(ctx);
            }
            _ => {}
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx<CoordNode>) {
        for &(at, len) in &self.pauses {
            ctx.set_timer(at - ctx.now_ms(), Timer::PauseStart { length_ms: len });
        }
        ctx.set_timer(self.start_ms, Timer::Start);
    }

    fn on_event(&mut self, ctx: &mut Ctx<CoordNode>, ev: Deferred) {
        match ev {
            Deferred::Timer(Timer::PauseStart { length_ms }) => {
                if self.paused == 0 {
                    self.pause_began = ctx.now_ms();
                }
                self.paused += 1;
                ctx.set_timer(length_ms, Timer::PauseEnd);
            }
            Deferred::Timer(Timer::PauseEnd) => {
                self.paused = self.paused.saturating_sub(1);
                if self.paused == 0 {
                    self.pause_log.push(PauseRecord {
                        client: self.index,
                        from_ms: self.pause_began,
                        until_ms: ctx.now_ms(),
                    });
                    // the world did not stop while we did: everything that arrived is handled now
                    for ev in std::mem::take(&mut self.deferred) {
                        self.on_event(ctx, ev);
                    }
                }
            }
            ev if self.paused > 0 => self.deferred.push(ev),
            Deferred::Msg(msg) => self.handle_message(ctx, msg),
            Deferred::Timer(t) => self.handle_timer(ctx, t),
        }
    }
}

/// One node of the scenario.
#[derive(Clone, Debug)]
pub(crate) enum CoordNode {
    Server(LockServer),
    Storage(Storage),
    Client(Box<Client>),
}

impl Node for CoordNode {
    type Msg = Msg;
    type Timer = Timer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if let CoordNode::Client(c) = self {
            c.on_start(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        match self {
            CoordNode::Server(s) => s.on_message(ctx, from, msg),
            CoordNode::Storage(s) => s.on_message(ctx, from, msg),
            CoordNode::Client(c) => c.on_event(ctx, Deferred::Msg(msg)),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer) {
        if let CoordNode::Client(c) = self {
            c.on_event(ctx, Deferred::Timer(timer));
        }
    }

    /// Crashes are not part of these scenarios; a restarted node keeps its state.
    fn restarted(&self) -> Self {
        self.clone()
    }
}
