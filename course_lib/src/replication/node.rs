//! The replicated key-value store as a simulator node: storage replicas and coordinators.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Placement, ReplicationConfig, Version, Versioned};
use crate::sim::{Ctx, KvRequest, KvResponse, Node, NodeId, RequestId};

/// Messages between coordinators and storage replicas.
#[derive(Clone, Debug, PartialEq)]
pub enum KvMsg {
    /// Store `item` under `key`; `hint_for` names the home replica a fallback stands in for
    /// (sloppy quorum).
    Write {
        /// Coordinator's operation id.
        op: u64,
        /// The key.
        key: i64,
        /// Value and version.
        item: Versioned,
        /// `Some(home)`: keep it as a hint for `home` (hinted handoff).
        hint_for: Option<usize>,
    },
    /// The write of operation `op` is stored.
    WriteAck {
        /// Operation id.
        op: u64,
    },
    /// Send me your version of `key`.
    Read {
        /// Operation id.
        op: u64,
        /// The key.
        key: i64,
    },
    /// A replica's version of the key read by `op`.
    ReadReply {
        /// Operation id.
        op: u64,
        /// What the replica has.
        item: Option<Versioned>,
    },
    /// Read repair: a newer version of `key` than the one you returned.
    Repair {
        /// The key.
        key: i64,
        /// The resolved item.
        item: Versioned,
    },
    /// Hinted handoff: a write a fallback kept for you while you were unreachable.
    Handoff {
        /// Hint id at the fallback.
        hint: u64,
        /// The key.
        key: i64,
        /// The item.
        item: Versioned,
    },
    /// The hint is delivered; the fallback may drop it.
    HandoffAck {
        /// Hint id.
        hint: u64,
    },
    /// A restarted replica asks a peer for everything it stores (catch-up).
    SyncRequest,
    /// Everything the peer stores.
    SyncReply {
        /// (key, item) pairs.
        items: Vec<(i64, Versioned)>,
    },
}

/// Timers of [`KvNode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvTimer {
    /// Operation `op` reached its deadline (phase 0: home replicas; phase 1: fallbacks).
    Deadline {
        /// Operation id.
        op: u64,
        /// 0 or 1.
        phase: u8,
    },
    /// Time to retry delivering hints.
    Handoff,
}

/// A write kept by a fallback replica for an unreachable home replica.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hint {
    /// The home replica the write belongs to.
    pub intended: usize,
    /// The key.
    pub key: i64,
    /// The item.
    pub item: Versioned,
}

#[derive(Clone, Debug)]
enum OpKind {
    Put(Versioned),
    Get,
}

#[derive(Clone, Debug)]
struct Op {
    request: RequestId,
    key: i64,
    kind: OpKind,
    /// Replicas the operation was sent to.
    targets: Vec<usize>,
    /// Replicas that acknowledged (writes) or replied (reads), in arrival order.
    replies: Vec<(usize, Option<Versioned>)>,
    answered: bool,
    repaired: bool,
}

/// Counters a storage replica keeps (volatile: a restart zeroes them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplicaCounters {
    /// Writes stored as the home replica.
    pub writes: u64,
    /// Read-repair messages received.
    pub repairs: u64,
    /// Hints received as a fallback.
    pub hints_taken: u64,
    /// Hinted writes handed back to this node.
    pub handoffs_received: u64,
    /// Items received by catch-up after a restart.
    pub synced: u64,
}

/// One node of the replicated store: a storage replica or a coordinator (a client-facing
/// front end that runs the quorum protocol). Built by [`super::Store`].
///
/// Coordinators speak the harness's [`KvRequest`]/[`KvResponse`]: a write is `Written` once W
/// replicas acknowledged it, a read is the `Value` the resolver chose among R replies. When
/// too few replicas answer in time (twice the timeout with a sloppy quorum), a read is
/// `Failed` and a write `Unknown` (it may have reached some replicas).
#[derive(Clone, Debug)]
pub struct KvNode {
    shared: Arc<Shared>,
    coordinator: bool,
    // storage: durable
    store: BTreeMap<i64, Versioned>,
    hints: BTreeMap<u64, Hint>,
    next_hint: u64,
    // storage: volatile
    recovering: bool,
    handoff_timer_set: bool,
    counters: ReplicaCounters,
    // coordinator: volatile
    ops: BTreeMap<u64, Op>,
    next_op: u64,
    last_ts: u64,
    /// The version this coordinator gave each value it wrote (a measurement log, kept across
    /// restarts: what the run's lag samples compare replicas with).
    issued: BTreeMap<i64, Version>,
}

/// What every node of one experiment shares: the configuration and the placement.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: ReplicationConfig,
    pub(crate) placement: Placement,
}

impl KvNode {
    pub(crate) fn storage(shared: Arc<Shared>) -> KvNode {
        KvNode::new(shared, false)
    }

    pub(crate) fn coordinator(shared: Arc<Shared>) -> KvNode {
        KvNode::new(shared, true)
    }

    fn new(shared: Arc<Shared>, coordinator: bool) -> KvNode {
        KvNode {
            shared,
            coordinator,
            store: BTreeMap::new(),
            hints: BTreeMap::new(),
            next_hint: 0,
            recovering: false,
            handoff_timer_set: false,
            counters: ReplicaCounters::default(),
            ops: BTreeMap::new(),
            next_op: 0,
            last_ts: 0,
            issued: BTreeMap::new(),
        }
    }

    /// Is this node a coordinator (client front end) rather than a storage replica?
    pub fn is_coordinator(&self) -> bool {
        self.coordinator
    }

    /// What this replica stores (empty for a coordinator).
    pub fn store(&self) -> &BTreeMap<i64, Versioned> {
        &self.store
    }

    /// Hints this node keeps for unreachable replicas.
    pub fn hints(&self) -> impl Iterator<Item = &Hint> {
        self.hints.values()
    }

    /// This replica's counters since it last (re)started.
    pub fn counters(&self) -> &ReplicaCounters {
        &self.counters
    }

    /// The version this coordinator gave the write of `value` (values are unique in a run).
    pub fn version_of(&self, value: i64) -> Option<Version> {
        self.issued.get(&value).copied()
    }

    /// Operations this coordinator still tracks.
    pub fn open_operations(&self) -> usize {
        self.ops.len()
    }

    fn resolve(&self, items: &[Versioned]) -> Option<Versioned> {
        (self.shared.config.resolve)(items)
    }

    /// Merge `item` into the store with the conflict-resolution function.
    fn apply(&mut self, key: i64, item: Versioned) {
        let merged = match self.store.get(&key) {
            None => Some(item),
            Some(&current) if current == item => None,
            Some(&current) => self.resolve(&[current, item]),
        };
        if let Some(m) = merged {
            self.store.insert(key, m);
        }
    }

    fn ensure_handoff_timer(&mut self, ctx: &mut Ctx<Self>) {
        if self.shared.config.hinted_handoff && !self.handoff_timer_set && !self.hints.is_empty() {
            self.handoff_timer_set = true;
            ctx.set_timer(self.shared.config.handoff_interval_ms, KvTimer::Handoff);
        }
    }

    // ---- coordinator ----------------------------------------------------------------------

    fn start_op(&mut self, ctx: &mut Ctx<Self>, request: RequestId, req: KvRequest) {
        let op = self.next_op;
        self.next_op += 1;
        let (key, kind) = match req {
            KvRequest::Put { key, value } => {
                // timestamps from the coordinator's clock, made strictly increasing; the
                // node id breaks ties between coordinators
                let ts = ctx.now().as_nanos().max(self.last_ts + 1);
                self.last_ts = ts;
                let version = Version { ts_ns: ts, node: ctx.id().0 as u32 };
                self.issued.insert(value, version);
                (key, OpKind::Put(Versioned { value, version }))
            }
            KvRequest::Get { key } => (key, OpKind::Get),
        };
        let targets = self.shared.placement.replicas(key);
        for &t in &targets {
            ctx.send(NodeId(t), self.message(op, key, &kind, None));
        }
        self.ops.insert(
            op,
            Op {
                request,
                key,
                kind,
                targets,
                replies: Vec::new(),
                answered: false,
                repaired: false,
            },
        );
        ctx.set_timer(self.shared.config.timeout_ms, KvTimer::Deadline { op, phase: 0 });
    }

    fn message(&self, op: u64, key: i64, kind: &OpKind, hint_for: Option<usize>) -> KvMsg {
        match kind {
            OpKind::Put(item) => KvMsg::Write { op, key, item: *item, hint_for },
            OpKind::Get => KvMsg::Read { op, key },
        }
    }

    fn on_reply(&mut self, ctx: &mut Ctx<Self>, from: usize, op_id: u64, item: Option<Versioned>) {
        let (r, w) = (self.shared.config.r, self.shared.config.w);
        let Some(op) = self.ops.get_mut(&op_id) else { return };
        if op.replies.iter().any(|&(x, _)| x == from) || !op.targets.contains(&from) {
            return;
        }
        op.replies.push((from, item));
        let got = op.replies.len();
        let mut respond = None;
        match op.kind {
            OpKind::Put(_) => {
                if !op.answered && got >= w {
                    op.answered = true;
                    respond = Some(KvResponse::Written);
                }
            }
            OpKind::Get => {
                if !op.answered && got >= r {
                    op.answered = true;
                    let items: Vec<Versioned> = op.replies.iter().filter_map(|x| x.1).collect();
                    let item = (self.shared.config.resolve)(&items);
                    respond = Some(KvResponse::Value(item.map(|i| i.value)));
                }
            }
        }
        let request = op.request;
        let all_in = got >= op.targets.len();
        if let Some(resp) = respond {
            ctx.respond(request, resp);
        }
        if all_in {
            self.finish(ctx, op_id);
        }
    }

    /// The operation is over: read-repair stale replies, forget the operation.
    fn finish(&mut self, ctx: &mut Ctx<Self>, op_id: u64) {
        let Some(op) = self.ops.remove(&op_id) else { return };
        if matches!(op.kind, OpKind::Get) && self.shared.config.read_repair && !op.repaired {
            let items: Vec<Versioned> = op.replies.iter().filter_map(|x| x.1).collect();
            if let Some(best) = self.resolve(&items) {
                for &(x, it) in &op.replies {
                    if it != Some(best) {
                        ctx.send(NodeId(x), KvMsg::Repair { key: op.key, item: best });
                    }
                }
            }
        }
    }

    fn on_deadline(&mut self, ctx: &mut Ctx<Self>, op_id: u64, phase: u8) {
        let cfg = &self.shared.config;
        let Some(op) = self.ops.get(&op_id) else { return };
        if op.answered {
            // answered, but not every replica replied. A write leaves hints for the home
            // replicas that missed it (as Cassandra does; Dynamo hints only sloppy writes); a
            // read repairs what it has. Then the operation is forgotten.
            if let (OpKind::Put(item), true) =
                (&op.kind, phase == 0 && cfg.sloppy && cfg.hinted_handoff)
            {
                let (key, item) = (op.key, *item);
                let missing: Vec<usize> = op
                    .targets
                    .iter()
                    .copied()
                    .take(cfg.n)
                    .filter(|t| !op.replies.iter().any(|&(x, _)| x == *t))
                    .collect();
                for (home, fb) in missing.into_iter().zip(self.shared.placement.fallbacks(key)) {
                    ctx.send(
                        NodeId(fb),
                        KvMsg::Write { op: op_id, key, item, hint_for: Some(home) },
                    );
                }
            }
            self.finish(ctx, op_id);
            return;
        }
        if phase == 0 && cfg.sloppy {
            let missing: Vec<usize> = op
                .targets
                .iter()
                .copied()
                .filter(|t| !op.replies.iter().any(|&(x, _)| x == *t))
                .collect();
            let fallbacks = self.shared.placement.fallbacks(op.key);
            if !fallbacks.is_empty() && !missing.is_empty() {
                let sends: Vec<(usize, usize)> = missing.iter().copied().zip(fallbacks).collect();
                let (key, kind) = (op.key, op.kind.clone());
                for &(home, fb) in &sends {
                    let msg = self.message(op_id, key, &kind, Some(home));
                    ctx.send(NodeId(fb), msg);
                }
                let op = self.ops.get_mut(&op_id).expect("operation just looked up");
                op.targets.extend(sends.iter().map(|s| s.1));
                let timeout = self.shared.config.timeout_ms;
                ctx.set_timer(timeout, KvTimer::Deadline { op: op_id, phase: 1 });
                return;
            }
        }
        // too few replicas answered in time: a read certainly had no effect; a write may have
        // reached some replicas, so its outcome is unknown
        let op = self.ops.remove(&op_id).expect("operation just looked up");
        let response = match op.kind {
            OpKind::Get => KvResponse::Failed,
            OpKind::Put(_) => KvResponse::Unknown,
        };
        ctx.respond(op.request, response);
    }

    // ---- storage --------------------------------------------------------------------------

    fn on_storage_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: KvMsg) {
        match msg {
            KvMsg::Write { op, key, item, hint_for } => {
                match hint_for {
                    Some(intended) if intended != ctx.id().0 => {
                        let id = self.next_hint;
                        self.next_hint += 1;
                        self.hints.insert(id, Hint { intended, key, item });
                        self.counters.hints_taken += 1;
                        self.ensure_handoff_timer(ctx);
                    }
                    _ => {
                        self.counters.writes += 1;
                        self.apply(key, item);
                    }
                }
                ctx.send(from, KvMsg::WriteAck { op });
            }
            KvMsg::Read { op, key } => {
                ctx.send(from, KvMsg::ReadReply { op, item: self.store.get(&key).copied() });
            }
            KvMsg::Repair { key, item } => {
                self.counters.repairs += 1;
                self.apply(key, item);
            }
            KvMsg::Handoff { hint, key, item } => {
                self.counters.handoffs_received += 1;
                self.apply(key, item);
                ctx.send(from, KvMsg::HandoffAck { hint });
            }
            KvMsg::HandoffAck { hint } => {
                self.hints.remove(&hint);
            }
            KvMsg::SyncRequest => {
                let items = self.store.iter().map(|(&k, &v)| (k, v)).collect();
                ctx.send(from, KvMsg::SyncReply { items });
            }
            KvMsg::SyncReply { items } => {
                for (k, v) in items {
                    self.counters.synced += 1;
                    self.apply(k, v);
                }
            }
            KvMsg::WriteAck { .. } | KvMsg::ReadReply { .. } => {}
        }
    }
}

impl Node for KvNode {
    type Msg = KvMsg;
    type Timer = KvTimer;
    type Request = KvRequest;
    type Response = KvResponse;

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if self.coordinator {
            return;
        }
        if self.recovering && self.shared.config.catch_up_on_restart {
            for peer in self.shared.placement.group_of(ctx.id().0) {
                if peer != ctx.id().0 {
                    ctx.send(NodeId(peer), KvMsg::SyncRequest);
                }
            }
        }
        self.ensure_handoff_timer(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: KvMsg) {
        if self.coordinator {
            match msg {
                KvMsg::WriteAck { op } => self.on_reply(ctx, from.0, op, None),
                KvMsg::ReadReply { op, item } => self.on_reply(ctx, from.0, op, item),
                _ => {}
            }
        } else {
            self.on_storage_message(ctx, from, msg);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: KvTimer) {
        match timer {
            KvTimer::Deadline { op, phase } => self.on_deadline(ctx, op, phase),
            KvTimer::Handoff => {
                self.handoff_timer_set = false;
                let hints: Vec<(u64, Hint)> = self.hints.iter().map(|(&k, &h)| (k, h)).collect();
                for (id, h) in hints {
                    ctx.send(
                        NodeId(h.intended),
                        KvMsg::Handoff { hint: id, key: h.key, item: h.item },
                    );
                }
                self.ensure_handoff_timer(ctx);
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, request: KvRequest) {
        if self.coordinator {
            self.start_op(ctx, id, request);
        }
    }

    /// The store and the hints are on disk (durable); counters, timers and open operations
    /// are not.
    fn restarted(&self) -> Self {
        KvNode {
            shared: Arc::clone(&self.shared),
            coordinator: self.coordinator,
            store: self.store.clone(),
            hints: self.hints.clone(),
            next_hint: self.next_hint,
            recovering: !self.coordinator,
            handoff_timer_set: false,
            counters: ReplicaCounters::default(),
            ops: BTreeMap::new(),
            // operation ids are not reused: a late reply to a forgotten operation is ignored
            next_op: self.next_op,
            last_ts: self.last_ts,
            issued: self.issued.clone(),
        }
    }
}
