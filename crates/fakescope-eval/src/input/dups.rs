//! Finding a repeated id among millions.
//!
//! Looking every id up in one big hash set is slow at this size: each lookup misses the cache
//! twice (the table, then the string). Instead each id is hashed while it is parsed (its bytes
//! are in cache then); the 64-bit hashes are spread over shards by their top bits, each shard
//! is checked for repeated hashes with a small open-addressing table that stays in cache (in
//! parallel), and only ids whose hash occurs twice are compared as strings. Equal hashes of
//! different ids (or crafted ids that collide) only send more ids to the exact check, which is
//! an ordinary hash set; the answer is always exact.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

/// A 64-bit hash of an id's bytes: multiply-xorshift over 8-byte words, then the SplitMix64
/// finaliser. Fast and well mixed, not keyed (see the module docs for why that is safe).
pub(crate) fn id_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (bytes.len() as u64).wrapping_mul(K) ^ 0x2545_F491_4F6C_DD1D;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
        h ^= h >> 29;
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    // SplitMix64 finaliser.
    h ^= h >> 30;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

/// The first repeated id: `(first, repeat)` indices of the repeat that comes earliest in
/// `ids`, or `None` when every id is distinct. `hashes` holds [`id_hash`] of each id (it is
/// sorted here, hence taken by value).
pub(crate) fn first_duplicate(ids: &[String], hashes: Vec<u64>) -> Option<(usize, usize)> {
    first_duplicate_with(ids, hashes, id_hash)
}

/// [`first_duplicate`] with another hash function (tests force collisions with it).
fn first_duplicate_with(
    ids: &[String],
    hashes: Vec<u64>,
    hash: impl Fn(&[u8]) -> u64,
) -> Option<(usize, usize)> {
    debug_assert_eq!(ids.len(), hashes.len());
    let candidates = repeated(hashes);
    if candidates.is_empty() {
        return None;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        if candidates.contains(&slot_key(hash(id.as_bytes()))) {
            if let Some(&first) = seen.get(id.as_str()) {
                return Some((first, i));
            }
            seen.insert(id, i);
        }
    }
    None
}

/// Bits of a hash that pick its shard.
const SHARD_BITS: u32 = 8;

/// The value stored for a hash in a shard table: never 0, which marks an empty slot. (Hashes
/// that differ only in the lowest bit look equal, which only sends them to the exact check.)
fn slot_key(hash: u64) -> u64 {
    hash | 1
}

/// The [`slot_key`]s that occur more than once.
fn repeated(mut hashes: Vec<u64>) -> HashSet<u64> {
    let shard = |h: u64| (h >> (64 - SHARD_BITS)) as usize;
    let mut starts = vec![0usize; (1 << SHARD_BITS) + 1];
    for &h in &hashes {
        starts[shard(h) + 1] += 1;
    }
    for s in 1..starts.len() {
        starts[s] += starts[s - 1];
    }
    // Group by shard in place (American flag sort): take the next unplaced value of shard `s`
    // and swap values into their shards' next free places until one belongs to `s`.
    let mut next = starts.clone();
    for s in 0..(1 << SHARD_BITS) {
        while next[s] < starts[s + 1] {
            let mut value = hashes[next[s]];
            loop {
                let t = shard(value);
                if t == s {
                    break;
                }
                std::mem::swap(&mut value, &mut hashes[next[t]]);
                next[t] += 1;
            }
            hashes[next[s]] = value;
            next[s] += 1;
        }
    }
    let shards: Vec<&[u64]> = starts.windows(2).map(|w| &hashes[w[0]..w[1]]).collect();
    shards
        .into_par_iter()
        .flat_map_iter(repeats_in_shard)
        .collect()
}

/// Repeated values in one shard, by linear probing in a table at most half full.
fn repeats_in_shard(keys: &[u64]) -> Vec<u64> {
    let size = (2 * keys.len()).next_power_of_two().max(16);
    let mask = size - 1;
    let mut table = vec![0u64; size];
    let mut repeats = Vec::new();
    for &key in keys {
        let key = slot_key(key);
        // The low bits are independent of the shard (which took the top bits).
        let mut slot = (key >> 1) as usize & mask;
        loop {
            match table[slot] {
                0 => {
                    table[slot] = key;
                    break;
                }
                k if k == key => {
                    repeats.push(key);
                    break;
                }
                _ => slot = (slot + 1) & mask,
            }
        }
    }
    repeats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ids: &[String]) -> Option<(usize, usize)> {
        first_duplicate(ids, ids.iter().map(|id| id_hash(id.as_bytes())).collect())
    }

    #[test]
    fn finds_the_earliest_repeat() {
        let ids: Vec<String> = ["a", "b", "c", "b", "a", "d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(check(&ids), Some((1, 3)));
        let distinct: Vec<String> = (0..100_000).map(|i| format!("file_{i:07}")).collect();
        assert_eq!(check(&distinct), None);
        let mut repeated = distinct.clone();
        repeated.push("file_0004321".to_string());
        assert_eq!(check(&repeated), Some((4321, 100_000)));
    }

    #[test]
    fn colliding_hashes_are_told_apart() {
        let ids: Vec<String> = ["x", "y", "z", "y"].iter().map(|s| s.to_string()).collect();
        // Every hash equal: only the exact check decides.
        assert_eq!(first_duplicate_with(&ids[..3], vec![7; 3], |_| 7), None);
        assert_eq!(first_duplicate_with(&ids, vec![7; 4], |_| 7), Some((1, 3)));
    }

    #[test]
    fn hash_depends_on_every_byte_and_the_length() {
        assert_ne!(id_hash(b"ab"), id_hash(b"ab\0"));
        assert_ne!(id_hash(b"file_0000001"), id_hash(b"file_0000002"));
        assert_ne!(id_hash(b"12345678a"), id_hash(b"12345678b"));
    }
}
