//! Duplicate ratings: a (response_id, subject_id, item) seen earlier in the
//! batch or already in the warehouse. Keys are kept as 64-bit fingerprints
//! with a 32-bit note of where each was first seen, so the map for a batch of
//! ten million ratings stays near 200 MB.

use std::collections::HashMap;

/// Where a rating key was first seen, in 32 bits so the map of every key of
/// a province-sized batch stays small: the top 8 bits are the file's index in
/// the batch (255: the warehouse), the low 24 bits its line (or the batch id).
#[derive(Clone, Copy)]
pub struct Origin(pub u32);

impl Origin {
    const WAREHOUSE: u32 = 0xFF;

    pub fn line(file: u32, line: u32) -> Origin {
        Origin((file.min(0xFE) << 24) | line.min(0xFF_FFFF))
    }

    pub fn warehouse(batch: u32) -> Origin {
        Origin((Self::WAREHOUSE << 24) | batch.min(0xFF_FFFF))
    }

    pub fn describe(self, files: &[String]) -> String {
        let (file, low) = (self.0 >> 24, self.0 & 0xFF_FFFF);
        match file {
            Self::WAREHOUSE => format!("is already in the warehouse (batch {low})"),
            0xFE => format!("repeats line {low} of an earlier file of this batch"),
            f => format!("repeats line {low} of {}", files[f as usize]),
        }
    }
}

/// Keys are already xxh3 fingerprints: hashing them again is wasted work.
#[derive(Default)]
pub struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Shard = HashMap<u64, Origin, std::hash::BuildHasherDefault<Prehashed>>;

/// The keys seen, in 64 maps chosen by the fingerprint's top bits. One map of
/// ten million keys doubles in one step, holding its old and new tables at
/// once (about 400 MB at 7 M keys); a shard doubles on its own, so the
/// transient is 1/64 of that.
pub struct Seen {
    shards: Vec<Shard>,
}

impl Seen {
    const SHARDS: usize = 64;

    pub fn with_capacity(n: usize) -> Seen {
        Seen {
            shards: (0..Self::SHARDS)
                .map(|_| Shard::with_capacity_and_hasher(n / Self::SHARDS, Default::default()))
                .collect(),
        }
    }

    fn shard(key: u64) -> usize {
        (key >> 58) as usize
    }

    pub fn get(&self, key: u64) -> Option<Origin> {
        self.shards[Self::shard(key)].get(&key).copied()
    }

    /// Records the key's origin; true when it is new.
    pub fn insert_new(&mut self, key: u64, origin: Origin) -> bool {
        match self.shards[Self::shard(key)].entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(origin);
                true
            }
        }
    }

    pub fn retain(&mut self, keep: impl Fn(&Origin) -> bool) {
        for shard in &mut self.shards {
            shard.retain(|_, o| keep(o));
        }
    }
}

/// A 64-bit fingerprint of a rating's key. Two different keys share one
/// with probability about n²/2⁶⁵ (1e-5 at 20 million rows); a collision would
/// quarantine a row as a duplicate, visibly, never drop it.
pub fn fingerprint(response: &str, subject: &str, item: &str) -> u64 {
    // One-shot hashing of the joined key: the streaming state costs more
    // to set up than the few bytes cost to hash.
    let mut key = [0u8; 128];
    let n = response.len() + subject.len() + item.len() + 2;
    if n > key.len() {
        return xxhash_rust::xxh3::xxh3_64(format!("{response}\x1f{subject}\x1f{item}").as_bytes());
    }
    let mut at = 0;
    for part in [
        response.as_bytes(),
        b"\x1f",
        subject.as_bytes(),
        b"\x1f",
        item.as_bytes(),
    ] {
        key[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    xxhash_rust::xxh3::xxh3_64(&key[..n])
}
