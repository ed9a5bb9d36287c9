//! # The chat-server lab: a multi-user chat service, its SLIs, and an SLO to hold it to
//!
//! Seed 003's class project is a bare-bones multi-user chat server; seed 000 pairs it with
//! SLIs, SLOs and SLAs. Here the server and its users run on the simulator ([`crate::sim`]):
//!
//! * node `n0` is the **server**; nodes `n1 … nU` are **clients** (users);
//! * a client posts messages at random (a Poisson process); a post goes to the server, which
//!   acknowledges it to the author and fans it out to every other client;
//! * a client that gets no acknowledgement within a timeout sends the post again, up to a
//!   number of attempts; the server remembers which posts it has seen (in memory, so a crash
//!   forgets) and clients ignore duplicates;
//! * failures are injected as data: link loss and delay ([`crate::sim::Network`]), server
//!   crashes and restarts, partitions ([`crate::sim::FaultSchedule`]).
//!
//! Three **SLIs**, each a ratio of good to valid events, as SLOs are written:
//!
//! * **availability**: posts acknowledged to their author / posts made;
//! * **delivery latency**: the 99th percentile, over (post, recipient) pairs delivered, of
//!   the time from posting to display at the recipient (the crate's one sample quantile,
//!   [`crate::stats::quantile`]: Hyndman & Fan type 7);
//! * **delivered fraction**: (post, recipient) pairs delivered / pairs that should have been
//!   (every post to every other client).
//!
//! ```
//! use course_lib::chat::{run_chat, ChatConfig, ChatSlo};
//! let report = run_chat(&ChatConfig::new(4).with_duration_ms(10_000.0), 1)?;
//! assert!(report.availability() > 0.99);
//! println!("{}", report.check(&ChatSlo::default()));
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Reading
//! * C. Colohan, "Distributed Systems Course", class project: a multiuser chat server
//!   (distributedsystemscourse.com).
//! * B. Beyer et al. (eds.), *Site Reliability Engineering*, O'Reilly 2016, ch. 4 (choosing
//!   SLIs: availability, latency, and for pipelines, freshness and correctness).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{Ctx, Experiment, FaultSchedule, Network, Node, NodeId};
use crate::slo::SliSeries;
use crate::stats;

/// A post's identity: (author node, the author's sequence number).
pub type PostId = (usize, u32);

/// Messages of the chat protocol.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatMsg {
    /// Client → server: a new post (or a retry of one), posted at `posted_ms`.
    Post {
        /// Which post.
        id: PostId,
        /// When the author first posted it.
        posted_ms: f64,
    },
    /// Server → author: the post is accepted.
    Ack {
        /// Which post.
        id: PostId,
    },
    /// Server → other clients: show this post.
    Deliver {
        /// Which post.
        id: PostId,
        /// When the author first posted it.
        posted_ms: f64,
    },
}

/// Timers of a chat client.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatTimer {
    /// Time to post the next message.
    NextPost,
    /// No acknowledgement yet for post `seq` after attempt `attempt`.
    AckTimeout {
        /// The author's sequence number.
        seq: u32,
        /// Attempts made so far (1 = the first send).
        attempt: u32,
    },
}

/// What a client remembers about one of its posts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PostRecord {
    /// When it was posted (ms).
    pub posted_ms: f64,
    /// When the acknowledgement arrived (ms), if it did.
    pub acked_ms: Option<f64>,
    /// Sends, including retries.
    pub attempts: u32,
}

/// Client behaviour, shared by every client.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ClientParams {
    posts_per_ms: f64,
    stop_ms: f64,
    ack_timeout_ms: f64,
    max_attempts: u32,
}

/// A node of the chat system: the server (`n0`) or a client.
///
/// A client's records (its posts and what it received) stand for the measurement pipeline,
/// not for the client's memory: they survive a crash of the client.
#[derive(Clone, Debug)]
pub struct ChatNode {
    params: ClientParams,
    /// Server: posts seen (volatile).
    seen: HashSet<PostId>,
    /// Client: next sequence number.
    next_seq: u32,
    /// Client: its posts, by sequence number.
    posts: Vec<PostRecord>,
    /// Client: posts received from others → delivery latency (ms).
    received: HashMap<PostId, f64>,
}

impl ChatNode {
    fn new(params: ClientParams) -> ChatNode {
        ChatNode {
            params,
            seen: HashSet::new(),
            next_seq: 0,
            posts: Vec::new(),
            received: HashMap::new(),
        }
    }

    /// A client's posts.
    pub fn posts(&self) -> &[PostRecord] {
        &self.posts
    }

    /// Posts a client received from others, with their delivery latency (ms).
    pub fn received(&self) -> &HashMap<PostId, f64> {
        &self.received
    }

    fn schedule_next_post(&self, ctx: &mut Ctx<Self>) {
        let gap = ctx.rng().exponential(self.params.posts_per_ms);
        if ctx.now_ms() + gap < self.params.stop_ms {
            ctx.set_timer(gap, ChatTimer::NextPost);
        }
    }
}

impl Node for ChatNode {
    type Msg = ChatMsg;
    type Timer = ChatTimer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        if ctx.id() != NodeId(0) {
            self.schedule_next_post(ctx);
            // a restarted client gives up on the posts it was retrying
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: ChatMsg) {
        match msg {
            ChatMsg::Post { id, posted_ms } => {
                if ctx.id() != NodeId(0) {
                    return;
                }
                if self.seen.insert(id) {
                    for c in 1..ctx.cluster_size() {
                        if c != id.0 {
                            ctx.send(NodeId(c), ChatMsg::Deliver { id, posted_ms });
                        }
                    }
                }
                ctx.send(from, ChatMsg::Ack { id });
            }
            ChatMsg::Ack { id } => {
                let now = ctx.now_ms();
                if let Some(p) = self.posts.get_mut(id.1 as usize) {
                    p.acked_ms.get_or_insert(now);
                }
            }
            ChatMsg::Deliver { id, posted_ms } => {
                let latency = ctx.now_ms() - posted_ms;
                self.received.entry(id).or_insert(latency);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: ChatTimer) {
        match timer {
            ChatTimer::NextPost => {
                let seq = self.next_seq;
                self.next_seq += 1;
                let now = ctx.now_ms();
                self.posts.push(PostRecord { posted_ms: now, acked_ms: None, attempts: 1 });
                ctx.send(NodeId(0), ChatMsg::Post { id: (ctx.id().0, seq), posted_ms: now });
                ctx.set_timer(
                    self.params.ack_timeout_ms,
                    ChatTimer::AckTimeout { seq, attempt: 1 },
                );
                self.schedule_next_post(ctx);
            }
            ChatTimer::AckTimeout { seq, attempt } => {
                let me = ctx.id().0;
                let max = self.params.max_attempts;
                let timeout = self.params.ack_timeout_ms;
                if let Some(p) = self.posts.get_mut(seq as usize) {
                    if p.acked_ms.is_none() && attempt < max {
                        p.attempts += 1;
                        let posted_ms = p.posted_ms;
                        ctx.send(NodeId(0), ChatMsg::Post { id: (me, seq), posted_ms });
                        ctx.set_timer(timeout, ChatTimer::AckTimeout { seq, attempt: attempt + 1 });
                    }
                }
            }
        }
    }

    fn restarted(&self) -> Self {
        // the server forgets which posts it has seen; clients keep their measurement records
        ChatNode {
            params: self.params,
            seen: HashSet::new(),
            next_seq: self.next_seq,
            posts: self.posts.clone(),
            received: self.received.clone(),
        }
    }
}

/// A chat experiment: users, their behaviour, the network, the faults (the seed is an
/// argument of [`run_chat`], as for every experiment). Setters never fail; the run checks the
/// configuration ([`ChatConfig::validate`]) and names the first bad parameter.
///
/// ```
/// use course_lib::chat::{run_chat, ChatConfig};
/// let e = run_chat(&ChatConfig::new(4).with_posts_per_s(0.0), 1).unwrap_err();
/// assert!(e.to_string().starts_with("posts_per_s = 0"), "{e}");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ChatConfig {
    /// Number of clients (users), at least 2.
    pub clients: usize,
    /// Posts per second per client.
    pub posts_per_s: f64,
    /// How long users post (ms); the run continues 5 s longer so messages can drain.
    pub duration_ms: f64,
    /// Time a client waits for an acknowledgement before sending again (ms).
    pub ack_timeout_ms: f64,
    /// Sends per post, including the first.
    pub max_attempts: u32,
    /// The network.
    pub network: Network,
    /// Injected faults (node 0 is the server).
    pub faults: FaultSchedule,
}

impl ChatConfig {
    /// `clients` users posting once a second each for 60 s, over a network with log-normal
    /// delays (median 5 ms, p99 40 ms) and 0.5 % loss, a 200 ms acknowledgement timeout and
    /// three attempts; no faults. At least 2 clients (checked when run).
    pub fn new(clients: usize) -> ChatConfig {
        let delay = Dist::lognormal_from_median_p99(5.0, 40.0).expect("valid constants");
        ChatConfig {
            clients,
            posts_per_s: 1.0,
            duration_ms: 60_000.0,
            ack_timeout_ms: 200.0,
            max_attempts: 3,
            network: Network::new(delay).with_loss(0.005),
            faults: FaultSchedule::new(),
        }
    }

    /// Sets how long users post (ms, > 0).
    pub fn with_duration_ms(mut self, ms: f64) -> ChatConfig {
        self.duration_ms = ms;
        self
    }

    /// Sets the posting rate per client (posts/s, > 0).
    pub fn with_posts_per_s(mut self, rate: f64) -> ChatConfig {
        self.posts_per_s = rate;
        self
    }

    /// Sets the acknowledgement timeout (ms, > 0) and attempts per post (≥ 1).
    pub fn with_retries(mut self, ack_timeout_ms: f64, max_attempts: u32) -> ChatConfig {
        self.ack_timeout_ms = ack_timeout_ms;
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the network.
    pub fn with_network(mut self, network: Network) -> ChatConfig {
        self.network = network;
        self
    }

    /// Sets the faults (node 0 is the server, 1..=clients the users).
    pub fn with_faults(mut self, faults: FaultSchedule) -> ChatConfig {
        self.faults = faults;
        self
    }

    /// Checks every parameter, naming the first bad one (the network and the faults are
    /// checked against the cluster when the run builds its simulation).
    ///
    /// # Errors
    /// Fewer than 2 clients; a duration, posting rate or acknowledgement timeout that is not
    /// positive; 0 attempts per post.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("clients", self.clients, 2)?;
        validate::positive("duration_ms", self.duration_ms)?;
        validate::positive("posts_per_s", self.posts_per_s)?;
        validate::positive("ack_timeout_ms", self.ack_timeout_ms)?;
        validate::at_least("max_attempts", self.max_attempts as usize, 1)?;
        Ok(())
    }
}

/// Runs the chat experiment with this seed and measures its SLIs.
///
/// # Errors
/// A bad parameter ([`ChatConfig::validate`] says which), or a fault naming a node that does
/// not exist (the error says which).
pub fn run_chat(cfg: &ChatConfig, seed: u64) -> Result<ChatReport> {
    cfg.validate()?;
    let params = ClientParams {
        posts_per_ms: cfg.posts_per_s / 1000.0,
        stop_ms: cfg.duration_ms,
        ack_timeout_ms: cfg.ack_timeout_ms,
        max_attempts: cfg.max_attempts,
    };
    let nodes = vec![ChatNode::new(params); cfg.clients + 1];
    let report = Experiment::new(nodes)
        .network(cfg.network.clone())
        .faults(cfg.faults.clone())
        .horizon_ms(cfg.duration_ms + 5_000.0)
        .run(seed)?;
    let sim = report.sim();
    let clients = &sim.nodes()[1..];
    let mut posts: Vec<(usize, PostRecord)> = Vec::new();
    for (k, c) in clients.iter().enumerate() {
        posts.extend(c.posts.iter().map(|p| (k + 1, *p)));
    }
    posts.sort_by(|a, b| a.1.posted_ms.total_cmp(&b.1.posted_ms));
    let mut latencies: Vec<f64> =
        clients.iter().flat_map(|c| c.received.values().copied()).collect();
    latencies.sort_by(f64::total_cmp);
    Ok(ChatReport { clients: cfg.clients, duration_ms: cfg.duration_ms, posts, latencies })
}

/// The measurements of one chat run.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatReport {
    pub(crate) clients: usize,
    duration_ms: f64,
    /// (author, record) in order of posting.
    posts: Vec<(usize, PostRecord)>,
    /// Delivery latencies of all delivered (post, recipient) pairs, sorted (ms).
    latencies: Vec<f64>,
}

impl ChatReport {
    /// Posts made.
    pub fn posts(&self) -> usize {
        self.posts.len()
    }

    /// Availability SLI: posts acknowledged / posts made (1 if none were made).
    pub fn availability(&self) -> f64 {
        if self.posts.is_empty() {
            return 1.0;
        }
        self.posts.iter().filter(|(_, p)| p.acked_ms.is_some()).count() as f64
            / self.posts.len() as f64
    }

    /// Delivery latencies of the delivered (post, recipient) pairs, sorted (ms).
    pub fn delivery_latencies_ms(&self) -> &[f64] {
        &self.latencies
    }

    /// The 99th percentile delivery latency (ms), by [`stats::quantile`] (type 7: linear
    /// interpolation between order statistics); `None` if nothing was delivered.
    pub fn p99_delivery_ms(&self) -> Option<f64> {
        stats::quantile(&self.latencies, 0.99).ok()
    }

    /// Delivered fraction SLI: pairs delivered / (posts × (clients − 1)).
    pub fn delivered_fraction(&self) -> f64 {
        let expected = self.posts.len() * (self.clients - 1);
        if expected == 0 {
            1.0
        } else {
            self.latencies.len() as f64 / expected as f64
        }
    }

    /// The availability SLI as a time series: per `interval`, posts acknowledged (good) and
    /// posts made (total), by posting time. Feed it to the [`crate::slo`] alerting.
    pub fn availability_series(&self, interval: Duration) -> Result<SliSeries> {
        let step = interval.as_secs_f64() * 1000.0;
        if step <= 0.0 {
            return Err(Error::out_of_range("interval", "0 s", "must be a positive duration"));
        }
        let n = ((self.duration_ms / step).ceil() as usize).max(1);
        let (mut good, mut total) = (vec![0i64; n], vec![0i64; n]);
        for (_, p) in &self.posts {
            let k = ((p.posted_ms / step) as usize).min(n - 1);
            total[k] += 1;
            good[k] += i64::from(p.acked_ms.is_some());
        }
        SliSeries::new(interval, good, total)
    }

    /// Whether every SLI meets `slo`.
    pub fn meets(&self, slo: &ChatSlo) -> bool {
        self.availability() >= slo.availability
            && self.p99_delivery_ms().is_some_and(|v| v <= slo.p99_delivery_ms)
            && self.delivered_fraction() >= slo.delivered_fraction
    }
}

/// Objectives for the three chat SLIs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChatSlo {
    /// Minimum availability (fraction of posts acknowledged).
    pub availability: f64,
    /// Maximum p99 delivery latency (ms).
    pub p99_delivery_ms: f64,
    /// Minimum delivered fraction.
    pub delivered_fraction: f64,
}

impl Default for ChatSlo {
    /// 99.9 % of posts acknowledged, p99 delivery within 250 ms, 99 % of copies delivered.
    fn default() -> Self {
        ChatSlo { availability: 0.999, p99_delivery_ms: 250.0, delivered_fraction: 0.99 }
    }
}

impl ChatSlo {
    /// Objectives, each checked: fractions in (0, 1), latency > 0.
    pub fn new(
        availability: f64,
        p99_delivery_ms: f64,
        delivered_fraction: f64,
    ) -> Result<ChatSlo> {
        crate::slo::check_target("availability", availability)?;
        validate::positive("p99_delivery_ms", p99_delivery_ms)?;
        crate::slo::check_target("delivered_fraction", delivered_fraction)?;
        Ok(ChatSlo { availability, p99_delivery_ms, delivered_fraction })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_run_meets_the_slo() {
        let r = run_chat(&ChatConfig::new(6), 1).unwrap();
        assert!(r.posts() > 300, "{}", r.posts());
        assert!(r.meets(&ChatSlo::default()), "{}", r.check(&ChatSlo::default()));
    }

    #[test]
    fn a_server_crash_costs_availability_and_delivery() {
        let faults = FaultSchedule::new().crash(0, 20_000.0).restart(0, 30_000.0);
        let cfg = ChatConfig::new(6).with_faults(faults);
        let r = run_chat(&cfg, 1).unwrap();
        // ten of sixty seconds down: about a sixth of posts lost
        assert!((0.78..0.9).contains(&r.availability()), "{}", r.availability());
        assert!(r.delivered_fraction() < 0.9);
        assert!(!r.meets(&ChatSlo::default()));
        let s = r.availability_series(Duration::from_secs(1)).unwrap();
        assert_eq!(s.len(), 60);
        assert_eq!(s.good()[25], 0);
        // same seed, same report
        assert_eq!(r, run_chat(&cfg, 1).unwrap());
    }

    #[test]
    fn retries_mask_loss() {
        let lossy = Network::new(Dist::constant(5.0).unwrap()).with_loss(0.05);
        let once = ChatConfig::new(4).with_network(lossy.clone()).with_retries(50.0, 1);
        let thrice = ChatConfig::new(4).with_network(lossy).with_retries(50.0, 3);
        let (a1, a3) = (
            run_chat(&once, 1).unwrap().availability(),
            run_chat(&thrice, 1).unwrap().availability(),
        );
        // one attempt: the post and its ack both survive with 0.95² ≈ 0.90
        assert!((0.86..0.94).contains(&a1), "{a1}");
        assert!(a3 > 0.99, "{a3}");
    }

    #[test]
    fn bad_config_is_an_error() {
        // setters never fail: the run names the first bad parameter
        let err = |cfg: ChatConfig| run_chat(&cfg, 1).unwrap_err().to_string();
        assert_eq!(err(ChatConfig::new(0)), "clients = 0 is out of range: must be at least 2");
        assert!(err(ChatConfig::new(1)).starts_with("clients = 1"));
        let ok = ChatConfig::new(2);
        assert!(ok.validate().is_ok());
        assert!(err(ok.clone().with_duration_ms(0.0)).starts_with("duration_ms = 0"));
        let e = err(ok.clone().with_posts_per_s(-1.0));
        assert_eq!(e, "posts_per_s = -1 is out of range: must be a finite number > 0");
        assert!(err(ok.clone().with_retries(f64::NAN, 3)).starts_with("ack_timeout_ms = NaN"));
        let e = err(ok.clone().with_retries(100.0, 0));
        assert_eq!(e, "max_attempts = 0 is out of range: must be at least 1");
        let cfg = ok.with_faults(FaultSchedule::new().crash(9, 1.0));
        assert!(run_chat(&cfg, 1).is_err());
        assert!(ChatSlo::new(1.0, 100.0, 0.9).unwrap_err().to_string().starts_with("availability"));
    }
}
