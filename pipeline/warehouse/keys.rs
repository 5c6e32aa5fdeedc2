//! The integer keys the warehouse stores beside the texts they stand for
//! (format 2): `ratings.response_key`, the response id as 64 bits.
//!
//! A response (a filled form, a device vote) is what the clustered
//! intervals and the distinct counts count, and its id is text: a device's
//! vote ids are unique per row, so Parquet stores them plain and every
//! reader hashed each row again. Stored once at ingest (or by `pingyi
//! migrate`), the key is read as an integer by compute and by analysts'
//! SQL (`count(distinct response_key)`) alike.
//!
//! xxh3-64 is a fixed, published function: the same id gives the same key
//! in every batch, every version and every engine that implements it.

/// The key of a response id: its xxh3-64, as the signed 64-bit integer
/// Parquet and SQL engines read without an unsigned type. None for none.
pub fn response_key(id: Option<&str>) -> Option<i64> {
    id.map(|t| xxhash_rust::xxh3::xxh3_64(t.as_bytes()) as i64)
}
