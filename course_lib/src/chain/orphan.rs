//! # Stale (orphan) blocks: miners racing over a network with delay
//!
//! Blocks are found at random: with a block interval T, the whole network finds blocks as a
//! Poisson process of rate 1/T, and a miner with a share s of the hash power finds them at
//! rate s/T. A block takes time d to reach the other miners; if one of them finds a block
//! in that window, it builds on the old tip, two blocks compete at the same height and one
//! of them ends up off the main chain: a **stale** (often called orphan) block, wasted work.
//!
//! **Simple model.** The chance that some other block is found within d of a given block is
//! about 1 − e^(−d/T) ([`stale_rate_model`]); for Bitcoin (T = 600 s) and d ≈ 10 s that is
//! 1.7 %, close to the 1.69 % stale rate Decker and Wattenhofer (2013) measured; the simple
//! model ignores that the miner who found the block does not race itself and that a fork
//! can be won by either side, so the simulation sits a little below it when there are few
//! miners.
//!
//! [`simulate_orphans`] runs [`Miner`] nodes on the course simulator ([`crate::sim`]): each
//! mines on its current tip (an exponential timer: memoryless, so switching tips needs no
//! restart), broadcasts what it finds, and switches to any block higher than its tip
//! (longest chain; first seen wins ties). At the end the main chain is traced back from the
//! highest block, and blocks of settled heights that are not on it are counted as stale.
//!
//! ```
//! use course_lib::chain::{simulate_orphans, stale_rate_model, OrphanConfig};
//! use course_lib::dist::Dist;
//! let cfg = OrphanConfig::new(10, 10_000.0, Dist::constant(1_000.0)?).with_blocks(2_000);
//! let s = simulate_orphans(&cfg, 1)?;
//! let model = stale_rate_model(1_000.0, 10_000.0)?; // 9.5 %
//! assert!((s.stale_rate - model).abs() < 0.03, "{} vs {model}", s.stale_rate);
//! # Ok::<(), course_lib::Error>(())
//! ```

use std::collections::{HashMap, HashSet};

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
use crate::sim::{Ctx, Experiment, Network, Node, NodeId};

/// Blocks within this many heights of the final tip are not counted: they may still be
/// contested when the run stops.
pub const SETTLE_DEPTH: u64 = 6;

/// The stale rate the simple model predicts: 1 − e^(−d/T) for propagation delay `delay_ms`
/// and block interval `interval_ms` (`delay_ms >= 0`, `interval_ms > 0`).
pub fn stale_rate_model(delay_ms: f64, interval_ms: f64) -> Result<f64> {
    let d = validate::non_negative("delay_ms", delay_ms)?;
    let t = validate::positive("interval_ms", interval_ms)?;
    Ok(-libm::expm1(-d / t))
}

/// A block announcement: the block's id, its parent's id and its height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockMsg {
    /// Unique id (miner number in the high bits).
    pub id: u64,
    /// Parent's id (0 = genesis).
    pub parent: u64,
    /// Height (genesis = 0).
    pub height: u64,
}

/// A block as the miner that found it recorded it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinedBlock {
    /// The announcement.
    pub block: BlockMsg,
    /// When it was found (ms).
    pub at_ms: f64,
}

/// A miner with a share of the total hash power.
#[derive(Clone, Debug)]
pub struct Miner {
    rate_per_ms: f64,
    tip: BlockMsg,
    next_seq: u64,
    mined: Vec<MinedBlock>,
    switches: u64,
}

impl Miner {
    /// A miner that finds blocks at rate `share / interval_ms`.
    pub fn new(share: f64, interval_ms: f64) -> Miner {
        Miner {
            rate_per_ms: share / interval_ms,
            tip: BlockMsg { id: 0, parent: 0, height: 0 },
            next_seq: 1,
            mined: Vec::new(),
            switches: 0,
        }
    }

    /// The block this miner is building on.
    pub fn tip(&self) -> BlockMsg {
        self.tip
    }

    /// Blocks this miner found.
    pub fn mined(&self) -> &[MinedBlock] {
        &self.mined
    }

    /// How often it switched to another miner's block.
    pub fn switches(&self) -> u64 {
        self.switches
    }

    fn schedule(&self, ctx: &mut Ctx<Self>) {
        if self.rate_per_ms > 0.0 {
            let wait = ctx.rng().exponential(self.rate_per_ms);
            ctx.set_timer(wait, ());
        }
    }
}

impl Node for Miner {
    type Msg = BlockMsg;
    type Timer = ();
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        self.schedule(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, _: ()) {
        let id = ((ctx.id().0 as u64 + 1) << 40) | self.next_seq;
        self.next_seq += 1;
        let block = BlockMsg { id, parent: self.tip.id, height: self.tip.height + 1 };
        self.tip = block;
        self.mined.push(MinedBlock { block, at_ms: ctx.now_ms() });
        ctx.broadcast(block);
        self.schedule(ctx);
    }

    fn on_message(&mut self, _ctx: &mut Ctx<Self>, _from: NodeId, block: BlockMsg) {
        if block.height > self.tip.height {
            self.tip = block;
            self.switches += 1;
        }
    }

    fn restarted(&self) -> Self {
        self.clone()
    }
}

/// Parameters of a stale-block simulation. Setters never fail; [`simulate_orphans`] checks
/// the configuration ([`OrphanConfig::validate`]) and names the first bad parameter.
///
/// ```
/// use course_lib::chain::{simulate_orphans, OrphanConfig};
/// use course_lib::dist::Dist;
/// let cfg = OrphanConfig::new(1, 600_000.0, Dist::Constant { value: 10_000.0 });
/// let e = simulate_orphans(&cfg, 1).unwrap_err().to_string();
/// assert_eq!(e, "miners = 1 is out of range: must be at least 2");
/// ```
#[derive(Clone, Debug)]
pub struct OrphanConfig {
    miners: usize,
    interval_ms: f64,
    network: Network,
    blocks: u64,
}

impl OrphanConfig {
    /// `miners >= 2` miners with equal hash power, a mean block interval (`> 0` ms) and a
    /// propagation delay distribution (ms) on every link; 5 000 blocks by default.
    pub fn new(miners: usize, interval_ms: f64, delay: Dist) -> OrphanConfig {
        OrphanConfig { miners, interval_ms, network: Network::new(delay), blocks: 5_000 }
    }

    /// The network between the miners (checked when run), e.g. one slow miner with
    /// `Network::new(d).with_link_both(0, 1, slow)`; the model's delay is the mean delay of
    /// its default link.
    pub fn network(mut self, network: Network) -> OrphanConfig {
        self.network = network;
        self
    }

    /// Simulate for `blocks` mean block intervals (at least 100).
    pub fn with_blocks(mut self, blocks: u64) -> OrphanConfig {
        self.blocks = blocks;
        self
    }

    /// Checks the miners, the block interval and the number of blocks, naming the first bad
    /// one (the network is checked against the miners when the simulation is built).
    ///
    /// # Errors
    /// Fewer than 2 miners, an interval that is not positive, fewer than 100 blocks.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("miners", self.miners, 2)?;
        validate::positive("interval_ms", self.interval_ms)?;
        if self.blocks < 100 {
            return Err(Error::out_of_range("blocks", self.blocks, "must be at least 100"));
        }
        Ok(())
    }
}

/// What a stale-block simulation found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrphanStats {
    /// Blocks found in total.
    pub mined: u64,
    /// Blocks at settled heights (all but the last [`SETTLE_DEPTH`]).
    pub counted: u64,
    /// Of those, blocks not on the main chain.
    pub stale: u64,
    /// stale / counted.
    pub stale_rate: f64,
    /// Height of the main chain's tip.
    pub height: u64,
    /// The simple model's prediction, 1 − e^(−mean delay / interval).
    pub model: f64,
}

/// Run the miners of `cfg` on the simulator with `seed` and count stale blocks.
///
/// # Errors
/// A bad parameter ([`OrphanConfig::validate`] says which) or a network for another number of
/// miners.
pub fn simulate_orphans(cfg: &OrphanConfig, seed: u64) -> Result<OrphanStats> {
    cfg.validate()?;
    let share = 1.0 / cfg.miners as f64;
    let nodes = vec![Miner::new(share, cfg.interval_ms); cfg.miners];
    let report = Experiment::new(nodes)
        .network(cfg.network.clone())
        .horizon_ms(cfg.blocks as f64 * cfg.interval_ms)
        .run(seed)?;
    let sim = report.sim();

    let mut parent: HashMap<u64, u64> = HashMap::new();
    let mut all: Vec<MinedBlock> = Vec::new();
    for m in sim.nodes() {
        for b in m.mined() {
            parent.insert(b.block.id, b.block.parent);
            all.push(*b);
        }
    }
    // the main chain ends at the highest block (found first among equals)
    let tip = all
        .iter()
        .max_by(|a, b| {
            a.block.height.cmp(&b.block.height).then_with(|| b.at_ms.total_cmp(&a.at_ms))
        })
        .ok_or_else(|| Error::invalid("simulation", "no block was mined; run more blocks"))?;
    let mut main = HashSet::new();
    let mut id = tip.block.id;
    while id != 0 {
        main.insert(id);
        id = parent[&id];
    }
    let settled = tip.block.height.saturating_sub(SETTLE_DEPTH);
    let counted: Vec<&MinedBlock> = all.iter().filter(|b| b.block.height <= settled).collect();
    let stale = counted.iter().filter(|b| !main.contains(&b.block.id)).count() as u64;
    let n = counted.len() as u64;
    let mean_delay = cfg.network.default_link().delay().mean().unwrap_or(f64::INFINITY);
    Ok(OrphanStats {
        mined: all.len() as u64,
        counted: n,
        stale,
        stale_rate: if n == 0 { 0.0 } else { stale as f64 / n as f64 },
        height: tip.block.height,
        model: stale_rate_model(mean_delay, cfg.interval_ms).unwrap_or(f64::NAN),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_delay_no_stale_blocks_and_height_tracks_time() {
        let cfg = OrphanConfig::new(5, 1_000.0, Dist::constant(0.0).unwrap()).with_blocks(1_000);
        let s = simulate_orphans(&cfg, 3).unwrap();
        assert_eq!(s.stale, 0);
        assert_eq!(s.mined, s.height);
        assert!((s.mined as f64 - 1_000.0).abs() < 5.0 * 1_000f64.sqrt(), "{s:?}");
    }

    #[test]
    fn stale_rate_grows_with_delay_and_follows_the_simple_model() {
        let mut prev = -1.0;
        for d in [100.0, 500.0, 1_500.0] {
            let cfg =
                OrphanConfig::new(20, 10_000.0, Dist::constant(d).unwrap()).with_blocks(8_000);
            let s = simulate_orphans(&cfg, 9).unwrap();
            assert!(s.stale_rate > prev, "{s:?}");
            prev = s.stale_rate;
            // within 25 % of the model (plus sampling noise): the model ignores self-races
            let model = stale_rate_model(d, 10_000.0).unwrap();
            assert!((s.stale_rate - model).abs() < 0.25 * model + 0.005, "d {d}: {s:?}");
        }
        let cfg = OrphanConfig::new(4, 1_000.0, Dist::exponential_mean(100.0).unwrap());
        let a = simulate_orphans(&cfg, 5).unwrap();
        assert_eq!(a, simulate_orphans(&cfg, 5).unwrap(), "same seed, same result");
    }

    #[test]
    fn bad_input() {
        let d = Dist::constant(1.0).unwrap();
        // setters never fail: the simulation names the first bad parameter
        let err = |cfg: OrphanConfig| simulate_orphans(&cfg, 1).unwrap_err().to_string();
        assert!(err(OrphanConfig::new(1, 1.0, d.clone())).starts_with("miners = 1"));
        let e = err(OrphanConfig::new(3, 0.0, d.clone()));
        assert_eq!(e, "interval_ms = 0 is out of range: must be a finite number > 0");
        let e = err(OrphanConfig::new(3, 1.0, d.clone()).with_blocks(10));
        assert_eq!(e, "blocks = 10 is out of range: must be at least 100");
        assert!(OrphanConfig::new(3, 1.0, d.clone()).validate().is_ok());
        let wrong_network =
            Network::new(d.clone()).with_link(0, 7, crate::sim::Link::new(d.clone()));
        assert!(simulate_orphans(&OrphanConfig::new(3, 1.0, d).network(wrong_network), 1).is_err());
        assert!(stale_rate_model(-1.0, 10.0).is_err());
        assert!(stale_rate_model(1.0, 0.0).is_err());
        assert_eq!(stale_rate_model(0.0, 10.0).unwrap(), 0.0);
    }
}
