//! The log's record format: `[len u32][crc32c u32][payload]`, little-endian, and the scan that
//! reads records back and stops at the first one that does not verify.

use std::fmt;

use crate::error::{Error, Result};

/// A log sequence number: the position of a record in the log, 1, 2, 3, … (0 = "nothing").
pub type Lsn = u64;

/// Bytes of a record header: `len` (u32) and `crc` (u32).
pub const HEADER_BYTES: usize = 8;
/// Bytes of a payload: `lsn` (u64), `key` (u32), `value` (i64).
pub const PAYLOAD_BYTES: usize = 20;
/// Bytes of a whole record on disk.
pub const RECORD_BYTES: usize = HEADER_BYTES + PAYLOAD_BYTES;

const CASTAGNOLI: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

/// CRC-32C (Castagnoli polynomial 0x1EDC6F41, reflected, initial value and final XOR
/// 0xFFFFFFFF), the checksum of iSCSI, ext4 metadata and many write-ahead logs. The standard
/// check value is `crc32c(b"123456789") == 0xE3069283`.
///
/// ```
/// assert_eq!(course_lib::storage::crc32c(b"123456789"), 0xE306_9283);
/// ```
pub fn crc32c(data: &[u8]) -> u32 {
    CASTAGNOLI.checksum(data)
}

/// One operation of the state machine the log drives: set `key` to `value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Op {
    /// The key.
    pub key: u32,
    /// The new value.
    pub value: i64,
}

/// A log record: an operation and its log sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// Its position in the log (1-based, consecutive).
    pub lsn: Lsn,
    /// What it does.
    pub op: Op,
}

impl Record {
    /// The record's bytes: `[len = 20 u32][crc32c(payload) u32][lsn u64][key u32][value i64]`,
    /// all little-endian; the CRC covers the 20 payload bytes.
    pub fn encode(&self) -> [u8; RECORD_BYTES] {
        let mut b = [0u8; RECORD_BYTES];
        b[8..16].copy_from_slice(&self.lsn.to_le_bytes());
        b[16..20].copy_from_slice(&self.op.key.to_le_bytes());
        b[20..28].copy_from_slice(&self.op.value.to_le_bytes());
        let crc = crc32c(&b[HEADER_BYTES..]);
        b[0..4].copy_from_slice(&(PAYLOAD_BYTES as u32).to_le_bytes());
        b[4..8].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decode the record that starts at byte `offset` of `log`, verifying its length and CRC.
    /// A damaged record is an error naming its byte offset; it is never returned.
    ///
    /// ```
    /// use course_lib::storage::{Op, Record};
    /// let mut bytes = Record { lsn: 1, op: Op { key: 7, value: 42 } }.encode().to_vec();
    /// assert_eq!(Record::decode_at(&bytes, 0).unwrap().op.value, 42);
    /// bytes[20] ^= 0x01; // one bit of the value flips
    /// let err = Record::decode_at(&bytes, 0).unwrap_err().to_string();
    /// assert!(err.contains("byte offset 0") && err.contains("checksum"), "{err}");
    /// ```
    pub fn decode_at(log: &[u8], offset: usize) -> Result<Record> {
        parse_at(log, offset).map_err(Error::from)
    }
}

/// Why a scan stopped at a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DamageKind {
    /// Fewer than 8 bytes are left: the header itself was torn.
    TornHeader {
        /// Bytes present.
        have: usize,
    },
    /// The header says `len` bytes follow, but fewer are there: the payload was torn.
    TornPayload {
        /// Bytes present after the header.
        have: usize,
    },
    /// The length field is not the payload size (20): garbled.
    BadLength {
        /// The length found.
        len: u32,
    },
    /// The payload's CRC-32C differs from the stored one: garbled.
    Checksum {
        /// CRC stored in the header.
        stored: u32,
        /// CRC computed over the payload.
        computed: u32,
    },
    /// A valid record with the wrong sequence number (not the next one expected).
    LsnGap {
        /// The LSN expected.
        expected: Lsn,
        /// The LSN found.
        found: Lsn,
    },
}

/// A record that does not verify, and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset of the record's first byte in the log.
    pub offset: usize,
    /// What is wrong with it.
    pub kind: DamageKind,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record at byte offset {}: ", self.offset)?;
        match self.kind {
            DamageKind::TornHeader { have } => write!(
                f,
                "torn header ({have} of {HEADER_BYTES} bytes); a record needs its 8-byte header"
            ),
            DamageKind::TornPayload { have } => write!(
                f,
                "torn payload ({have} of {PAYLOAD_BYTES} bytes); a record needs all the bytes its length names"
            ),
            DamageKind::BadLength { len } => {
                write!(f, "length field {len}; the only valid length is {PAYLOAD_BYTES}")
            }
            DamageKind::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}); a record is accepted only if its CRC-32C matches"
            ),
            DamageKind::LsnGap { expected, found } => write!(
                f,
                "LSN {found} where {expected} was expected; records must be consecutive"
            ),
        }
    }
}

impl From<Damage> for Error {
    fn from(d: Damage) -> Error {
        Error::invalid("log record", d.to_string())
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn parse_at(log: &[u8], offset: usize) -> std::result::Result<Record, Damage> {
    let damage = |kind| Damage { offset, kind };
    let rest = log.get(offset..).unwrap_or(&[]);
    if rest.len() < HEADER_BYTES {
        return Err(damage(DamageKind::TornHeader { have: rest.len() }));
    }
    let len = u32_at(rest, 0);
    if len as usize != PAYLOAD_BYTES {
        return Err(damage(DamageKind::BadLength { len }));
    }
    if rest.len() < RECORD_BYTES {
        return Err(damage(DamageKind::TornPayload { have: rest.len() - HEADER_BYTES }));
    }
    let stored = u32_at(rest, 4);
    let payload = &rest[HEADER_BYTES..RECORD_BYTES];
    let computed = crc32c(payload);
    if stored != computed {
        return Err(damage(DamageKind::Checksum { stored, computed }));
    }
    Ok(Record {
        lsn: u64_at(payload, 0),
        op: Op { key: u32_at(payload, 8), value: u64_at(payload, 12) as i64 },
    })
}

/// What a scan of a log found: the valid records, up to the first damaged one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    /// The records that verified, in order, with consecutive LSNs.
    pub records: Vec<Record>,
    /// Bytes of the log they occupy (the offset where the scan stopped).
    pub valid_bytes: usize,
    /// The first record that did not verify (`None`: the log ended cleanly).
    pub damage: Option<Damage>,
}

/// Read records from `log`, the first expected to have LSN `first_lsn`, verifying each
/// record's length, CRC and LSN; stop at the first that fails (a torn or garbled tail is
/// where the scan ends, never a record it accepts).
pub fn scan_log(log: &[u8], first_lsn: Lsn) -> Scan {
    let mut records = Vec::with_capacity(log.len() / RECORD_BYTES);
    let mut at = 0;
    let mut expected = first_lsn;
    while at < log.len() {
        match parse_at(log, at) {
            Ok(r) if r.lsn == expected => {
                records.push(r);
                at += RECORD_BYTES;
                expected += 1;
            }
            Ok(r) => {
                let kind = DamageKind::LsnGap { expected, found: r.lsn };
                return Scan {
                    records,
                    valid_bytes: at,
                    damage: Some(Damage { offset: at, kind }),
                };
            }
            Err(d) => return Scan { records, valid_bytes: at, damage: Some(d) },
        }
    }
    Scan { records, valid_bytes: at, damage: None }
}

/// Check that every byte of `log` is a valid record (first LSN `first_lsn`): the number of
/// records, or an error naming the byte offset of the first damaged one.
pub fn verify_log(log: &[u8], first_lsn: Lsn) -> Result<usize> {
    let scan = scan_log(log, first_lsn);
    match scan.damage {
        None => Ok(scan.records.len()),
        Some(d) => Err(d.into()),
    }
}
