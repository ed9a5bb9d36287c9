//! # Blockchains: hash chains, proof of work and the longest (most-work) chain
//!
//! A blockchain is an append-only log that nobody owns. Bitcoin (Nakamoto, 2008) makes a
//! log tamper-evident and agreed upon with three ideas, each implemented here:
//!
//! * **A hash chain.** Every [`Block`] carries the SHA-256 hash of its predecessor's header
//!   (`prev_hash`) and a hash of its own transactions (`tx_root`, a Merkle root). Changing any
//!   byte of any block changes its hash, which breaks the link from its successor: to rewrite
//!   history you must rewrite everything after it.
//! * **Proof of work.** A block is valid only if the SHA-256 hash of its header, read as a
//!   256-bit number, has at least `difficulty_bits` leading zero bits. Hashes behave like
//!   uniform random numbers, so finding a nonce that works takes 2^d attempts on average
//!   ([`Block::mine`]), while checking it takes one. The **work** of a block is 2^d, the
//!   expected number of hashes it cost, and the work of a chain is the sum over its blocks.
//! * **Fork choice.** Miners extend the chain with the **most accumulated work** (informally
//!   "the longest chain"; with a constant difficulty the two coincide). An attacker who wants
//!   to replace the last z blocks must out-compute the honest network, and the probability
//!   that an attacker with a fraction q of the hash power ever succeeds falls exponentially in
//!   z ([`attack`], Nakamoto 2008 §11).
//!
//! [`validate_chain`] checks a chain block by block and, when it fails, says **which** block is
//! bad and **why** ([`InvalidBlock`], [`BlockFault`]): a stored hash that is not the header's
//! hash, a broken `prev_hash` link, a wrong height, a hash that does not meet its difficulty,
//! a difficulty below the rules' minimum, transactions that do not match `tx_root`, a timestamp
//! that goes backwards, or a wrong genesis block. [`fork_choice`] picks the chain with the
//! most work, so a *longer* chain of easier blocks loses to a shorter chain of harder ones.
//!
//! Propagation delay makes honest miners fork too: a block found while another is still on
//! its way is wasted (a *stale* or *orphan* block). [`orphan`] simulates miners on the
//! course simulator and compares the stale rate with the simple model 1 − e^(−d/T) for
//! propagation delay d and block interval T.
//!
//! ```
//! use course_lib::chain::*;
//! let rules = ChainRules::new(8)?;               // 2^8 = 256 hashes per block on average
//! let mut chain = vec![Block::genesis()];
//! for i in 0..3 {
//!     let txs = vec![Transaction::new("alice", "bob", 10 + i)];
//!     let block = Block::candidate(chain.last().unwrap(), txs, 1_000 * (i + 1), 8).mine(1 << 24)?;
//!     chain.push(block);
//! }
//! assert_eq!(validate_chain(&chain, &rules)?.blocks, 4);
//! chain[2].transactions[0].amount = 1_000_000;        // tamper with a payment
//! let err = validate_chain(&chain, &rules).unwrap_err();
//! assert_eq!(err.index, 2);
//! assert!(err.to_string().contains("transactions do not match"));
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Reading
//! * S. Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash System", 2008 (§3 timestamp server,
//!   §4 proof of work, §5 network, §7 Merkle trees, §11 calculations).
//! * A. Narayanan, J. Bonneau, E. Felten, A. Miller and S. Goldfeder, *Bitcoin and
//!   Cryptocurrency Technologies*, Princeton University Press, 2016, ch. 1–3.
//! * C. Decker and R. Wattenhofer, "Information Propagation in the Bitcoin Network", IEEE P2P
//!   2013 (propagation delay and the fork rate).
//! * NIST FIPS 180-4, *Secure Hash Standard* (SHA-256), 2015.

pub mod attack;
pub mod orphan;

use std::fmt;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub use attack::{
    attacker_success_probability, attacker_success_probability_exact,
    blocks_for_attacker_probability, blocks_for_attacker_probability_exact,
    double_spend_monte_carlo, double_spend_monte_carlo_with_threads, RaceEstimate,
};
pub use orphan::{simulate_orphans, stale_rate_model, OrphanConfig, OrphanStats};

/// A SHA-256 digest.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// All zeros: the `prev_hash` of the genesis block.
    pub const ZERO: Hash = Hash([0; 32]);

    /// SHA-256 of `data`.
    pub fn of(data: &[u8]) -> Hash {
        let mut h = [0u8; 32];
        h.copy_from_slice(&Sha256::digest(data));
        Hash(h)
    }

    /// Number of leading zero bits (0..=256): the proof-of-work measure.
    pub fn leading_zero_bits(&self) -> u32 {
        let mut n = 0;
        for &b in &self.0 {
            if b == 0 {
                n += 8;
            } else {
                return n + b.leading_zeros();
            }
        }
        n
    }

    /// The first 12 hex digits, for tables.
    pub fn short(&self) -> String {
        self.to_string()[..12].to_string()
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…", self.short())
    }
}

/// A payment: `amount` units from `from` to `to`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Transaction {
    /// Payer.
    pub from: String,
    /// Payee.
    pub to: String,
    /// Amount, in whole units.
    pub amount: u64,
}

impl Transaction {
    /// A payment of `amount` from `from` to `to`.
    pub fn new(from: impl Into<String>, to: impl Into<String>, amount: u64) -> Transaction {
        Transaction { from: from.into(), to: to.into(), amount }
    }

    /// SHA-256 of the transaction's fields, each length-prefixed so that ("ab", "c") and
    /// ("a", "bc") hash differently.
    pub fn hash(&self) -> Hash {
        let mut h = Sha256::new();
        for s in [&self.from, &self.to] {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
        h.update(self.amount.to_le_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&h.finalize());
        Hash(out)
    }
}

impl fmt::Display for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {}: {}", self.from, self.to, self.amount)
    }
}

/// The Merkle root of the transactions' hashes (Nakamoto §7): hash pairs level by level,
/// duplicating the last hash of an odd level, as Bitcoin does. The root of no transactions is
/// [`Hash::ZERO`].
pub fn merkle_root(transactions: &[Transaction]) -> Hash {
    let mut level: Vec<Hash> = transactions.iter().map(Transaction::hash).collect();
    if level.is_empty() {
        return Hash::ZERO;
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| {
                let right = pair.get(1).unwrap_or(&pair[0]);
                let mut buf = [0u8; 64];
                buf[..32].copy_from_slice(&pair[0].0);
                buf[32..].copy_from_slice(&right.0);
                Hash::of(&buf)
            })
            .collect();
    }
    level[0]
}

/// A block: a header (height, link to the parent, time, difficulty, nonce, transaction root),
/// the transactions, and the hash the block claims for its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Position in the chain: the genesis block has height 0.
    pub height: u64,
    /// Hash of the parent block's header.
    pub prev_hash: Hash,
    /// When the block was made (ms; any clock: the rules only ask it not to go backwards).
    pub timestamp_ms: u64,
    /// Proof-of-work difficulty: the header hash needs this many leading zero bits.
    pub difficulty_bits: u32,
    /// The number the miner varied until the hash met the difficulty.
    pub nonce: u64,
    /// Merkle root of `transactions`: the header commits to them.
    pub tx_root: Hash,
    /// The payments in this block.
    pub transactions: Vec<Transaction>,
    /// The hash the block claims for its header (checked by validation).
    pub hash: Hash,
}

/// Largest difficulty a block may declare (work 2^64 would not fit the work arithmetic's
/// exactness, and nobody mines it in a notebook).
pub const MAX_DIFFICULTY_BITS: u32 = 64;

impl Block {
    /// The fixed genesis block: height 0, zero parent, no transactions, difficulty 0.
    pub fn genesis() -> Block {
        let mut b = Block {
            height: 0,
            prev_hash: Hash::ZERO,
            timestamp_ms: 0,
            difficulty_bits: 0,
            nonce: 0,
            tx_root: Hash::ZERO,
            transactions: Vec::new(),
            hash: Hash::ZERO,
        };
        b.hash = b.header_hash();
        b
    }

    /// An unmined block on top of `parent`: next height, linked to `parent.hash`, `tx_root`
    /// computed, nonce 0 and `hash` set to the header's hash (which will usually not meet the
    /// difficulty yet: call [`Block::mine`]).
    pub fn candidate(
        parent: &Block,
        transactions: Vec<Transaction>,
        timestamp_ms: u64,
        difficulty_bits: u32,
    ) -> Block {
        let mut b = Block {
            height: parent.height + 1,
            prev_hash: parent.hash,
            timestamp_ms,
            difficulty_bits,
            nonce: 0,
            tx_root: merkle_root(&transactions),
            transactions,
            hash: Hash::ZERO,
        };
        b.hash = b.header_hash();
        b
    }

    /// The header's bytes: height, prev_hash, timestamp, difficulty, nonce, tx_root
    /// (little-endian integers). The transactions enter only through `tx_root`.
    pub fn header_bytes(&self) -> [u8; 92] {
        let mut out = [0u8; 92];
        out[0..8].copy_from_slice(&self.height.to_le_bytes());
        out[8..40].copy_from_slice(&self.prev_hash.0);
        out[40..48].copy_from_slice(&self.timestamp_ms.to_le_bytes());
        out[48..52].copy_from_slice(&self.difficulty_bits.to_le_bytes());
        out[52..60].copy_from_slice(&self.nonce.to_le_bytes());
        out[60..92].copy_from_slice(&self.tx_root.0);
        out
    }

    /// SHA-256 of the header as it is now (not the stored `hash` field).
    pub fn header_hash(&self) -> Hash {
        Hash::of(&self.header_bytes())
    }

    /// Does the stored hash meet the declared difficulty?
    pub fn meets_difficulty(&self) -> bool {
        self.hash.leading_zero_bits() >= self.difficulty_bits
    }

    /// Expected number of hashes to mine this block: 2^difficulty_bits.
    pub fn work(&self) -> f64 {
        libm::ldexp(1.0, self.difficulty_bits.min(MAX_DIFFICULTY_BITS) as i32)
    }

    /// Proof of work: try nonces 0, 1, 2, … until the header hash has `difficulty_bits`
    /// leading zero bits, and return the block with that nonce and hash. Takes 2^d hashes on
    /// average; fails after `max_tries` nonces or for a difficulty above
    /// [`MAX_DIFFICULTY_BITS`].
    pub fn mine(mut self, max_tries: u64) -> Result<Block> {
        if self.difficulty_bits > MAX_DIFFICULTY_BITS {
            return Err(Error::out_of_range(
                "difficulty_bits",
                self.difficulty_bits,
                format!("must be at most {MAX_DIFFICULTY_BITS}"),
            ));
        }
        let mut header = self.header_bytes();
        let prefix = Sha256::new_with_prefix(&header[..52]);
        for nonce in 0..max_tries {
            header[52..60].copy_from_slice(&nonce.to_le_bytes());
            let mut h = prefix.clone();
            h.update(&header[52..]);
            let mut out = [0u8; 32];
            out.copy_from_slice(&h.finalize());
            let hash = Hash(out);
            if hash.leading_zero_bits() >= self.difficulty_bits {
                self.nonce = nonce;
                self.hash = hash;
                return Ok(self);
            }
        }
        Err(Error::invalid(
            "mining",
            format!(
                "no nonce below {max_tries} gives {} leading zero bits (expected tries: 2^{})",
                self.difficulty_bits, self.difficulty_bits
            ),
        ))
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} {} ← {} (d = {}, nonce {}, {} tx)",
            self.height,
            self.hash.short(),
            self.prev_hash.short(),
            self.difficulty_bits,
            self.nonce,
            self.transactions.len()
        )
    }
}

/// What a valid chain must satisfy beyond each block's own consistency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainRules {
    /// Every block after genesis must declare at least this difficulty.
    pub min_difficulty_bits: u32,
    /// The hash the first block must have.
    pub genesis_hash: Hash,
}

impl ChainRules {
    /// Rules with [`Block::genesis`] and a minimum difficulty (at most [`MAX_DIFFICULTY_BITS`]).
    pub fn new(min_difficulty_bits: u32) -> Result<ChainRules> {
        if min_difficulty_bits > MAX_DIFFICULTY_BITS {
            return Err(Error::out_of_range(
                "min_difficulty_bits",
                min_difficulty_bits,
                format!("must be at most {MAX_DIFFICULTY_BITS}"),
            ));
        }
        Ok(ChainRules { min_difficulty_bits, genesis_hash: Block::genesis().hash })
    }
}

/// Why a block is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockFault {
    /// The first block is not the agreed genesis block.
    BadGenesis {
        /// Its hash.
        found: Hash,
    },
    /// The stored `hash` is not the SHA-256 of the header.
    BadHash {
        /// What the block claims.
        claimed: Hash,
        /// What the header hashes to.
        actual: Hash,
    },
    /// `prev_hash` is not the previous block's hash.
    BadPrevLink {
        /// The previous block's hash.
        expected: Hash,
        /// The block's `prev_hash`.
        found: Hash,
    },
    /// The height is not the previous block's height plus one.
    BadHeight {
        /// What it should be.
        expected: u64,
        /// What it is.
        found: u64,
    },
    /// The hash does not have the leading zero bits the block declares.
    InsufficientWork {
        /// Leading zero bits of the hash.
        leading_zero_bits: u32,
        /// The block's declared difficulty.
        difficulty_bits: u32,
    },
    /// The declared difficulty is below the rules' minimum (or above the maximum).
    BadDifficulty {
        /// The block's declared difficulty.
        declared: u32,
        /// The rules' minimum.
        minimum: u32,
    },
    /// The transactions do not hash to `tx_root`: one was changed, added or removed.
    TamperedTransactions {
        /// The root in the header.
        claimed_root: Hash,
        /// The root of the transactions the block carries.
        actual_root: Hash,
    },
    /// The timestamp is earlier than the parent's.
    TimeWentBackwards {
        /// Parent's timestamp.
        parent_ms: u64,
        /// This block's timestamp.
        found_ms: u64,
    },
}

impl fmt::Display for BlockFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockFault::BadGenesis { found } => {
                write!(f, "it is not the agreed genesis block (its hash is {})", found.short())
            }
            BlockFault::BadHash { claimed, actual } => write!(
                f,
                "its stored hash {} is not the hash of its header ({})",
                claimed.short(),
                actual.short()
            ),
            BlockFault::BadPrevLink { expected, found } => write!(
                f,
                "its prev_hash {} does not point at the previous block ({})",
                found.short(),
                expected.short()
            ),
            BlockFault::BadHeight { expected, found } => {
                write!(f, "its height is {found}, expected {expected}")
            }
            BlockFault::InsufficientWork { leading_zero_bits, difficulty_bits } => write!(
                f,
                "insufficient proof of work: its hash has {leading_zero_bits} leading zero bits, \
                 its difficulty asks for {difficulty_bits}"
            ),
            BlockFault::BadDifficulty { declared, minimum } => write!(
                f,
                "its difficulty {declared} bits is outside the rules (at least {minimum}, at \
                 most {MAX_DIFFICULTY_BITS})"
            ),
            BlockFault::TamperedTransactions { claimed_root, actual_root } => write!(
                f,
                "its transactions do not match the header's tx_root ({} in the header, {} \
                 computed): a transaction was changed, added or removed",
                claimed_root.short(),
                actual_root.short()
            ),
            BlockFault::TimeWentBackwards { parent_ms, found_ms } => write!(
                f,
                "its timestamp {found_ms} ms is earlier than its parent's ({parent_ms} ms)"
            ),
        }
    }
}

/// A chain that failed validation: the index of the first bad block and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidBlock {
    /// Index of the first bad block in the chain (0 = genesis).
    pub index: usize,
    /// What is wrong with it.
    pub fault: BlockFault,
}

impl fmt::Display for InvalidBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block {} is invalid: {}", self.index, self.fault)
    }
}

impl std::error::Error for InvalidBlock {}

impl From<InvalidBlock> for Error {
    fn from(e: InvalidBlock) -> Error {
        Error::invalid(format!("chain: block {}", e.index), e.fault.to_string())
    }
}

/// Check one block on its own (stored hash, transactions, difficulty, proof of work) and
/// against its parent (height, link, time). The checks run in that order; the first failure
/// is returned. With `parent = None` the block must be the genesis block of `rules`.
pub fn validate_block(
    block: &Block,
    parent: Option<&Block>,
    rules: &ChainRules,
) -> std::result::Result<(), BlockFault> {
    let actual = block.header_hash();
    if actual != block.hash {
        return Err(BlockFault::BadHash { claimed: block.hash, actual });
    }
    let Some(parent) = parent else {
        return if block.hash == rules.genesis_hash {
            Ok(())
        } else {
            Err(BlockFault::BadGenesis { found: block.hash })
        };
    };
    let actual_root = merkle_root(&block.transactions);
    if actual_root != block.tx_root {
        return Err(BlockFault::TamperedTransactions { claimed_root: block.tx_root, actual_root });
    }
    if block.height != parent.height + 1 {
        return Err(BlockFault::BadHeight { expected: parent.height + 1, found: block.height });
    }
    if block.prev_hash != parent.hash {
        return Err(BlockFault::BadPrevLink { expected: parent.hash, found: block.prev_hash });
    }
    if block.difficulty_bits < rules.min_difficulty_bits
        || block.difficulty_bits > MAX_DIFFICULTY_BITS
    {
        return Err(BlockFault::BadDifficulty {
            declared: block.difficulty_bits,
            minimum: rules.min_difficulty_bits,
        });
    }
    if !block.meets_difficulty() {
        return Err(BlockFault::InsufficientWork {
            leading_zero_bits: block.hash.leading_zero_bits(),
            difficulty_bits: block.difficulty_bits,
        });
    }
    if block.timestamp_ms < parent.timestamp_ms {
        return Err(BlockFault::TimeWentBackwards {
            parent_ms: parent.timestamp_ms,
            found_ms: block.timestamp_ms,
        });
    }
    Ok(())
}

/// A valid chain's size and total work.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChainSummary {
    /// Number of blocks, genesis included.
    pub blocks: usize,
    /// Σ 2^difficulty_bits over the blocks: the expected number of hashes it took.
    pub total_work: f64,
    /// Hash of the last block.
    pub tip: Hash,
}

/// Validate a whole chain from genesis: every block with [`validate_block`] against its
/// predecessor. On failure, the first bad block's index and what is wrong with it. An empty
/// chain is reported as a bad genesis at index 0.
pub fn validate_chain(
    chain: &[Block],
    rules: &ChainRules,
) -> std::result::Result<ChainSummary, InvalidBlock> {
    let Some(first) = chain.first() else {
        return Err(InvalidBlock { index: 0, fault: BlockFault::BadGenesis { found: Hash::ZERO } });
    };
    validate_block(first, None, rules).map_err(|fault| InvalidBlock { index: 0, fault })?;
    let mut work = 0.0;
    for (i, pair) in chain.windows(2).enumerate() {
        validate_block(&pair[1], Some(&pair[0]), rules)
            .map_err(|fault| InvalidBlock { index: i + 1, fault })?;
        work += pair[1].work();
    }
    Ok(ChainSummary { blocks: chain.len(), total_work: work, tip: chain[chain.len() - 1].hash })
}

/// Total work of a chain, Σ 2^difficulty_bits over the blocks after genesis (no validation).
pub fn chain_work(chain: &[Block]) -> f64 {
    chain.iter().skip(1).map(Block::work).sum()
}

/// Nakamoto fork choice between the chain a node follows (`current`) and a competing one:
/// the one with more total work wins; on a tie the node keeps `current` (first seen wins).
/// Both are assumed valid (validate first: an invalid chain has no work).
pub fn fork_choice<'a>(current: &'a [Block], candidate: &'a [Block]) -> &'a [Block] {
    if chain_work(candidate) > chain_work(current) {
        candidate
    } else {
        current
    }
}

/// Among several chains, the index of the valid one with the most work (first on ties), or an
/// error if none is valid.
pub fn best_chain(chains: &[Vec<Block>], rules: &ChainRules) -> Result<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, c) in chains.iter().enumerate() {
        if let Ok(s) = validate_chain(c, rules) {
            if best.map_or(true, |(_, w)| s.total_work > w) {
                best = Some((i, s.total_work));
            }
        }
    }
    best.map(|(i, _)| i)
        .ok_or_else(|| Error::invalid("chains", "none of the chains is valid under the rules"))
}

/// Mine `n` blocks on top of `chain` (each with one transaction `miner → payee` and the given
/// difficulty), timestamps one second apart. For notebooks and tests.
pub fn extend(chain: &[Block], n: usize, difficulty_bits: u32, label: &str) -> Result<Vec<Block>> {
    let mut out = chain.to_vec();
    if out.is_empty() {
        out.push(Block::genesis());
    }
    for _ in 0..n {
        let parent = out.last().expect("not empty");
        let tx = Transaction::new(label, format!("payee{}", parent.height + 1), parent.height + 1);
        let b = Block::candidate(parent, vec![tx], parent.timestamp_ms + 1_000, difficulty_bits)
            .mine(u64::MAX)?;
        out.push(b);
    }
    Ok(out)
}

/// One adversarial test case for a student's validator: a chain, and the index of its first
/// bad block (`None` for a valid chain).
#[derive(Clone, Debug)]
pub struct LabCase {
    /// What was done to the chain.
    pub name: String,
    /// The chain.
    pub chain: Vec<Block>,
    /// Index of the first invalid block, or `None` if the chain is valid.
    pub first_bad: Option<usize>,
}

/// The adversarial chains the notebook's lab checks run against a student's validator, all
/// built on `ChainRules::new(difficulty_bits)`: a valid chain, then one each with a bad stored
/// hash, a broken `prev_hash` link, insufficient work (hash recomputed but not mined), a
/// difficulty below the minimum, a tampered transaction, a wrong height, a foreign genesis,
/// a timestamp going backwards, and a block spliced in from another chain. `first_bad` is
/// what [`validate_chain`] reports (a test checks this).
pub fn lab_cases(difficulty_bits: u32) -> Result<Vec<LabCase>> {
    let d = difficulty_bits;
    let good = extend(&[Block::genesis()], 5, d, "miner")?;
    let mut cases =
        vec![LabCase { name: "valid chain".into(), chain: good.clone(), first_bad: None }];
    let mut case = |name: &str, chain: Vec<Block>, bad: usize| {
        cases.push(LabCase { name: name.into(), chain, first_bad: Some(bad) })
    };

    let mut c = good.clone();
    c[3].hash.0[31] ^= 1;
    case("stored hash altered", c, 3);

    let mut c = good.clone();
    c[4].prev_hash = c[2].hash;
    c[4] = c[4].clone().mine(u64::MAX)?; // re-mined, so only the link is wrong
    case("prev_hash skips a block", c, 4);

    let mut c = good.clone();
    c[2].nonce = c[2].nonce.wrapping_add(1);
    while c[2].header_hash().leading_zero_bits() >= d {
        c[2].nonce = c[2].nonce.wrapping_add(1);
    }
    c[2].hash = c[2].header_hash(); // a consistent hash that does not meet the difficulty
    case("hash does not meet the difficulty", c, 2);

    let mut c = good[..3].to_vec();
    let easy = Block::candidate(&c[2], vec![Transaction::new("cheat", "cheat", 1)], 9_000, 0);
    c.push(easy.mine(1)?);
    case("difficulty below the minimum", c, 3);

    let mut c = good.clone();
    c[1].transactions[0].amount += 1_000_000;
    case("a payment's amount was changed", c, 1);

    let mut c = good.clone();
    c[5].transactions.push(Transaction::new("miner", "mallory", 50));
    case("a transaction was added", c, 5);

    let mut c = good[..4].to_vec();
    let mut wrong = Block::candidate(&c[3], vec![Transaction::new("m", "p", 1)], 10_000, d);
    wrong.height += 1;
    c.push(wrong.mine(u64::MAX)?);
    case("height skips a number", c, 4);

    let mut foreign = Block::genesis();
    foreign.timestamp_ms = 1;
    foreign.hash = foreign.header_hash();
    let c = extend(&[foreign], 2, d, "other")?;
    case("a different genesis block", c, 0);

    let mut c = good[..3].to_vec();
    let early = Block::candidate(&c[2], vec![Transaction::new("m", "p", 2)], 1, d);
    c.push(early.mine(u64::MAX)?);
    case("timestamp earlier than the parent's", c, 3);

    let other = extend(&[Block::genesis()], 3, d, "rival")?;
    let mut c = good[..3].to_vec();
    c.push(other[3].clone());
    case("block spliced from another chain", c, 3);
    Ok(cases)
}

/// A fork-choice test case: the chain a node follows, a competing chain, and whether the
/// competing chain should win.
#[derive(Clone, Debug)]
pub struct ForkCase {
    /// What the case tests.
    pub name: String,
    /// The chain the node follows.
    pub current: Vec<Block>,
    /// The competing chain.
    pub candidate: Vec<Block>,
    /// Should the node switch to `candidate`?
    pub candidate_wins: bool,
}

/// Fork-choice checks, including a longer candidate with less work and an equal-work tie.
pub fn fork_choice_cases(difficulty_bits: u32) -> Result<Vec<ForkCase>> {
    let d = difficulty_bits;
    let base = extend(&[Block::genesis()], 2, d, "base")?;
    let short_hard = extend(&base, 2, d + 2, "hard")?; // 2 blocks × 4× work
    let long_easy = extend(&base, 5, d, "easy")?; // 5 blocks × 1× work
    let longer_same = extend(&base, 3, d, "same")?;
    let twin = extend(&base, 3, d, "twin")?;
    let case = |name: &str, current: &[Block], candidate: &[Block], candidate_wins| ForkCase {
        name: name.into(),
        current: current.to_vec(),
        candidate: candidate.to_vec(),
        candidate_wins,
    };
    Ok(vec![
        case("candidate has more blocks of equal difficulty", &base, &longer_same, true),
        case("candidate is shorter", &longer_same, &base, false),
        case("longer candidate with less work", &short_hard, &long_easy, false),
        case("shorter candidate with more work", &long_easy, &short_hard, true),
        case("equal work: keep the current chain", &longer_same, &twin, false),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_fips_180_examples() {
        // FIPS 180-4 / NIST example "abc"
        assert_eq!(
            Hash::of(b"abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Hash::ZERO.leading_zero_bits(), 256);
        let mut h = Hash::ZERO;
        h.0[1] = 0b0001_0000;
        assert_eq!(h.leading_zero_bits(), 11);
    }

    #[test]
    fn mining_meets_the_difficulty_and_validates() {
        let rules = ChainRules::new(10).unwrap();
        let chain = extend(&[Block::genesis()], 4, 10, "m").unwrap();
        let s = validate_chain(&chain, &rules).unwrap();
        assert_eq!(s.blocks, 5);
        assert_eq!(s.total_work, 4.0 * 1024.0);
        assert!(chain[1..].iter().all(|b| b.hash.leading_zero_bits() >= 10));
        assert_eq!(chain[1].hash, chain[1].header_hash());
        let err = Block::candidate(&chain[4], vec![], 0, 30).mine(10).unwrap_err();
        assert!(err.to_string().contains("no nonce below 10"));
        assert!(Block::candidate(&chain[4], vec![], 0, 65).mine(10).is_err());
        assert!(ChainRules::new(65).unwrap_err().to_string().starts_with("min_difficulty_bits"));
    }

    #[test]
    fn merkle_root_commits_to_every_transaction_and_their_order() {
        let t = |a: u64| Transaction::new("a", "b", a);
        let txs = vec![t(1), t(2), t(3)];
        let root = merkle_root(&txs);
        assert_ne!(root, merkle_root(&[t(1), t(3), t(2)]));
        assert_ne!(root, merkle_root(&[t(1), t(2)]));
        assert_ne!(Transaction::new("ab", "c", 1).hash(), Transaction::new("a", "bc", 1).hash());
        assert_eq!(merkle_root(&[]), Hash::ZERO);
    }

    #[test]
    fn every_lab_case_is_caught_at_the_right_block() {
        let rules = ChainRules::new(8).unwrap();
        let cases = lab_cases(8).unwrap();
        assert_eq!(cases.len(), 11);
        for c in &cases {
            let got = validate_chain(&c.chain, &rules).err().map(|e| e.index);
            assert_eq!(got, c.first_bad, "{}: {:?}", c.name, validate_chain(&c.chain, &rules));
        }
        // each fault kind appears, and the message names the block
        let kinds: Vec<String> = cases
            .iter()
            .filter_map(|c| validate_chain(&c.chain, &rules).err())
            .map(|e| format!("{e}"))
            .collect();
        for needle in [
            "not the hash of its header",
            "does not point at the previous block",
            "insufficient proof of work",
            "outside the rules",
            "do not match the header's tx_root",
            "height is",
            "genesis",
            "earlier than its parent",
        ] {
            assert!(kinds.iter().any(|k| k.contains(needle)), "no case says {needle:?}: {kinds:?}");
        }
        assert!(kinds.iter().all(|k| k.starts_with("block ")));
        let e: Error = validate_chain(&cases[1].chain, &rules).unwrap_err().into();
        assert!(e.to_string().starts_with("invalid chain: block 3: its stored hash"), "{e}");
        assert!(validate_chain(&[], &rules).is_err());
    }

    #[test]
    fn fork_choice_follows_work_not_length() {
        for c in fork_choice_cases(6).unwrap() {
            let picked = fork_choice(&c.current, &c.candidate);
            assert_eq!(
                std::ptr::eq(picked, c.candidate.as_slice()),
                c.candidate_wins,
                "{}",
                c.name
            );
        }
        let rules = ChainRules::new(6).unwrap();
        let cases = fork_choice_cases(6).unwrap();
        let (short_hard, long_easy) = (&cases[2].current, &cases[2].candidate);
        let mut bad = long_easy.clone();
        bad.extend(extend(long_easy, 10, 6, "x").unwrap().into_iter().skip(long_easy.len()));
        bad[4].transactions.clear(); // invalid, whatever its length
        let chains = vec![long_easy.clone(), bad, short_hard.clone()];
        assert_eq!(best_chain(&chains, &rules).unwrap(), 2);
        assert!(best_chain(&[chains[1].clone()], &rules).is_err());
    }
}
