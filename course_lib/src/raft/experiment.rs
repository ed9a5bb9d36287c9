//! Running Raft: a monitored cluster with clients, fault sweeps, and the election-time
//! experiment of §9.3.

use super::monitor::{Monitor, Property, Violation};
use super::{validate_timeouts, Entry, KvRequest, KvResponse, RaftConfig, RaftNode, Role, Term};
use crate::consistency::{check_cas_register, Event, EventType, History, Value, F};
use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::plot::{Bar, BarStyle, Figure, SequenceDiagram, Timeline};
use crate::rng::SimRng;
use crate::sim::{FaultSchedule, Network, RequestId, SimBuilder, Simulation, Time};
use crate::table::Table;

/// Trace events kept in a [`Violation`] report.
pub const TRACE_TAIL: usize = 30;

/// Stream numbers split off the seed for the clients and the fault generator.
const CLIENT_STREAM: u64 = 0x00C1_1E47;
const FAULT_STREAM: u64 = 0x00FA_0175;

/// What the clients of a [`Cluster`] do: each client issues one operation at a time (a put of a
/// fresh value or a read through the log) to the server it believes leads the key's group.
#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// Client processes.
    pub clients: usize,
    /// Operations each client issues.
    pub ops_per_client: usize,
    /// Keys `0..keys`.
    pub keys: i64,
    /// Probability that an operation is a read.
    pub read_fraction: f64,
    /// Mean pause between an answer and the next request (ms, exponential).
    pub think_ms: f64,
    /// A request unanswered after this long is given up (recorded as `info`: it may or may not
    /// have taken effect) and the client continues as a new process (ms).
    pub timeout_ms: f64,
}

impl Workload {
    /// `clients` clients, `ops_per_client` operations each, on 3 keys, half reads, 10 ms think
    /// time, 500 ms timeout.
    pub fn new(clients: usize, ops_per_client: usize) -> Result<Workload> {
        let w = Workload {
            clients,
            ops_per_client,
            keys: 3,
            read_fraction: 0.5,
            think_ms: 10.0,
            timeout_ms: 500.0,
        };
        w.validate()?;
        Ok(w)
    }

    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("clients", self.clients, 1)?;
        if self.keys < 1 {
            return Err(Error::out_of_range("keys", self.keys, "must be at least 1"));
        }
        validate::probability("read_fraction", self.read_fraction)?;
        validate::positive("think_ms", self.think_ms)?;
        validate::positive("timeout_ms", self.timeout_ms)?;
        Ok(())
    }
}

/// A stretch of time during which a server was leader of a term.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeaderSpan {
    /// The Raft group.
    pub group: usize,
    /// The simulation node id.
    pub node: usize,
    /// The term.
    pub term: Term,
    /// When it became leader (ms).
    pub from_ms: f64,
    /// When it stopped (stepped down, crashed, or the run ended) (ms).
    pub to_ms: f64,
}

#[derive(Clone, Debug)]
struct Client {
    left: usize,
    process: u64,
    target: Vec<usize>,
    inflight: Option<(RequestId, KvRequest, u64, f64)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Driver {
    w: Workload,
    rng: SimRng,
    clients: Vec<Client>,
    next_value: i64,
    seen_answers: usize,
    events: Vec<(f64, u8, u64, Event)>,
    seq: u64,
}

/// A scripted starting state: (server, term, vote, log, starts as leader).
type Preload = (usize, Term, Option<usize>, Vec<Entry>, bool);

/// How a [`Cluster`] is built; see [`Cluster::builder`].
#[derive(Clone, Debug)]
pub struct ClusterBuilder {
    cfg: RaftConfig,
    groups: usize,
    seed: u64,
    network: Option<Network>,
    faults: FaultSchedule,
    trace: bool,
    pub(crate) monitors: bool,
    workload: Option<Workload>,
    /// Scripted scenarios: (server, term, log, starts as leader).
    initial: Vec<Preload>,
}

impl ClusterBuilder {
    /// The seed (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Several independent Raft groups (Multi-Raft): group g is simulation nodes
    /// `g·servers .. (g+1)·servers`; key k belongs to group [`group_of`]`(k, groups)`.
    pub fn groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }
    /// The network (default: one-way delays uniform in 2–6 ms, reordering, no loss).
    pub fn network(mut self, network: Network) -> Self {
        self.network = Some(network);
        self
    }
    /// Faults to inject (node ids are simulation node ids).
    pub fn faults(mut self, faults: FaultSchedule) -> Self {
        self.faults = faults;
        self
    }
    /// Record a trace (default on for [`Cluster::new`]; sweeps run without and replay a
    /// violating seed with a trace).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }
    /// Check the five properties after every step (default on).
    pub fn monitors(mut self, on: bool) -> Self {
        self.monitors = on;
        self
    }
    /// Clients that issue requests while the cluster runs.
    pub fn workload(mut self, workload: Workload) -> Self {
        self.workload = Some(workload);
        self
    }

    /// Start server `server` of group 0 in `term` with `log` (and as its leader if `leader`):
    /// for scripted scenarios such as Figure 8.
    pub(crate) fn preload(
        mut self,
        server: usize,
        term: Term,
        voted_for: Option<usize>,
        log: Vec<Entry>,
        leader: bool,
    ) -> Self {
        self.initial.push((server, term, voted_for, log, leader));
        self
    }

    /// Build the cluster (validates everything: cluster size, timeouts, unknown node ids in the
    /// fault schedule, the workload).
    pub fn build(self) -> Result<Cluster> {
        self.cfg.validate()?;
        validate::at_least("groups", self.groups, 1)?;
        if let Some(w) = &self.workload {
            w.validate()?;
        }
        let s = self.cfg.servers;
        let mut nodes = Vec::with_capacity(s * self.groups);
        for g in 0..self.groups {
            nodes.extend(RaftNode::group(&self.cfg, g * s));
        }
        for (server, term, voted_for, log, leader) in &self.initial {
            if let Some(n) = nodes.get_mut(*server) {
                n.preload(*term, log.clone());
                n.set_voted_for(*voted_for);
                if *leader {
                    n.force_leader();
                }
            }
        }
        let network = match &self.network {
            Some(n) => n.clone(),
            None => default_network()?,
        };
        let sim = SimBuilder::new(self.seed)
            .network(network)
            .faults(self.faults.clone())
            .trace(self.trace)
            .build(nodes)?;
        let driver = self.workload.as_ref().map(|w| Driver {
            w: w.clone(),
            rng: SimRng::stream(self.seed, CLIENT_STREAM),
            clients: Vec::new(),
            next_value: 1,
            seen_answers: 0,
            events: Vec::new(),
            seq: 0,
        });
        let total = s * self.groups;
        let mut c = Cluster {
            monitors: (0..self.groups).map(|_| Monitor::new(s)).collect(),
            spans: Vec::new(),
            open: vec![None; total],
            up: vec![true; total],
            violation: None,
            steps: 0,
            driver,
            spec: self,
            sim,
        };
        c.start_clients()?;
        c.after_step();
        Ok(c)
    }
}

/// The default network of a [`Cluster`]: one-way delays uniform in 2–6 ms, reordering
/// possible, no loss.
pub fn default_network() -> Result<Network> {
    Ok(Network::new(Dist::uniform(2.0, 6.0)?))
}

/// The Raft group key `key` belongs to when there are `groups` groups (a multiplicative hash).
pub fn group_of(key: i64, groups: usize) -> usize {
    let h = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    (h % groups.max(1) as u64) as usize
}

/// A Raft cluster on the simulator: one or more groups, an optional client workload, the
/// safety monitors after every step, leadership recorded for the timeline.
pub struct Cluster {
    pub(crate) spec: ClusterBuilder,
    sim: Simulation<RaftNode>,
    monitors: Vec<Monitor>,
    spans: Vec<LeaderSpan>,
    open: Vec<Option<(Term, f64)>>,
    up: Vec<bool>,
    violation: Option<Violation>,
    steps: u64,
    pub(crate) driver: Option<Driver>,
}

impl Cluster {
    /// One group of `cfg.servers` servers on the default network, no faults, traced, monitored.
    pub fn new(cfg: RaftConfig, seed: u64) -> Result<Cluster> {
        Cluster::builder(cfg).seed(seed).build()
    }

    /// Configure a cluster: `.seed`, `.groups`, `.network`, `.faults`, `.trace`, `.workload`,
    /// then `.build()`.
    pub fn builder(cfg: RaftConfig) -> ClusterBuilder {
        ClusterBuilder {
            cfg,
            groups: 1,
            seed: 0,
            network: None,
            faults: FaultSchedule::new(),
            trace: true,
            monitors: true,
            workload: None,
            initial: Vec::new(),
        }
    }

    // ---- running ------------------------------------------------------------------------

    /// One simulator step followed by the monitors. Returns the event's time, or `None` when
    /// nothing is left to do or a property has been violated.
    pub fn step(&mut self) -> Option<Time> {
        if self.violation.is_some() {
            return None;
        }
        let t = self.sim.step()?;
        self.steps += 1;
        self.after_step();
        Some(t)
    }

    /// Run every event up to `t_ms` (stopping early at a violation).
    pub fn run_until_ms(&mut self, t_ms: f64) {
        let until = Time::from_ms(t_ms);
        while self.violation.is_none() && self.sim.next_event_time().is_some_and(|t| t <= until) {
            self.step();
        }
        if self.violation.is_none() {
            self.sim.run_until_ms(t_ms); // only moves the clock: nothing is left before t_ms
        }
    }

    /// Hand a put to simulation node `node` at `at_ms` (use [`Cluster::leader`] to find the
    /// leader). The answer shows in [`Cluster::answers`].
    pub fn put(&mut self, node: usize, key: i64, value: i64) -> Result<RequestId> {
        let at = self.sim.now_ms();
        self.sim.request_at(at, node, KvRequest::Put { key, value })
    }

    /// Hand a read (through the log) to simulation node `node` now.
    pub fn get(&mut self, node: usize, key: i64) -> Result<RequestId> {
        let at = self.sim.now_ms();
        self.sim.request_at(at, node, KvRequest::Get { key })
    }

    fn after_step(&mut self) {
        let n = self.sim.cluster_size();
        for i in 0..n {
            self.up[i] = self.sim.is_up(i);
        }
        let now = self.sim.now_ms();
        // leadership spans
        for i in 0..n {
            let node = &self.sim.nodes()[i];
            let is = (self.up[i] && node.role() == Role::Leader).then(|| node.term());
            let was = self.open[i].map(|(t, _)| t);
            if is != was {
                if let Some((term, from)) = self.open[i].take() {
                    let group = i / self.spec.cfg.servers;
                    self.spans.push(LeaderSpan { group, node: i, term, from_ms: from, to_ms: now });
                }
                if let Some(term) = is {
                    self.open[i] = Some((term, now));
                }
            }
        }
        if self.spec.monitors {
            let s = self.spec.cfg.servers;
            for g in 0..self.spec.groups {
                let nodes = &self.sim.nodes()[g * s..(g + 1) * s];
                if let Some((property, detail)) =
                    self.monitors[g].check(nodes, &self.up[g * s..(g + 1) * s])
                {
                    let detail =
                        if self.spec.groups > 1 { format!("group {g}: {detail}") } else { detail };
                    self.report(property, detail);
                    return;
                }
            }
        }
        if self.driver.is_some() {
            if let Err(e) = self.drive_clients() {
                // request_at only fails on programming errors (unknown node, time in the past)
                self.report(Property::Linearizability, format!("client driver failed: {e}"));
            }
        }
    }

    fn report(&mut self, property: Property, detail: String) {
        let trace = if self.spec.trace {
            let ev = self.sim.trace().events();
            ev[ev.len().saturating_sub(TRACE_TAIL)..].iter().map(|e| e.to_string()).collect()
        } else {
            self.replay_tail(self.steps)
        };
        self.violation = Some(Violation {
            property,
            seed: self.spec.seed,
            at_ms: self.sim.now_ms(),
            step: self.steps,
            detail,
            trace,
        });
    }

    /// Re-run the same seed with a trace for `steps` steps and return the last trace events.
    fn replay_tail(&self, steps: u64) -> Vec<String> {
        let Ok(mut again) = self.spec.clone().trace(true).monitors(false).build() else {
            return Vec::new();
        };
        for _ in 0..steps {
            if again.step().is_none() {
                break;
            }
        }
        let ev = again.sim.trace().events();
        ev[ev.len().saturating_sub(TRACE_TAIL)..].iter().map(|e| e.to_string()).collect()
    }

    // ---- clients ------------------------------------------------------------------------

    fn start_clients(&mut self) -> Result<()> {
        let groups = self.spec.groups;
        let s = self.spec.cfg.servers;
        let Some(d) = self.driver.as_mut() else { return Ok(()) };
        for c in 0..d.w.clients {
            let target = (0..groups).map(|g| g * s + d.rng.below(s as u64) as usize).collect();
            d.clients.push(Client {
                left: d.w.ops_per_client,
                process: c as u64,
                target,
                inflight: None,
            });
        }
        for c in 0..d.w.clients {
            let at = 1.0 + d.rng.exponential(1.0 / d.w.think_ms);
            issue(&mut self.sim, d, c, at, groups)?;
        }
        Ok(())
    }

    fn drive_clients(&mut self) -> Result<()> {
        let groups = self.spec.groups;
        let s = self.spec.cfg.servers;
        let Some(d) = self.driver.as_mut() else { return Ok(()) };
        let now = self.sim.now_ms();
        let answered = self.sim.answered();
        let fresh: Vec<(RequestId, KvResponse, f64)> = answered[d.seen_answers..]
            .iter()
            .map(|a| (a.id, a.response, a.answered.as_ms()))
            .collect();
        d.seen_answers = answered.len();
        for (id, resp, t) in fresh {
            let Some(c) = d.clients.iter().position(|c| c.inflight.is_some_and(|f| f.0 == id))
            else {
                continue; // an answer after the client gave up
            };
            let (_, req, process, _) = d.clients[c].inflight.take().expect("found above");
            let g = group_of(req.key(), groups);
            let (kind, value) = match (resp, req) {
                (KvResponse::Ok, KvRequest::Put { value, .. }) => {
                    (EventType::Ok, Value::Int(value))
                }
                (KvResponse::Value(v), KvRequest::Get { .. }) => (EventType::Ok, Value::from(v)),
                (KvResponse::NotLeader(hint), _) => {
                    d.clients[c].target[g] = match hint {
                        Some(h) => h,
                        None => g * s + d.rng.below(s as u64) as usize,
                    };
                    (EventType::Fail, Value::Nil)
                }
                _ => (EventType::Info, Value::Nil),
            };
            push_completion(d, process, req, kind, value, t);
            if kind == EventType::Info {
                d.clients[c].process += d.w.clients as u64;
            }
            let at = t + d.rng.exponential(1.0 / d.w.think_ms);
            issue(&mut self.sim, d, c, at, groups)?;
        }
        // timeouts
        for c in 0..d.clients.len() {
            if let Some((_, req, process, deadline)) = d.clients[c].inflight {
                if now > deadline {
                    d.clients[c].inflight = None;
                    push_completion(d, process, req, EventType::Info, Value::Nil, now);
                    d.clients[c].process += d.w.clients as u64;
                    let g = group_of(req.key(), groups);
                    d.clients[c].target[g] = g * s + d.rng.below(s as u64) as usize;
                    let at = now + d.rng.exponential(1.0 / d.w.think_ms);
                    issue(&mut self.sim, d, c, at, groups)?;
                }
            }
        }
        Ok(())
    }

    /// The clients' history so far (Jepsen format, one register per key; operations still
    /// in flight end as `info`).
    pub fn history(&self) -> Result<History> {
        let Some(d) = &self.driver else { return History::from_events(Vec::new()) };
        let mut events = d.events.clone();
        let mut seq = d.seq;
        let now = self.sim.now_ms();
        for c in &d.clients {
            if let Some((_, req, process, deadline)) = c.inflight {
                seq += 1;
                // a request still scheduled in the future ends when it would have started
                let t = now.max(deadline - d.w.timeout_ms);
                events.push((t, 1, seq, completion(process, req, EventType::Info, Value::Nil, t)));
            }
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let events = events
            .into_iter()
            .enumerate()
            .map(|(i, (_, _, _, mut e))| {
                e.line = i + 1;
                e
            })
            .collect();
        History::from_events(events)
    }

    /// Check the clients' history for linearizability; a failure becomes the cluster's
    /// violation (property [`Property::Linearizability`]) and is returned.
    pub fn check_history(&mut self) -> Result<Option<Violation>> {
        if self.violation.is_some() {
            return Ok(self.violation.clone());
        }
        let h = self.history()?;
        let v = check_cas_register(&h);
        if v.is_linearizable() {
            return Ok(None);
        }
        let ops = h.operations();
        let culprit = v.culprit().map(|i| ops[i].describe()).unwrap_or_default();
        let detail = format!("{} (culprit: {culprit})", v.explanation());
        self.report(Property::Linearizability, detail);
        Ok(self.violation.clone())
    }

    // ---- looking ------------------------------------------------------------------------

    /// The first violated property, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// The leader of group 0 with the highest term among running leaders: `(node, term)`.
    pub fn leader(&self) -> Option<(usize, Term)> {
        self.group_leader(0)
    }

    /// The running leader of group `g` with the highest term: `(simulation node id, term)`.
    pub fn group_leader(&self, g: usize) -> Option<(usize, Term)> {
        let s = self.spec.cfg.servers;
        (g * s..((g + 1) * s).min(self.sim.cluster_size()))
            .filter(|&i| self.sim.is_up(i) && self.sim.nodes()[i].role() == Role::Leader)
            .map(|i| (i, self.sim.nodes()[i].term()))
            .max_by_key(|&(_, t)| t)
    }

    /// Server `id` (a simulation node id).
    pub fn node(&self, id: usize) -> Result<&RaftNode> {
        self.sim.node(id)
    }

    /// The underlying simulation (trace, stats, answered requests).
    pub fn sim(&self) -> &Simulation<RaftNode> {
        &self.sim
    }

    /// Client requests answered so far: `(request id, node, response, latency ms)`.
    pub fn answers(&self) -> Vec<(RequestId, usize, KvResponse, f64)> {
        self.sim.answered().iter().map(|a| (a.id, a.node.0, a.response, a.latency_ms())).collect()
    }

    /// Simulator steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.spec.groups
    }

    /// Every leadership span so far (open spans end now).
    pub fn leader_spans(&self) -> Vec<LeaderSpan> {
        let mut spans = self.spans.clone();
        let now = self.sim.now_ms();
        let s = self.spec.cfg.servers;
        for (i, o) in self.open.iter().enumerate() {
            if let Some((term, from)) = o {
                spans.push(LeaderSpan {
                    group: i / s,
                    node: i,
                    term: *term,
                    from_ms: *from,
                    to_ms: now,
                });
            }
        }
        spans.sort_by(|a, b| a.from_ms.total_cmp(&b.from_ms).then(a.node.cmp(&b.node)));
        spans
    }

    /// The per-server log table of group `g` (HTML): role, term, vote, commit and applied
    /// index, and the last `max_entries` log entries as `term:command`, uncommitted entries in
    /// parentheses.
    pub fn log_table(&self, g: usize, max_entries: usize) -> Result<Table> {
        if g >= self.spec.groups {
            return Err(Error::out_of_range(
                "group",
                g,
                format!("must be below the number of groups, {}", self.spec.groups),
            ));
        }
        validate::at_least("max_entries", max_entries, 1)?;
        let s = self.spec.cfg.servers;
        let nodes = &self.sim.nodes()[g * s..(g + 1) * s];
        let longest = nodes.iter().map(|n| n.log().len()).max().unwrap_or(0);
        let first = longest.saturating_sub(max_entries) + 1;
        let mut headers: Vec<String> =
            ["server", "role", "term", "voted for", "commit", "applied"].map(String::from).to_vec();
        headers.extend((first..=longest).map(|i| format!("{i}")));
        let mut t = Table::new(headers);
        for (k, n) in nodes.iter().enumerate() {
            let id = g * s + k;
            let role = if !self.sim.is_up(id) {
                "crashed".to_string()
            } else {
                format!("{:?}", n.role()).to_lowercase()
            };
            let mut row = vec![
                format!("n{id}"),
                role,
                n.term().to_string(),
                n.state().voted_for.map_or("–".into(), |v| format!("n{}", g * s + v)),
                n.commit_index().to_string(),
                n.last_applied().to_string(),
            ];
            for i in first..=longest {
                row.push(match n.log().get(i - 1) {
                    None => String::new(),
                    Some(e) if i <= n.commit_index() => cell(e),
                    Some(e) => format!("({})", cell(e)),
                });
            }
            t = t.row(row);
        }
        Ok(t.caption(format!(
            "group {g} at t = {:.1} ms: log entries as term:command; (…) = not known committed by that server",
            self.sim.now_ms()
        )))
    }

    /// Leadership over time: one row per server, a bar per term it led, and a hollow bar
    /// while it was crashed (from the fault schedule).
    pub fn leadership_timeline(&self, title: &str) -> Result<Figure> {
        let lanes = (0..self.sim.cluster_size()).map(|i| format!("n{i}")).collect();
        let now = self.sim.now_ms();
        let mut bars: Vec<Bar> = self
            .leader_spans()
            .into_iter()
            .map(|sp| Bar {
                lane: sp.node,
                start: sp.from_ms,
                end: Some(sp.to_ms.max(sp.from_ms + 1e-3)),
                label: format!("term {}", sp.term),
                style: BarStyle::Ok,
            })
            .collect();
        let mut down: Vec<Option<f64>> = vec![None; self.sim.cluster_size()];
        let mut faults: Vec<&crate::sim::Fault> = self.sim.faults().faults().iter().collect();
        faults.sort_by(|a, b| a.start_ms().total_cmp(&b.start_ms()));
        for f in faults {
            match *f {
                crate::sim::Fault::Crash { node, at_ms }
                    if at_ms <= now && down[node].is_none() =>
                {
                    down[node] = Some(at_ms);
                }
                crate::sim::Fault::Restart { node, at_ms } if at_ms <= now => {
                    if let Some(from) = down[node].take() {
                        bars.push(Bar {
                            lane: node,
                            start: from,
                            end: Some(at_ms),
                            label: String::new(),
                            style: BarStyle::Fail,
                        });
                    }
                }
                _ => {}
            }
        }
        for (node, d) in down.iter().enumerate() {
            if let Some(from) = d {
                bars.push(Bar {
                    lane: node,
                    start: *from,
                    end: Some(now),
                    label: String::new(),
                    style: BarStyle::Fail,
                });
            }
        }
        Timeline::new(title)
            .x_label("time (ms)")
            .lanes(lanes)
            .bars(bars)
            .key_label(BarStyle::Ok, "leader (bar label: its term)")
            .key_label(BarStyle::Fail, "crashed")
            .render()
    }

    /// A message sequence diagram of the run between `from_ms` and `to_ms` (needs a trace).
    pub fn sequence_diagram(
        &self,
        title: &str,
        from_ms: f64,
        to_ms: f64,
    ) -> Result<SequenceDiagram> {
        self.sim.sequence_diagram(title, from_ms, to_ms)
    }
}

fn cell(e: &Entry) -> String {
    format!("{}:{}", e.term, e.command)
}

fn completion(process: u64, req: KvRequest, kind: EventType, value: Value, t: f64) -> Event {
    let f = match req {
        KvRequest::Put { .. } => F::Write,
        KvRequest::Get { .. } => F::Read,
    };
    let value = match (kind, req) {
        (EventType::Info, KvRequest::Put { value, .. }) => Value::Int(value),
        _ => value,
    };
    Event {
        process,
        kind,
        f,
        value,
        key: Some(req.key()),
        time_ns: Some((t * 1e6).round() as i64),
        line: 0,
    }
}

fn push_completion(
    d: &mut Driver,
    process: u64,
    req: KvRequest,
    kind: EventType,
    value: Value,
    t: f64,
) {
    d.seq += 1;
    let e = completion(process, req, kind, value, t);
    d.events.push((t, 1, d.seq, e));
}

fn issue(
    sim: &mut Simulation<RaftNode>,
    d: &mut Driver,
    c: usize,
    at: f64,
    groups: usize,
) -> Result<()> {
    if d.clients[c].left == 0 {
        return Ok(());
    }
    d.clients[c].left -= 1;
    let key = d.rng.below(d.w.keys as u64) as i64;
    let req = if d.rng.bernoulli(d.w.read_fraction) {
        KvRequest::Get { key }
    } else {
        d.next_value += 1;
        KvRequest::Put { key, value: d.next_value - 1 }
    };
    let at = Time::from_ms(at.max(sim.now_ms())).as_ms();
    let node = d.clients[c].target[group_of(key, groups)];
    let id = sim.request_at(at, node, req)?;
    let process = d.clients[c].process;
    d.clients[c].inflight = Some((id, req, process, at + d.w.timeout_ms));
    let (f, value) = match req {
        KvRequest::Put { value, .. } => (F::Write, Value::Int(value)),
        KvRequest::Get { .. } => (F::Read, Value::Nil),
    };
    d.seq += 1;
    d.events.push((
        at,
        0,
        d.seq,
        Event {
            process,
            kind: EventType::Invoke,
            f,
            value,
            key: Some(key),
            time_ns: Some((at * 1e6).round() as i64),
            line: 0,
        },
    ));
    Ok(())
}

// ---- fault sweeps -------------------------------------------------------------------------

/// A family of random fault schedules for sweeps: each seed draws its own network faults,
/// crashes and partitions from these rates.
#[derive(Clone, Debug)]
pub struct FaultProfile {
    /// The Raft configuration (servers, timeouts, bug, handlers).
    pub raft: RaftConfig,
    /// Simulated time per run (ms).
    pub duration_ms: f64,
    /// One-way delay, uniform in this range (ms); messages can overtake each other.
    pub delay_ms: (f64, f64),
    /// Message loss probability.
    pub loss: f64,
    /// Message duplication probability.
    pub duplicate: f64,
    /// Crash/restart pairs per run.
    pub crashes: usize,
    /// Mean time a crashed server stays down (ms).
    pub mean_down_ms: f64,
    /// Random two-way partitions per run.
    pub partitions: usize,
    /// Mean partition length (ms).
    pub mean_partition_ms: f64,
    /// The clients.
    pub workload: Workload,
}

impl FaultProfile {
    /// The CI sweep: 5 servers with fast timers (elections 40–80 ms, heartbeat 15 ms, delays
    /// 1–5 ms), 2% loss, 2% duplication, reordering, 4 crash/restart pairs and 3 partitions in
    /// 1.5 s, 3 clients on 2 keys.
    pub fn standard(raft: RaftConfig) -> Result<FaultProfile> {
        let raft = raft.with_election_timeout(40.0, 80.0)?.with_heartbeat(15.0)?;
        let mut workload = Workload::new(3, 30)?;
        workload.keys = 2;
        workload.think_ms = 15.0;
        workload.timeout_ms = 200.0;
        Ok(FaultProfile {
            raft,
            duration_ms: 1_500.0,
            delay_ms: (1.0, 5.0),
            loss: 0.02,
            duplicate: 0.02,
            crashes: 4,
            mean_down_ms: 60.0,
            partitions: 3,
            mean_partition_ms: 150.0,
            workload,
        })
    }

    /// The bug-hunting profile: like [`FaultProfile::standard`] but with shorter timeouts
    /// (elections 25–50 ms, heartbeat 8 ms), one entry per `AppendEntries` (so that an old
    /// entry can reach a majority before the new leader's no-op does), 5% loss and duplication, 16 short crashes (mean
    /// 15 ms down) and 6 partitions in 1.5 s: many elections, many of them contested.
    pub fn aggressive(raft: RaftConfig) -> Result<FaultProfile> {
        let mut raft = raft.with_election_timeout(25.0, 50.0)?.with_heartbeat(8.0)?;
        raft.max_batch = 1;
        let mut p = FaultProfile::standard(raft)?;
        p.raft = raft;
        p.loss = 0.05;
        p.duplicate = 0.05;
        p.crashes = 16;
        p.mean_down_ms = 15.0;
        p.partitions = 6;
        p.mean_partition_ms = 100.0;
        Ok(p)
    }

    /// The schedule, network and seed for run `seed`.
    pub fn cluster(&self, seed: u64) -> Result<Cluster> {
        validate::positive("duration_ms", self.duration_ms)?;
        let (lo, hi) = self.delay_ms;
        let net = Network::new(Dist::uniform(lo, hi)?)
            .with_loss(self.loss)
            .with_duplicate(self.duplicate);
        let mut rng = SimRng::stream(seed, FAULT_STREAM);
        let faults = FaultSchedule::random(
            self.raft.servers,
            self.duration_ms * 0.8,
            self.crashes,
            self.partitions,
            self.mean_down_ms,
            self.mean_partition_ms,
            &mut rng,
        )?;
        Cluster::builder(self.raft)
            .seed(seed)
            .network(net)
            .faults(faults)
            .trace(false)
            .workload(self.workload.clone())
            .build()
    }

    /// Run seed `seed` to the end and check the history: the violation, if any.
    pub fn run(&self, seed: u64) -> Result<Option<Violation>> {
        let mut c = self.cluster(seed)?;
        c.run_until_ms(self.duration_ms);
        if let Some(v) = c.violation() {
            return Ok(Some(v.clone()));
        }
        c.check_history()
    }
}

/// The outcome of a [`sweep`].
#[derive(Clone, Debug)]
pub struct SweepReport {
    /// Seeds run.
    pub runs: u64,
    /// The first violation found (the sweep stops there), if any.
    pub violation: Option<Violation>,
    /// Seeds that found no violation before the first one that did.
    pub clean_runs: u64,
}

impl SweepReport {
    /// No property broke in any run.
    pub fn passed(&self) -> bool {
        self.violation.is_none()
    }
}

impl std::fmt::Display for SweepReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.violation {
            None => write!(f, "{} seeded fault schedules, no property violated", self.runs),
            Some(v) => write!(f, "after {} clean seeds: {v}", self.clean_runs),
        }
    }
}

/// Run `profile` for each seed in `seeds`, stopping at the first violation (monitors after
/// every step, then linearizability of the clients' history).
pub fn sweep(profile: &FaultProfile, seeds: std::ops::Range<u64>) -> Result<SweepReport> {
    let mut runs = 0;
    for seed in seeds {
        runs += 1;
        if let Some(v) = profile.run(seed)? {
            return Ok(SweepReport { runs, violation: Some(v), clean_runs: runs - 1 });
        }
    }
    Ok(SweepReport { runs, violation: None, clean_runs: runs })
}

// ---- the election-time experiment (§9.3, Figure 16) ----------------------------------------

/// The setup of the paper's leader-election measurement (§9.3).
#[derive(Clone, Debug, PartialEq)]
pub struct ElectionSetup {
    /// Servers (the paper: 5; it reports 9 as similar).
    pub servers: usize,
    /// Election timeout range (ms).
    pub timeout_ms: (f64, f64),
    /// One-way message delay, uniform in this range (ms). Default 1.5–4 ms.
    pub delay_ms: (f64, f64),
    /// Stable-storage write before a server answers an RPC, uniform in this range (ms; see
    /// [`RaftConfig::persist_ms`]). Default 6–10 ms. With the default delays the broadcast
    /// time ([`ElectionSetup::broadcast_time_ms`]) is 15 ms, the paper's "roughly 15ms".
    pub persist_ms: (f64, f64),
    /// Give the followers logs of different lengths, so some candidates cannot win (the
    /// paper's worst case).
    pub unequal_logs: bool,
    /// A trial with no leader after this long counts as this long (ms; censored).
    pub horizon_ms: f64,
}

impl ElectionSetup {
    /// The paper's setup with `servers` servers and the given timeout range.
    pub fn paper(servers: usize, timeout_ms: (f64, f64)) -> Result<ElectionSetup> {
        let s = ElectionSetup {
            servers,
            timeout_ms,
            delay_ms: (1.5, 4.0),
            persist_ms: (6.0, 10.0),
            unequal_logs: true,
            horizon_ms: 10_000.0,
        };
        s.validate()?;
        Ok(s)
    }

    /// The broadcast time of this setup (§5.6: "the average time it takes a server to send
    /// RPCs in parallel to every server in the cluster and receive their responses"): the mean,
    /// over 10 000 seeded draws, of the slowest of the `servers − 1` round trips, each one way
    /// out, a stable-storage write and one way back (ms).
    pub fn broadcast_time_ms(&self) -> Result<f64> {
        self.validate()?;
        let mut rng = SimRng::new(0x0b0a_dca5);
        let draw = |rng: &mut SimRng, (lo, hi): (f64, f64)| rng.uniform_range(lo, hi);
        const DRAWS: usize = 10_000;
        let mut total = 0.0;
        for _ in 0..DRAWS {
            let mut slowest: f64 = 0.0;
            for _ in 1..self.servers {
                let rtt = draw(&mut rng, self.delay_ms)
                    + draw(&mut rng, self.persist_ms)
                    + draw(&mut rng, self.delay_ms);
                slowest = slowest.max(rtt);
            }
            total += slowest;
        }
        Ok(total / DRAWS as f64)
    }

    fn validate(&self) -> Result<()> {
        if self.servers < 3 {
            return Err(Error::out_of_range(
                "servers",
                self.servers,
                "must be at least 3: after the leader crashes the others must still form a majority",
            ));
        }
        if self.servers > 64 {
            return Err(Error::out_of_range("servers", self.servers, "must be at most 64"));
        }
        validate_timeouts(self.timeout_ms)?;
        let (lo, hi) = self.delay_ms;
        validate::non_negative("delay_ms.min", lo)?;
        validate::ordered("delay_ms.min", lo, "delay_ms.max", hi)?;
        let (lo, hi) = self.persist_ms;
        validate::non_negative("persist_ms.min", lo)?;
        validate::ordered("persist_ms.min", lo, "persist_ms.max", hi)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        Ok(())
    }
}

/// Downtime after a leader crash, in ms, for `trials` trials: the paper's §9.3 measurement
/// (Figure 16) with its setup ([`ElectionSetup::paper`]): `servers` servers, a broadcast time of
/// 15 ms (one-way delays of 1.5–4 ms and a 6–10 ms stable-storage write before every
/// answer), followers with logs of different lengths, the leader sends
/// one synchronized round of heartbeats and crashes at a uniformly random point of its
/// heartbeat interval (half the minimum election timeout); the downtime runs from the crash
/// until another server becomes leader. Trials that elect nobody within 10 s count as 10 000 ms.
///
/// Errors: `servers < 3`, a timeout range with a non-positive or non-finite end or with
/// min > max, `trials == 0`.
///
/// ```
/// let d = course_lib::raft::election_downtime_ms(5, (150.0, 300.0), 200, 1)?;
/// let mut s = d.clone();
/// s.sort_by(f64::total_cmp);
/// assert!(s[100] > 75.0 && s[100] < 300.0); // median: between half the minimum timeout and 300 ms
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn election_downtime_ms(
    servers: usize,
    timeout_ms: (f64, f64),
    trials: usize,
    seed: u64,
) -> Result<Vec<f64>> {
    election_downtime_with(&ElectionSetup::paper(servers, timeout_ms)?, trials, seed)
}

/// [`election_downtime_ms`] with any [`ElectionSetup`].
pub fn election_downtime_with(setup: &ElectionSetup, trials: usize, seed: u64) -> Result<Vec<f64>> {
    setup.validate()?;
    validate::at_least("trials", trials, 1)?;
    (0..trials as u64).map(|k| election_trial(setup, seed, k)).collect()
}

fn election_trial(setup: &ElectionSetup, seed: u64, k: u64) -> Result<f64> {
    let (lo, _) = setup.timeout_ms;
    let cfg = RaftConfig::new(setup.servers)?
        .with_election_timeout(setup.timeout_ms.0, setup.timeout_ms.1)?
        .with_heartbeat(lo / 2.0)?
        .with_persist(setup.persist_ms.0, setup.persist_ms.1)?;
    let mut rng = SimRng::stream(seed, k);
    let trial_seed = rng.next_u64();
    // Logs: the leader has L entries of term 1; the followers a shuffled set of shorter ones.
    let longest = setup.servers;
    let mut lengths: Vec<usize> = (0..setup.servers - 1)
        .map(|i| if setup.unequal_logs { longest - i } else { longest })
        .collect();
    rng.shuffle(&mut lengths);
    let entry =
        |i: usize| Entry { term: 1, command: super::Command::Put { key: 0, value: i as i64 } };
    let mut nodes = RaftNode::group(&cfg, 0);
    nodes[0].preload(1, (0..longest).map(entry).collect());
    nodes[0].force_leader();
    nodes[0].set_frozen(true);
    for (i, len) in lengths.into_iter().enumerate() {
        nodes[i + 1].preload(1, (0..len).map(entry).collect());
    }
    let crash_at = rng.uniform_range(0.0, lo / 2.0);
    let net = Network::new(Dist::uniform(setup.delay_ms.0, setup.delay_ms.1)?);
    let faults = FaultSchedule::new().crash(0, crash_at);
    let mut sim = SimBuilder::new(trial_seed).network(net).faults(faults).build(nodes)?;
    let horizon = Time::from_ms(crash_at + setup.horizon_ms);
    while let Some(t) = sim.step() {
        if t > horizon {
            break;
        }
        if t.as_ms() >= crash_at {
            if let Some(i) = (1..setup.servers).find(|&i| sim.nodes()[i].role() == Role::Leader) {
                let _ = i;
                return Ok(t.as_ms() - crash_at);
            }
        }
    }
    Ok(setup.horizon_ms)
}
