//! # Unique IDs: random, time-ordered, and handed out by a server
//!
//! Every record in a distributed system needs a name that no other record will ever get, and
//! the machines that mint those names cannot ask each other first (that would be a consensus
//! round per insert). Three designs dominate, and this module implements each:
//!
//! * **Random IDs** ([`uuid_v4`]): draw 122 random bits and trust arithmetic. Two IDs collide
//!   with probability 2⁻¹²², and among n IDs some pair collides with the *birthday*
//!   probability ([`collision_probability`])
//!
//!   P(collision among n IDs of b random bits) ≈ 1 − exp(−n(n − 1) / 2^(b+1)),
//!
//!   computed as `-expm1(-n(n-1)/2^(b+1))` so that probabilities like 10⁻²⁰ keep their
//!   digits (1 − exp(−x) would round to 0). Solving for n gives the number of IDs a design
//!   can mint before a collision becomes likely ([`ids_for_collision_probability`]):
//!   n = (1 + √(1 + 8·2^b·(−ln(1 − p)))) / 2 ≈ √(2·2^b·ln(1/(1 − p))). For UUIDv4 (122
//!   random bits) a 50 % chance needs 2.71 × 10¹⁸ IDs and a one-in-a-billion chance
//!   1.03 × 10¹⁴ (both figures are printed in Wikipedia's "Universally unique identifier",
//!   § Collisions, and checked in this module's tests).
//! * **Time-ordered IDs** ([`Snowflake`], [`UuidV7Generator`]): put the time in the high bits so
//!   IDs sort by creation time (good for B-tree indexes and for "give me tweets after X"),
//!   then a machine number so machines never collide, then a per-millisecond sequence. Twitter's
//!   Snowflake (2010) packs 41 bits of milliseconds since 2010-11-04 01:42:54.657 UTC
//!   ([`Snowflake::TWITTER_EPOCH_MS`]), 5 bits of datacenter, 5 bits of worker and 12 bits of
//!   sequence into a positive 64-bit integer: 4096 IDs per millisecond per worker, for 69 years.
//!   The price is a dependence on the clock: when 4096 IDs have been issued in one millisecond
//!   the generator **waits** for the next one, and when the clock moves **backwards** (an NTP
//!   step) it **refuses** to issue IDs until the clock has caught up, because an ID from the
//!   "past" could repeat one already issued. Both behaviours follow the original Scala code
//!   (`IdWorker.nextId`: `tilNextMillis` and `InvalidSystemClock`) and are tested here with an
//!   injectable clock ([`MsClock`]).
//! * **Ticket servers** ([`TicketServer`]): a database row with an auto-increment counter.
//!   Flickr (2010) ran two MySQL servers, one handing out odd and one even numbers
//!   (`auto-increment-increment = 2`, offsets 1 and 2), so either could die without stopping
//!   ID generation. Dense, short IDs; a network round trip per ID; no global order between
//!   the two servers.
//!
//! [`Uuid`] values follow RFC 9562: the version in the high nibble of octet 6, the variant
//! `10` in the two high bits of octet 8; UUIDv7 puts 48 bits of Unix milliseconds first.
//!
//! ## Bad input
//! The contract functions [`collision_probability`] and [`ids_for_collision_probability`]
//! return a bare `f64`, so they return **NaN** for input outside their domain (`bits` of 0 or
//! above 128, `n` negative or not finite, `p` outside (0, 1)). Their `try_` twins
//! ([`try_collision_probability`], [`try_ids_for_collision_probability`]) return an
//! [`Error`] that names the parameter and what is allowed; notebooks use those.
//!
//! ```
//! use course_lib::ids::*;
//! // 50 % chance of a UUIDv4 collision needs 2.71e18 IDs
//! let n = ids_for_collision_probability(0.5, 122);
//! assert!((n / 2.71e18 - 1.0).abs() < 0.01);
//! assert!((collision_probability(n, 122) - 0.5).abs() < 1e-12);
//! // A real tweet ID (Wikipedia, "Snowflake ID") decodes to 2022-06-28 16:07:40.105 UTC.
//! let parts = Snowflake::decode(1541815603606036480);
//! assert_eq!(parts.unix_ms, 1_656_432_460_105);
//! assert!(collision_probability(1.0e6, 0).is_nan());
//! assert!(try_collision_probability(1.0e6, 0).unwrap_err().to_string().contains("bits"));
//! ```
//!
//! ## Reading
//! * Twitter, "Announcing Snowflake", Twitter Engineering blog, 1 June 2010; source code
//!   `twitter-archive/snowflake`, tag `snowflake-2010`, `IdWorker.scala`.
//! * K. Davis, B. Peabody and P. Leach, "Universally Unique IDentifiers (UUIDs)", RFC 9562,
//!   May 2024 (§5.4 UUIDv4, §5.7 UUIDv7, §6.2 monotonicity, §4.1 variant field).
//! * L. Ludicorp/Flickr: K. Kerr, "Ticket Servers: Distributed Unique Primary Keys on the
//!   Cheap", code.flickr.net, 8 February 2010.
//! * Wikipedia, "Birthday problem" and "Universally unique identifier" § Collisions.

use std::collections::VecDeque;
use std::fmt;

use crate::error::{validate, Error, Result};
use crate::rng::SimRng;

// ---------------------------------------------------------------------------------------------
// Birthday arithmetic

fn check_bits(bits: u32) -> Result<u32> {
    if (1..=128).contains(&bits) {
        Ok(bits)
    } else {
        Err(Error::out_of_range("bits", bits, "an identifier needs between 1 and 128 random bits"))
    }
}

/// Probability that `n` identifiers drawn uniformly at random from 2^`bits` values contain at
/// least one collision: `-expm1(-n(n-1) / 2^(bits+1))` (the birthday approximation, a slight
/// under-estimate of the exact product formula, accurate when n ≪ 2^bits and
/// numerically stable for tiny probabilities and huge n).
///
/// `n` is a count (fractional values are accepted and treated as a continuous count); for
/// `n <= 1` the result is 0. Returns **NaN** for bad input: `bits` of 0 or above 128, or `n`
/// negative, NaN or infinite (see [`try_collision_probability`] for the same with an error
/// message).
///
/// ```
/// # use course_lib::ids::collision_probability;
/// let p = collision_probability(1.0e9, 122); // a billion UUIDv4s
/// assert!(p > 0.0 && p < 1e-19);
/// assert!(collision_probability(-1.0, 64).is_nan());
/// ```
pub fn collision_probability(n: f64, bits: u32) -> f64 {
    try_collision_probability(n, bits).unwrap_or(f64::NAN)
}

/// [`collision_probability`] with an [`Error`] naming the bad parameter instead of NaN.
pub fn try_collision_probability(n: f64, bits: u32) -> Result<f64> {
    let bits = check_bits(bits)?;
    let n = validate::non_negative("n", n)?;
    Ok(birthday(n, libm::ldexp(1.0, bits as i32)))
}

/// The birthday approximation for `n` draws from `space` equally likely values:
/// `-expm1(-n(n-1) / (2·space))`, 0 for n ≤ 1.
fn birthday(n: f64, space: f64) -> f64 {
    if n <= 1.0 {
        return 0.0;
    }
    // n(n-1)/(2 space), arranged so huge n overflow to +inf (probability 1), never NaN
    let x = n * ((n - 1.0) / (2.0 * space));
    -libm::expm1(-x)
}

/// The number of identifiers of `bits` random bits that gives a collision probability of `p`:
/// the inverse of [`collision_probability`], `n = (1 + sqrt(1 + 8·2^bits·(−ln(1 − p)))) / 2`.
///
/// Returns **NaN** for bad input: `p` outside the open interval (0, 1) or `bits` of 0 or above
/// 128 (see [`try_ids_for_collision_probability`]).
///
/// ```
/// # use course_lib::ids::ids_for_collision_probability;
/// // one-in-a-billion chance of any duplicate among 103 trillion UUIDv4s
/// let n = ids_for_collision_probability(1e-9, 122);
/// assert!((n / 1.03e14 - 1.0).abs() < 0.01);
/// assert!(ids_for_collision_probability(1.0, 64).is_nan());
/// ```
pub fn ids_for_collision_probability(p: f64, bits: u32) -> f64 {
    try_ids_for_collision_probability(p, bits).unwrap_or(f64::NAN)
}

/// [`ids_for_collision_probability`] with an [`Error`] naming the bad parameter instead of NaN.
pub fn try_ids_for_collision_probability(p: f64, bits: u32) -> Result<f64> {
    let bits = check_bits(bits)?;
    if !(p.is_finite() && p > 0.0 && p < 1.0) {
        return Err(Error::out_of_range(
            "p",
            p,
            "a collision probability must be strictly between 0 and 1",
        ));
    }
    let k = 2.0 * libm::ldexp(1.0, bits as i32) * -libm::log1p(-p); // n(n-1)
    Ok((1.0 + libm::sqrt(1.0 + 4.0 * k)) / 2.0)
}

/// The birthday problem for a space that is not a power of two (365 birthdays, a `space` of
/// short codes): the approximation `-expm1(-n(n-1)/(2·space))` and the exact probability
/// `1 − Π_{i<n} (1 − i/space)`. Returns `(approximate, exact)`.
///
/// ```
/// # use course_lib::ids::birthday_problem;
/// let (approx, exact) = birthday_problem(23, 365.0)?;
/// assert!((exact - 0.5073).abs() < 1e-4 && (approx - 0.5000).abs() < 1e-3);
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn birthday_problem(n: u64, space: f64) -> Result<(f64, f64)> {
    let space = validate::positive("space", space)?;
    let approx = birthday(n as f64, space);
    let mut log_no_collision = 0.0;
    for i in 1..n {
        let f = i as f64 / space;
        if f >= 1.0 {
            return Ok((approx, 1.0));
        }
        log_no_collision += libm::log1p(-f);
    }
    Ok((approx, -libm::expm1(log_no_collision)))
}

// ---------------------------------------------------------------------------------------------
// Snowflake

/// A millisecond clock the [`Snowflake`] generator reads: inject a simulated one to test
/// rollbacks and sequence overflow. Any `FnMut() -> u64` closure is one.
pub trait MsClock {
    /// The current time in Unix milliseconds.
    fn now_ms(&mut self) -> u64;
}

impl<F: FnMut() -> u64> MsClock for F {
    fn now_ms(&mut self) -> u64 {
        self()
    }
}

/// A clock that plays back a script of readings, then repeats the last one, counting reads.
#[derive(Clone, Debug)]
pub struct ScriptedClock {
    readings: VecDeque<u64>,
    last: u64,
    reads: u64,
}

impl ScriptedClock {
    /// Returns `readings` in order, then the last reading forever.
    pub fn new(readings: impl IntoIterator<Item = u64>) -> Result<ScriptedClock> {
        let readings: VecDeque<u64> = readings.into_iter().collect();
        let last = *readings
            .back()
            .ok_or_else(|| Error::empty("the clock script", "give at least one reading"))?;
        Ok(ScriptedClock { readings, last, reads: 0 })
    }

    /// How many times the clock has been read.
    pub fn reads(&self) -> u64 {
        self.reads
    }
}

impl MsClock for ScriptedClock {
    fn now_ms(&mut self) -> u64 {
        self.reads += 1;
        self.readings.pop_front().unwrap_or(self.last)
    }
}

/// A Snowflake ID taken apart by [`Snowflake::decode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnowflakeParts {
    /// Creation time in Unix milliseconds (the epoch added back).
    pub unix_ms: u64,
    /// Datacenter number, 0..32.
    pub datacenter: u8,
    /// Worker number within the datacenter, 0..32.
    pub worker: u8,
    /// Sequence number within the millisecond, 0..4096.
    pub sequence: u16,
}

impl fmt::Display for SnowflakeParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ms since the Unix epoch, datacenter {}, worker {}, sequence {}",
            self.unix_ms, self.datacenter, self.worker, self.sequence
        )
    }
}

/// Counters kept by a [`Snowflake`] generator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SnowflakeStats {
    /// IDs issued.
    pub issued: u64,
    /// Times the sequence ran out within a millisecond and the generator waited.
    pub overflow_waits: u64,
    /// Clock reads spent waiting for the next millisecond.
    pub spin_reads: u64,
    /// Requests refused because the clock had moved backwards.
    pub refused: u64,
}

/// Twitter's Snowflake ID generator: `0 | 41-bit ms since epoch | 5-bit datacenter | 5-bit
/// worker | 12-bit sequence`.
///
/// ```
/// use course_lib::ids::{Snowflake, ScriptedClock};
/// let t = Snowflake::TWITTER_EPOCH_MS + 1_000;
/// let mut gen = Snowflake::new(3, 7)?;
/// let mut clock = ScriptedClock::new([t, t, t + 1])?;
/// let a = gen.next_id(&mut clock)?;
/// let b = gen.next_id(&mut clock)?;
/// let c = gen.next_id(&mut clock)?;
/// assert!(a < b && b < c);
/// let d = Snowflake::decode(b);
/// assert_eq!((d.unix_ms, d.datacenter, d.worker, d.sequence), (t, 3, 7, 1));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Snowflake {
    epoch_ms: u64,
    datacenter: u8,
    worker: u8,
    last_ms: Option<u64>,
    sequence: u16,
    max_spin_reads: u64,
    stats: SnowflakeStats,
}

impl Snowflake {
    /// Twitter's epoch, 2010-11-04 01:42:54.657 UTC, in Unix milliseconds.
    pub const TWITTER_EPOCH_MS: u64 = 1288834974657;
    /// Bits of the sequence field.
    pub const SEQUENCE_BITS: u32 = 12;
    /// Bits of the worker field.
    pub const WORKER_BITS: u32 = 5;
    /// Bits of the datacenter field.
    pub const DATACENTER_BITS: u32 = 5;
    /// Bits of the timestamp field.
    pub const TIMESTAMP_BITS: u32 = 41;
    /// Largest sequence number (4095).
    pub const MAX_SEQUENCE: u16 = (1 << Self::SEQUENCE_BITS) - 1;
    const WORKER_SHIFT: u32 = Self::SEQUENCE_BITS;
    const DATACENTER_SHIFT: u32 = Self::SEQUENCE_BITS + Self::WORKER_BITS;
    const TIMESTAMP_SHIFT: u32 = Self::DATACENTER_SHIFT + Self::DATACENTER_BITS;

    /// A generator for `datacenter` and `worker` (each 0..=31) with Twitter's epoch.
    pub fn new(datacenter: u8, worker: u8) -> Result<Snowflake> {
        Snowflake::with_epoch(Self::TWITTER_EPOCH_MS, datacenter, worker)
    }

    /// A generator with a custom epoch (Unix ms).
    pub fn with_epoch(epoch_ms: u64, datacenter: u8, worker: u8) -> Result<Snowflake> {
        for (name, v) in [("datacenter", datacenter), ("worker", worker)] {
            if v > 31 {
                return Err(Error::out_of_range(name, v, "a 5-bit field takes 0 to 31"));
            }
        }
        Ok(Snowflake {
            epoch_ms,
            datacenter,
            worker,
            last_ms: None,
            sequence: 0,
            max_spin_reads: 100_000_000,
            stats: SnowflakeStats::default(),
        })
    }

    /// Give up waiting for the next millisecond after this many clock reads (default 10⁸):
    /// with a simulated clock that never advances the generator would otherwise spin forever.
    pub fn with_max_spin_reads(mut self, reads: u64) -> Snowflake {
        self.max_spin_reads = reads.max(1);
        self
    }

    /// The epoch this generator counts from (Unix ms).
    pub fn epoch_ms(&self) -> u64 {
        self.epoch_ms
    }

    /// Counters: issued, overflow waits, refusals.
    pub fn stats(&self) -> SnowflakeStats {
        self.stats
    }

    /// The next ID, reading the time from `clock`.
    ///
    /// As in Twitter's `IdWorker.nextId`: in the same millisecond as the previous ID the
    /// sequence is incremented; if it wraps past 4095 the generator reads the clock until the
    /// millisecond changes. If the clock reads *earlier* than the last ID's millisecond, the
    /// call fails with an error saying by how much the clock moved back (the original throws
    /// `InvalidSystemClock` and refuses for that long). A time before the epoch or beyond the
    /// 41-bit range is an error too.
    pub fn next_id(&mut self, clock: &mut impl MsClock) -> Result<u64> {
        let mut now = clock.now_ms();
        if let Some(last) = self.last_ms {
            if now < last {
                self.stats.refused += 1;
                return Err(Error::invalid(
                    "clock",
                    format!(
                        "the clock moved backwards by {} ms (from {last} to {now}); refusing to \
                         generate IDs until it passes {last} again, since they could repeat IDs \
                         already issued",
                        last - now
                    ),
                ));
            }
            if now == last {
                self.sequence = (self.sequence + 1) & Self::MAX_SEQUENCE;
                if self.sequence == 0 {
                    self.stats.overflow_waits += 1;
                    let mut reads = 0;
                    while now <= last {
                        if reads >= self.max_spin_reads {
                            return Err(Error::invalid(
                                "clock",
                                format!(
                                    "4096 IDs were issued in millisecond {last} and the clock \
                                     did not advance in {reads} reads"
                                ),
                            ));
                        }
                        now = clock.now_ms();
                        reads += 1;
                    }
                    self.stats.spin_reads += reads;
                }
            } else {
                self.sequence = 0;
            }
        }
        let since_epoch = now.checked_sub(self.epoch_ms).ok_or_else(|| {
            Error::out_of_range(
                "clock",
                now,
                format!("the time must not be before the epoch {} ms", self.epoch_ms),
            )
        })?;
        if since_epoch >= 1 << Self::TIMESTAMP_BITS {
            return Err(Error::out_of_range(
                "clock",
                now,
                "the time is more than 2^41 ms (69.7 years) after the epoch",
            ));
        }
        self.last_ms = Some(now);
        self.stats.issued += 1;
        Ok(since_epoch << Self::TIMESTAMP_SHIFT
            | (self.datacenter as u64) << Self::DATACENTER_SHIFT
            | (self.worker as u64) << Self::WORKER_SHIFT
            | self.sequence as u64)
    }

    /// Take a Twitter-epoch Snowflake ID apart: Unix milliseconds, datacenter, worker and
    /// sequence. The timestamp is `(id >> 22) + TWITTER_EPOCH_MS`, as every decoder computes it.
    pub fn decode(id: u64) -> SnowflakeParts {
        Snowflake::decode_with_epoch(id, Self::TWITTER_EPOCH_MS)
    }

    /// [`Snowflake::decode`] for a custom epoch (Unix ms).
    pub fn decode_with_epoch(id: u64, epoch_ms: u64) -> SnowflakeParts {
        SnowflakeParts {
            unix_ms: (id >> Self::TIMESTAMP_SHIFT).saturating_add(epoch_ms),
            datacenter: ((id >> Self::DATACENTER_SHIFT) & 31) as u8,
            worker: ((id >> Self::WORKER_SHIFT) & 31) as u8,
            sequence: (id & Self::MAX_SEQUENCE as u64) as u16,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// UUIDs (RFC 9562)

/// A 128-bit UUID, displayed in the 8-4-4-4-12 hex form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uuid(pub u128);

/// Mask and value of the variant field: the two high bits of octet 8 are `10` (RFC 9562 §4.1).
const VARIANT_MASK: u128 = 0b11 << 62;
const VARIANT_RFC: u128 = 0b10 << 62;
const VERSION_SHIFT: u32 = 76;

impl Uuid {
    /// The version number (bits 48..52 counted from the most significant bit).
    pub fn version(&self) -> u8 {
        ((self.0 >> VERSION_SHIFT) & 0xF) as u8
    }

    /// Whether the variant field is RFC 9562's `10`.
    pub fn is_rfc_variant(&self) -> bool {
        self.0 & VARIANT_MASK == VARIANT_RFC
    }

    /// For a UUIDv7: the 48-bit Unix millisecond timestamp in its first six octets.
    pub fn unix_ms(&self) -> Option<u64> {
        (self.version() == 7).then_some((self.0 >> 80) as u64)
    }

    /// The sixteen octets, most significant first.
    pub fn bytes(&self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Parse the 8-4-4-4-12 hex form (case-insensitive).
    pub fn parse(text: &str) -> Result<Uuid> {
        let hex: String = text.chars().filter(|&c| c != '-').collect();
        let shape_ok = text.len() == 36
            && [8, 13, 18, 23].iter().all(|&i| text.as_bytes().get(i) == Some(&b'-'))
            && hex.len() == 32;
        let value = if shape_ok { u128::from_str_radix(&hex, 16).ok() } else { None };
        value.map(Uuid).ok_or_else(|| {
            Error::invalid(
                "UUID",
                format!("{text:?} is not of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex)"),
            )
        })
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = format!("{:032x}", self.0);
        write!(f, "{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }
}

fn with_version_and_variant(bits: u128, version: u8) -> Uuid {
    let cleared = bits & !(0xF << VERSION_SHIFT) & !VARIANT_MASK;
    Uuid(cleared | (version as u128) << VERSION_SHIFT | VARIANT_RFC)
}

fn random_u128(rng: &mut SimRng) -> u128 {
    (rng.next_u64() as u128) << 64 | rng.next_u64() as u128
}

/// A version-4 (random) UUID: 122 random bits from `rng`, version 4, variant `10`.
///
/// ```
/// # use course_lib::{ids::uuid_v4, rng::SimRng};
/// let u = uuid_v4(&mut SimRng::new(1));
/// assert_eq!(u.version(), 4);
/// assert!(u.is_rfc_variant());
/// assert_eq!(u.to_string().len(), 36);
/// ```
pub fn uuid_v4(rng: &mut SimRng) -> Uuid {
    with_version_and_variant(random_u128(rng), 4)
}

/// A version-7 UUID for `unix_ms` (must fit in 48 bits): the timestamp, version 7, then 74
/// random bits (no monotonic counter; see [`UuidV7Generator`] for that).
pub fn uuid_v7(unix_ms: u64, rng: &mut SimRng) -> Result<Uuid> {
    if unix_ms >= 1 << 48 {
        return Err(Error::out_of_range(
            "unix_ms",
            unix_ms,
            "UUIDv7 has 48 bits of milliseconds (until the year 10889)",
        ));
    }
    let random = random_u128(rng) & ((1u128 << 80) - 1);
    Ok(with_version_and_variant((unix_ms as u128) << 80 | random, 7))
}

/// Generates UUIDv7s that are strictly increasing even within one millisecond, with the
/// "fixed-length dedicated counter" of RFC 9562 §6.2, method 1: the 12-bit `rand_a` field is a
/// counter, started at a random value below 2¹¹ in each new millisecond (leaving room to count)
/// and incremented for each further UUID in the same millisecond; if it would overflow, the
/// timestamp is advanced by one millisecond (allowed by §6.2). A clock that goes backwards is
/// treated as "the same millisecond as the last UUID", so order is kept.
#[derive(Clone, Debug)]
pub struct UuidV7Generator {
    rng: SimRng,
    last_ms: u64,
    counter: u16,
    started: bool,
}

impl UuidV7Generator {
    /// A generator drawing its random bits from `SimRng::new(seed)`.
    pub fn new(seed: u64) -> UuidV7Generator {
        UuidV7Generator { rng: SimRng::new(seed), last_ms: 0, counter: 0, started: false }
    }

    /// The next UUID at `unix_ms`.
    pub fn next(&mut self, unix_ms: u64) -> Result<Uuid> {
        if unix_ms >= 1 << 48 {
            return Err(Error::out_of_range("unix_ms", unix_ms, "UUIDv7 has 48 bits of ms"));
        }
        if !self.started || unix_ms > self.last_ms {
            self.last_ms = unix_ms;
            self.counter = (self.rng.next_u64() & 0x7FF) as u16;
            self.started = true;
        } else if self.counter == 0xFFF {
            self.last_ms += 1;
            self.counter = (self.rng.next_u64() & 0x7FF) as u16;
        } else {
            self.counter += 1;
        }
        let rand_b = self.rng.next_u64() as u128 & ((1u128 << 62) - 1);
        let bits = (self.last_ms as u128) << 80 | (self.counter as u128) << 64 | rand_b;
        Ok(with_version_and_variant(bits, 7))
    }
}

// ---------------------------------------------------------------------------------------------
// Ticket servers

/// A Flickr-style ticket server: a counter that hands out `offset, offset + step,
/// offset + 2·step, …` (MySQL's `auto_increment_offset` and `auto_increment_increment`).
///
/// ```
/// # use course_lib::ids::TicketServer;
/// let mut odd = TicketServer::new(1, 2)?;
/// let mut even = TicketServer::new(2, 2)?;
/// assert_eq!([odd.next_ticket(), odd.next_ticket(), even.next_ticket()], [1, 3, 2]);
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketServer {
    offset: u64,
    step: u64,
    next: u64,
    up: bool,
}

impl TicketServer {
    /// A server that starts at `offset` and counts in steps of `step` (`1 <= offset <= step`).
    pub fn new(offset: u64, step: u64) -> Result<TicketServer> {
        if step == 0 {
            return Err(Error::out_of_range("step", 0, "must be at least 1"));
        }
        if !(1..=step).contains(&offset) {
            return Err(Error::out_of_range(
                "offset",
                offset,
                format!("must be between 1 and step = {step}, or servers would overlap"),
            ));
        }
        Ok(TicketServer { offset, step, next: offset, up: true })
    }

    /// The next ticket.
    pub fn next_ticket(&mut self) -> u64 {
        let t = self.next;
        self.next += self.step;
        t
    }

    /// The offset this server was configured with.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Is the server up?
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Take the server down or bring it back (its counter is durable: it survives).
    pub fn set_up(&mut self, up: bool) {
        self.up = up;
    }
}

/// Several ticket servers with offsets 1..=k and step k, used round-robin, skipping servers
/// that are down: Flickr's pair is `TicketCluster::new(2)`.
#[derive(Clone, Debug)]
pub struct TicketCluster {
    servers: Vec<TicketServer>,
    turn: usize,
}

impl TicketCluster {
    /// `k >= 1` servers with offsets 1..=k and step k.
    pub fn new(k: usize) -> Result<TicketCluster> {
        let k = validate::at_least("k", k, 1)?;
        let servers =
            (1..=k as u64).map(|o| TicketServer::new(o, k as u64)).collect::<Result<Vec<_>>>()?;
        Ok(TicketCluster { servers, turn: 0 })
    }

    /// The servers.
    pub fn servers(&self) -> &[TicketServer] {
        &self.servers
    }

    /// Take server `i` down or bring it back up.
    pub fn set_up(&mut self, i: usize, up: bool) -> Result<()> {
        let n = self.servers.len();
        let s = self.servers.get_mut(i).ok_or_else(|| {
            Error::out_of_range("server", i, format!("the cluster has servers 0..{n}"))
        })?;
        s.set_up(up);
        Ok(())
    }

    /// The next ticket from the next live server in round-robin order, with that server's
    /// index; an error if every server is down.
    pub fn next_ticket(&mut self) -> Result<(usize, u64)> {
        let n = self.servers.len();
        for _ in 0..n {
            let i = self.turn;
            self.turn = (self.turn + 1) % n;
            if self.servers[i].is_up() {
                return Ok((i, self.servers[i].next_ticket()));
            }
        }
        Err(Error::invalid("ticket cluster", "every ticket server is down"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_wikipedia_uuid_collision_figures() {
        // Wikipedia, "Universally unique identifier", § Collisions: 2.71 quintillion v4 UUIDs
        // for a 50 % chance; 103 trillion for one in a billion (printed to 3 digits).
        let n50 = ids_for_collision_probability(0.5, 122);
        assert!((n50 / 1e18 - 2.71).abs() < 0.005, "{n50}");
        let n_billion = ids_for_collision_probability(1e-9, 122);
        assert!((n_billion / 1e12 - 103.0).abs() < 0.5, "{n_billion}");
    }

    #[test]
    fn tiny_probabilities_keep_their_digits() {
        // a billion IDs of 122 bits: x = n(n-1)/2^123 ≈ 9.4e-20, and p ≈ x
        let n = 1e9;
        let x = n * (n - 1.0) / 2f64.powi(123);
        let p = collision_probability(n, 122);
        assert!((p / x - 1.0).abs() < 1e-12, "{p} vs {x}");
        assert!(1.0 - (-x).exp() == 0.0, "the naive formula underflows, which is the point");
        // huge n: probability 1, never NaN
        assert_eq!(collision_probability(1e300, 64), 1.0);
        assert_eq!(collision_probability(0.0, 64), 0.0);
        assert_eq!(collision_probability(1.0, 1), 0.0);
    }

    #[test]
    fn inverse_round_trips() {
        for bits in [8, 32, 41, 64, 122, 128] {
            for p in [1e-15, 1e-6, 0.01, 0.5, 0.99] {
                let n = ids_for_collision_probability(p, bits);
                let back = collision_probability(n, bits);
                // n barely above 1 (8 bits, p = 1e-15) loses digits in n − 1: looser there
                let tol = if n < 2.0 { 1e-3 } else { 1e-9 };
                assert!((back / p - 1.0).abs() < tol, "bits {bits} p {p}: n {n} → {back}");
            }
        }
    }

    #[test]
    fn bad_input_is_nan_or_a_named_error() {
        for bits in [0, 129, 1000] {
            assert!(collision_probability(10.0, bits).is_nan());
            assert!(ids_for_collision_probability(0.5, bits).is_nan());
            let msg = try_collision_probability(10.0, bits).unwrap_err().to_string();
            assert!(msg.starts_with("bits = ") && msg.contains("between 1 and 128"), "{msg}");
        }
        for n in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(collision_probability(n, 64).is_nan());
            assert!(try_collision_probability(n, 64).unwrap_err().to_string().starts_with("n = "));
        }
        for p in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert!(ids_for_collision_probability(p, 64).is_nan());
            let msg = try_ids_for_collision_probability(p, 64).unwrap_err().to_string();
            assert!(msg.starts_with("p = ") && msg.contains("strictly between 0 and 1"), "{msg}");
        }
    }

    #[test]
    fn birthday_problem_classic() {
        let (approx, exact) = birthday_problem(23, 365.0).unwrap();
        assert!((exact - 0.507_297).abs() < 1e-6, "{exact}");
        assert!(approx < exact);
        assert_eq!(birthday_problem(400, 365.0).unwrap().1, 1.0);
        assert!(birthday_problem(3, 0.0).is_err());
    }

    #[test]
    fn decodes_a_real_tweet_id() {
        // Wikipedia, "Snowflake ID", § Example: a tweet by @Wikipedia, ID 1541815603606036480,
        // created 2022-06-28 16:07:40.105 UTC = 1656432460105 ms; machine bits 01011|11010.
        let d = Snowflake::decode(1541815603606036480);
        assert_eq!(d.unix_ms, 1_656_432_460_105);
        assert_eq!((d.datacenter, d.worker, d.sequence), (11, 26, 0));
    }

    #[test]
    fn encode_decode_round_trip_and_order() {
        let mut gen = Snowflake::new(31, 0).unwrap();
        let t0 = 1_700_000_000_000;
        let mut reads = 0;
        let mut clock = || {
            reads += 1;
            t0 + reads / 3
        };
        let mut clock_ids = Vec::new();
        for _ in 0..100 {
            clock_ids.push(gen.next_id(&mut clock).unwrap());
        }
        assert!(clock_ids.windows(2).all(|w| w[0] < w[1]));
        let d = Snowflake::decode(clock_ids[0]);
        assert_eq!((d.datacenter, d.worker), (31, 0));
        assert_eq!(d.unix_ms, t0);
        assert!(clock_ids.iter().all(|&id| id < 1 << 63));
    }

    #[test]
    fn sequence_overflow_waits_for_the_next_millisecond() {
        let t = Snowflake::TWITTER_EPOCH_MS + 5;
        // 4096 reads at t, then three more reads at t while spinning, then t + 1
        let script: Vec<u64> = std::iter::repeat_n(t, 4096 + 3).chain([t + 1]).collect();
        let mut clock = ScriptedClock::new(script).unwrap();
        let mut gen = Snowflake::new(0, 1).unwrap();
        let ids: Vec<u64> = (0..4097).map(|_| gen.next_id(&mut clock).unwrap()).collect();
        assert_eq!(Snowflake::decode(ids[4095]).sequence, 4095);
        let last = Snowflake::decode(ids[4096]);
        assert_eq!((last.unix_ms, last.sequence), (t + 1, 0));
        assert_eq!(gen.stats().overflow_waits, 1);
        assert_eq!(gen.stats().spin_reads, 3);
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        // a clock that never advances: an error, not an infinite loop
        let mut stuck = Snowflake::new(0, 1).unwrap().with_max_spin_reads(10);
        let mut frozen = || t;
        for _ in 0..4096 {
            stuck.next_id(&mut frozen).unwrap();
        }
        let msg = stuck.next_id(&mut frozen).unwrap_err().to_string();
        assert!(msg.contains("did not advance"), "{msg}");
    }

    #[test]
    fn clock_rollback_is_refused_until_the_clock_catches_up() {
        let t = Snowflake::TWITTER_EPOCH_MS + 1_000;
        let mut clock = ScriptedClock::new([t, t - 7, t - 1, t, t + 1]).unwrap();
        let mut gen = Snowflake::new(1, 1).unwrap();
        let first = gen.next_id(&mut clock).unwrap();
        let msg = gen.next_id(&mut clock).unwrap_err().to_string();
        assert!(msg.contains("moved backwards by 7 ms"), "{msg}");
        assert!(gen.next_id(&mut clock).is_err());
        let again = gen.next_id(&mut clock).unwrap(); // same ms as `first`: next sequence
        assert!(again > first);
        assert_eq!(Snowflake::decode(again).sequence, 1);
        assert!(gen.next_id(&mut clock).unwrap() > again);
        assert_eq!(gen.stats().refused, 2);
    }

    #[test]
    fn a_restart_after_a_clock_step_back_reissues_snowflake_ids() {
        // Notebook 10's cell: the refusal above lives in memory, so a restarted process whose
        // clock was stepped back 3 ms reissues the IDs of those 3 milliseconds.
        let t = Snowflake::TWITTER_EPOCH_MS + 1_000_000;
        let mut clock = ScriptedClock::new((0..6).map(|i| t + i)).unwrap();
        let mut before = Snowflake::new(1, 7).unwrap();
        let first: Vec<u64> = (0..6).map(|_| before.next_id(&mut clock).unwrap()).collect();
        let mut clock = ScriptedClock::new((3..6).map(|i| t + i)).unwrap();
        let mut after = Snowflake::new(1, 7).unwrap();
        let second: Vec<u64> = (0..3).map(|_| after.next_id(&mut clock).unwrap()).collect();
        assert_eq!(second, first[3..].to_vec(), "the same three IDs, issued twice");
        assert_eq!(after.stats().refused, 0, "nothing told the new process to refuse");
    }

    #[test]
    fn snowflake_bad_input() {
        assert!(Snowflake::new(32, 0).unwrap_err().to_string().starts_with("datacenter = 32"));
        assert!(Snowflake::new(0, 40).unwrap_err().to_string().starts_with("worker = 40"));
        let mut g = Snowflake::new(0, 0).unwrap();
        assert!(g.next_id(&mut || 5).unwrap_err().to_string().contains("before the epoch"));
        let far = Snowflake::TWITTER_EPOCH_MS + (1 << 41);
        assert!(g.next_id(&mut || far).unwrap_err().to_string().contains("2^41"));
        assert!(ScriptedClock::new([]).is_err());
    }

    #[test]
    fn uuid_layout_follows_rfc_9562() {
        let mut rng = SimRng::new(9);
        for _ in 0..1000 {
            let u = uuid_v4(&mut rng);
            assert_eq!(u.version(), 4);
            assert!(u.is_rfc_variant());
            let s = u.to_string();
            assert_eq!(&s[14..15], "4");
            assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"), "{s}");
            assert_eq!(Uuid::parse(&s).unwrap(), u);
            assert_eq!(u.bytes()[6] >> 4, 4);
            assert_eq!(u.bytes()[8] >> 6, 0b10);
        }
        // RFC 9562 Appendix A.6 example UUIDv7: 017F22E2-79B0-7CC3-98C4-DC0C0C07398F,
        // timestamp 0x017F22E279B0 = 1645557742000 ms (Tuesday, February 22, 2022 2:22:22 PM GMT-05:00)
        let ex = Uuid::parse("017F22E2-79B0-7CC3-98C4-DC0C0C07398F").unwrap();
        assert_eq!(ex.version(), 7);
        assert!(ex.is_rfc_variant());
        assert_eq!(ex.unix_ms(), Some(1_645_557_742_000));
        let v7 = uuid_v7(1_645_557_742_000, &mut rng).unwrap();
        assert_eq!(v7.version(), 7);
        assert!(v7.is_rfc_variant());
        assert_eq!(v7.unix_ms(), Some(1_645_557_742_000));
        assert_eq!(&v7.to_string()[..13], "017f22e2-79b0");
        assert!(uuid_v7(1 << 48, &mut rng).is_err());
        assert!(Uuid::parse("not-a-uuid").unwrap_err().to_string().contains("not of the form"));
    }

    #[test]
    fn uuid_v7_sorts_by_time_and_is_monotonic_within_a_millisecond() {
        let mut rng = SimRng::new(3);
        let a = uuid_v7(1000, &mut rng).unwrap();
        let b = uuid_v7(1001, &mut rng).unwrap();
        assert!(a < b);
        let mut gen = UuidV7Generator::new(5);
        let mut prev = gen.next(2000).unwrap();
        // 10 000 UUIDs in the same millisecond, then a clock step back
        for i in 0..10_000 {
            let t = if i < 9_000 { 2000 } else { 1990 };
            let u = gen.next(t).unwrap();
            assert!(u > prev, "not increasing at {i}");
            assert_eq!(u.version(), 7);
            assert!(u.is_rfc_variant());
            prev = u;
        }
        assert!(prev.unix_ms().unwrap() > 2000, "overflowing counters advance the timestamp");
    }

    #[test]
    fn ticket_servers_never_collide_even_when_one_is_down() {
        let mut c = TicketCluster::new(2).unwrap();
        let mut seen = std::collections::HashSet::new();
        for i in 0..1000 {
            if i == 300 {
                c.set_up(0, false).unwrap();
            }
            if i == 600 {
                c.set_up(0, true).unwrap();
            }
            let (_, t) = c.next_ticket().unwrap();
            assert!(seen.insert(t), "duplicate ticket {t}");
        }
        c.set_up(0, false).unwrap();
        c.set_up(1, false).unwrap();
        assert!(c.next_ticket().unwrap_err().to_string().contains("every ticket server is down"));
        assert!(c.set_up(5, true).is_err());
        assert!(TicketServer::new(3, 2).unwrap_err().to_string().starts_with("offset = 3"));
        assert!(TicketServer::new(1, 0).is_err());
        assert!(TicketCluster::new(0).is_err());
    }
}
