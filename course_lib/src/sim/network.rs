//! The network as data: per-link delay distributions, loss, duplication and ordering.

use std::collections::BTreeMap;
use std::fmt;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};

/// How one directed link behaves.
///
/// * `delay`: one-way delay in milliseconds, drawn independently for every message (negative
///   samples, possible with a normal distribution, are treated as 0);
/// * `loss`: probability that a message is silently dropped;
/// * `duplicate`: probability that a message is delivered twice (the copy gets its own delay);
/// * `fifo`: when `true`, messages on this link arrive in the order they were sent (a TCP-like
///   link: a message never overtakes an earlier one); when `false`, independent delays reorder
///   messages, as UDP datagrams can be.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    delay: Dist,
    loss: f64,
    duplicate: f64,
    fifo: bool,
}

impl Link {
    /// A reliable, non-FIFO link with the given delay distribution (ms).
    pub fn new(delay: Dist) -> Link {
        Link { delay, loss: 0.0, duplicate: 0.0, fifo: false }
    }

    /// Set the loss probability (in `[0, 1]`; checked when the simulation is built).
    pub fn with_loss(mut self, loss: f64) -> Link {
        self.loss = loss;
        self
    }

    /// Set the duplication probability (in `[0, 1]`; checked when the simulation is built).
    pub fn with_duplicate(mut self, duplicate: f64) -> Link {
        self.duplicate = duplicate;
        self
    }

    /// Check the parameters, naming the first bad one.
    pub fn check(&self) -> Result<()> {
        validate::probability("loss", self.loss)?;
        validate::probability("duplicate", self.duplicate)?;
        self.delay.check()
    }

    /// FIFO (`true`) or reordering (`false`) delivery.
    pub fn with_fifo(mut self, fifo: bool) -> Link {
        self.fifo = fifo;
        self
    }

    /// Replace the delay distribution.
    pub fn with_delay(mut self, delay: Dist) -> Link {
        self.delay = delay;
        self
    }

    /// The delay distribution (ms).
    pub fn delay(&self) -> &Dist {
        &self.delay
    }
    /// The loss probability.
    pub fn loss(&self) -> f64 {
        self.loss
    }
    /// The duplication probability.
    pub fn duplicate(&self) -> f64 {
        self.duplicate
    }
    /// Whether the link preserves order.
    pub fn fifo(&self) -> bool {
        self.fifo
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "delay {}, loss {}, duplicate {}, {}",
            self.delay,
            self.loss,
            self.duplicate,
            if self.fifo { "FIFO" } else { "may reorder" }
        )
    }
}

/// The whole network: a default [`Link`] for every pair of nodes plus per-link overrides.
///
/// ```
/// use course_lib::dist::Dist;
/// use course_lib::sim::{Link, Network};
/// # fn main() -> course_lib::Result<()> {
/// let lan = Network::new(Dist::exponential_mean(0.5)?).with_loss(0.01);
/// // the link from n0 to n2 crosses an ocean
/// let net = lan.with_link(0, 2, Link::new(Dist::constant(75.0)?));
/// println!("{net}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    default: Link,
    overrides: BTreeMap<(usize, usize), Link>,
}

impl Network {
    /// Every link reliable, non-FIFO, with this delay distribution (ms).
    pub fn new(delay: Dist) -> Network {
        Network { default: Link::new(delay), overrides: BTreeMap::new() }
    }

    /// A network where every link behaves like `link`.
    pub fn uniform(link: Link) -> Network {
        Network { default: link, overrides: BTreeMap::new() }
    }

    /// Set the loss probability of the default link (in `[0, 1]`; checked when the
    /// simulation is built).
    pub fn with_loss(mut self, loss: f64) -> Network {
        self.default = self.default.with_loss(loss);
        self
    }

    /// Set the duplication probability of the default link (in `[0, 1]`; checked when the
    /// simulation is built).
    pub fn with_duplicate(mut self, duplicate: f64) -> Network {
        self.default = self.default.with_duplicate(duplicate);
        self
    }

    /// Replace the delay distribution of the default link.
    pub fn with_delay(mut self, delay: Dist) -> Network {
        self.default = self.default.with_delay(delay);
        self
    }

    /// Make the default link FIFO or not.
    pub fn with_fifo(mut self, fifo: bool) -> Network {
        self.default = self.default.with_fifo(fifo);
        self
    }

    /// Override the directed link `from → to`. Node ids are checked against the cluster size
    /// when the simulation is built, and a self-link is rejected then (a node's messages to
    /// itself are local and never use the network).
    pub fn with_link(mut self, from: usize, to: usize, link: Link) -> Network {
        self.overrides.insert((from, to), link);
        self
    }

    /// Override both directions `a → b` and `b → a`.
    pub fn with_link_both(self, a: usize, b: usize, link: Link) -> Network {
        self.with_link(a, b, link.clone()).with_link(b, a, link)
    }

    /// The default link.
    pub fn default_link(&self) -> &Link {
        &self.default
    }

    /// The link `from → to` (its override, or the default).
    pub fn link(&self, from: usize, to: usize) -> &Link {
        self.overrides.get(&(from, to)).unwrap_or(&self.default)
    }

    /// Check every link's parameters, and that every override names a node of a cluster of
    /// `n` nodes and is not a self-link.
    pub fn validate(&self, n: usize) -> Result<()> {
        self.default.check()?;
        for (&(a, b), link) in &self.overrides {
            if a == b {
                return Err(Error::invalid(
                    "link",
                    format!("n{a} → n{b} is a self-link: a node's messages to itself are local and never use the network"),
                ));
            }
            link.check().map_err(|e| Error::invalid(format!("link n{a} → n{b}"), e.to_string()))?;
            for x in [a, b] {
                if x >= n {
                    return Err(Error::UnknownNode {
                        node: x,
                        cluster_size: n,
                        context: "a network link override".into(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Dense per-link table for a cluster of `n` nodes: index `from * n + to`. Links that are
    /// not overridden share the default (index 0 of the returned links).
    pub(crate) fn dense(&self, n: usize) -> (Vec<Link>, Vec<u32>) {
        let mut links = vec![self.default.clone()];
        let mut index = vec![0u32; n * n];
        for (&(a, b), link) in &self.overrides {
            index[a * n + b] = links.len() as u32;
            links.push(link.clone());
        }
        (links, index)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "network: every link: {}", self.default)?;
        for ((a, b), l) in &self.overrides {
            writeln!(f, "  n{a} → n{b}: {l}")?;
        }
        Ok(())
    }
}
