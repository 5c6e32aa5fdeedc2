//! Duplicate ratings: a (response_id, subject_id, item) seen earlier in the
//! batch or already in the warehouse. Keys are kept as 64-bit fingerprints
//! with a 32-bit note of where each was first seen, 12 bytes a key (about
//! 20 with the tables' free slots: 200 MB for a batch of ten million).

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

/// One key and where it was first seen, as three `u32`s: 12 bytes a key
/// where a `HashMap<u64, Origin>` entry takes 16 (its `u64` aligns the pair).
#[derive(Clone, Copy)]
struct Entry([u32; 3]);

impl Entry {
    fn new(key: u64, origin: Origin) -> Entry {
        Entry([(key >> 32) as u32, key as u32, origin.0])
    }

    fn key(&self) -> u64 {
        (u64::from(self.0[0]) << 32) | u64::from(self.0[1])
    }

    fn origin(&self) -> Origin {
        Origin(self.0[2])
    }
}

/// Keys are already xxh3 fingerprints, so they need no hashing, only a
/// rotation: the table takes its control byte from the hash's top 7 bits,
/// which within a shard are all alike (they choose the shard).
fn hash_of(key: u64) -> u64 {
    key.rotate_left(Seen::BITS)
}

fn hash(e: &Entry) -> u64 {
    hash_of(e.key())
}

type Shard = hashbrown::HashTable<Entry>;

/// The keys seen, in 4,096 tables chosen by the fingerprint's top 12 bits.
/// A block's keys are checked shard by shard (`insert_block`), so the
/// probes of one shard land in a few tens of kilobytes instead of all over
/// a table of hundreds of megabytes: that was 14 % of ingest's time, most of
/// it waiting on memory. A shard also grows on its own, so the transient of
/// a doubling is 1/4096 of the whole.
pub struct Seen {
    shards: Vec<Shard>,
}

impl Seen {
    const BITS: u32 = 12;
    const SHARDS: usize = 1 << Self::BITS;

    pub fn with_capacity(n: usize) -> Seen {
        Seen {
            shards: (0..Self::SHARDS)
                .map(|_| Shard::with_capacity(n / Self::SHARDS))
                .collect(),
        }
    }

    fn shard(key: u64) -> usize {
        (key >> (64 - Self::BITS)) as usize
    }

    pub fn get(&self, key: u64) -> Option<Origin> {
        self.shards[Self::shard(key)]
            .find(hash_of(key), |e| e.key() == key)
            .map(Entry::origin)
    }

    /// Records the key's origin; true when it is new.
    pub fn insert_new(&mut self, key: u64, origin: Origin) -> bool {
        match self.shards[Self::shard(key)].entry(hash_of(key), |e| e.key() == key, hash) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(Entry::new(key, origin));
                true
            }
        }
    }

    /// Inserts a block's keys (in row order, `origin(i)` of the i-th) and
    /// returns which were seen before. Keys are visited shard by shard, each
    /// shard's in row order: a key and its repeats share a shard, so "the
    /// first occurrence wins" holds as if the rows were taken one by one.
    pub fn insert_block(&mut self, keys: &[u64], origin: impl Fn(usize) -> Origin) -> Vec<bool> {
        // A stable counting sort of the row indices by shard.
        let mut start = vec![0u32; Self::SHARDS + 1];
        for &k in keys {
            start[Self::shard(k) + 1] += 1;
        }
        for s in 1..start.len() {
            start[s] += start[s - 1];
        }
        let mut order = vec![0u32; keys.len()];
        for (i, &k) in keys.iter().enumerate() {
            let at = &mut start[Self::shard(k)];
            order[*at as usize] = i as u32;
            *at += 1;
        }
        let mut seen_before = vec![false; keys.len()];
        for i in order {
            let i = i as usize;
            seen_before[i] = !self.insert_new(keys[i], origin(i));
        }
        seen_before
    }

    pub fn retain(&mut self, keep: impl Fn(&Origin) -> bool) {
        for shard in &mut self.shards {
            shard.retain(|e| keep(&e.origin()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_keeps_the_first_occurrence_in_row_order_across_shards() {
        // Keys in different shards (top bits) and repeats within the block.
        let (a, b, c) = (1u64 << 63 | 5, 7u64, 1u64 << 62 | 9);
        let mut seen = Seen::with_capacity(0);
        assert!(seen.insert_new(c, Origin::warehouse(4)));
        let keys = [a, b, a, c, b, 11];
        let dup = seen.insert_block(&keys, |i| Origin::line(0, i as u32 + 2));
        assert_eq!(dup, [false, false, true, true, true, false]);
        assert_eq!(seen.get(a).map(|o| o.0), Some(Origin::line(0, 2).0));
        assert_eq!(seen.get(b).map(|o| o.0), Some(Origin::line(0, 3).0));
        assert_eq!(seen.get(c).map(|o| o.0), Some(Origin::warehouse(4).0));
        seen.retain(|o| o.0 >> 24 == 0xFF);
        assert!(seen.get(a).is_none() && seen.get(c).is_some());
    }
}
