//! API keys: `fsk_` and 43 characters of base64url (32 random bytes from the OS), shown once
//! when created and stored only as their SHA-256. A key has 256 bits of entropy, so a fast
//! hash is enough (no password stretching needed), and a lookup is one indexed query.

use sha2::{Digest, Sha256};

/// The prefix every key starts with (so a leaked key is easy to recognise and scan for).
pub const PREFIX: &str = "fsk_";

/// A new random key.
pub fn generate() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(format!("{PREFIX}{}", base64url(&bytes)))
}

/// A random identifier of `n` bytes, as lowercase hex (job and key ids).
pub fn random_id(n: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(hex(&bytes))
}

/// A new key named `name` as a store keeps it (with a fresh id), and the key itself.
pub fn new_key(
    name: &str,
    rate_per_minute: Option<u32>,
    max_active_jobs: Option<u32>,
) -> Result<(crate::store::Key, String), crate::store::StoreError> {
    use crate::store::StoreError;
    let secret = generate().map_err(StoreError::Random)?;
    let id = random_id(8).map_err(StoreError::Random)?;
    let key = crate::store::Key {
        id,
        name: name.to_owned(),
        created_at: crate::time::now_ms(),
        revoked_at: None,
        rate_per_minute,
        max_active_jobs,
    };
    Ok((key, secret))
}

/// What the store keeps of a key: its SHA-256, hex.
pub fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        // RFC 4648 section 10, without padding.
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn keys_are_random_and_hashed() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 43, "{a}");
        // sha256("abc"), FIPS 180-2 appendix B.1
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
