//! Sealed personal data: AES-256-GCM at rest, a keyed blind index (HMAC-SHA256) for exact lookup.
//! Both keys are derived from one 32-byte master key that comes from settings or a key file.

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::cell::RefCell;

use crate::error::{StoreError, StoreResult};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the HMAC kept as the blind index (as hex, twice as many characters): 128 bits make a
/// collision between two ID numbers as unlikely as guessing an AES key, and half the width keeps
/// the two indexes on `members` small enough for a roster import's page cache (migration 0010).
pub const BLIND_BYTES: usize = 16;

/// Nonces taken from the OS generator this many at a time: one system call per 256 seals
/// instead of one per seal (a roster import seals three values a row). Every byte is used once.
const NONCES_PER_FILL: usize = 256;
const NONCE_LEN: usize = 12;

struct NoncePool {
    bytes: [u8; NONCE_LEN * NONCES_PER_FILL],
    next: usize,
}

thread_local! {
    static NONCES: RefCell<NoncePool> = const {
        RefCell::new(NoncePool { bytes: [0; NONCE_LEN * NONCES_PER_FILL], next: NONCES_PER_FILL })
    };
}

/// A fresh random nonce from the OS generator (through this thread's pool, which no other thread
/// reads and which hands out each byte once).
fn fresh_nonce() -> StoreResult<[u8; NONCE_LEN]> {
    NONCES.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.next == NONCES_PER_FILL {
            OsRng
                .try_fill_bytes(&mut pool.bytes)
                .map_err(|_| StoreError::Internal("no randomness for a nonce".into()))?;
            pool.next = 0;
        }
        let at = pool.next * NONCE_LEN;
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&pool.bytes[at..at + NONCE_LEN]);
        pool.next += 1;
        Ok(nonce)
    })
}

#[derive(Clone)]
pub struct Sealer {
    aead: Aes256Gcm,
    /// The blind index's HMAC with its key already absorbed: cloned per value, which saves the
    /// two key blocks every fresh `new_from_slice` would hash again.
    index_mac: HmacSha256,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master).unwrap_or_else(|_| unreachable!());
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl Sealer {
    pub fn new(master: &[u8; 32]) -> Self {
        let enc = derive(master, b"jiceng/seal/v1");
        Self {
            aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&enc)),
            // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
            index_mac: <HmacSha256 as Mac>::new_from_slice(&derive(master, b"jiceng/index/v1"))
                .unwrap_or_else(|_| unreachable!()),
        }
    }

    /// Parses a key given as 64 hex characters.
    pub fn from_hex(hex_key: &str) -> StoreResult<Self> {
        let bytes = hex::decode(hex_key.trim())
            .map_err(|_| StoreError::Config("加密密钥须为64位十六进制字符".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::Config("加密密钥须为32字节（64位十六进制）".into()))?;
        Ok(Self::new(&key))
    }

    /// nonce (12 bytes) || ciphertext+tag.
    pub fn seal(&self, plain: &[u8]) -> StoreResult<Vec<u8>> {
        let nonce = fresh_nonce()?;
        let sealed = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), plain)
            .map_err(|_| StoreError::Internal("seal".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend(sealed);
        Ok(out)
    }

    pub fn open(&self, sealed: &[u8]) -> StoreResult<Vec<u8>> {
        if sealed.len() < 12 {
            return Err(StoreError::Internal("sealed value too short".into()));
        }
        let (nonce, ct) = sealed.split_at(12);
        self.aead
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| StoreError::Internal("sealed value does not open with this key".into()))
    }

    /// Blind index: equal inputs give equal outputs, nothing else is learned without the key.
    /// The first `BLIND_BYTES` of HMAC-SHA256, as lowercase hex.
    pub fn blind(&self, plain: &str) -> String {
        let mut mac = self.index_mac.clone();
        mac.update(plain.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..BLIND_BYTES])
    }
}

#[cfg(test)]
mod tests {
    use super::Sealer;

    #[test]
    fn seal_open_and_blind() {
        let s = Sealer::new(&[7u8; 32]);
        let a = s.seal(b"11010519491231002X").unwrap();
        let b = s.seal(b"11010519491231002X").unwrap();
        assert_ne!(a, b, "fresh nonce each time");
        assert_ne!(a[..12], b[..12]);
        // Past a refill of the nonce pool too: every nonce differs.
        let nonces: std::collections::HashSet<Vec<u8>> = (0..600)
            .map(|_| s.seal(b"x").unwrap()[..12].to_vec())
            .collect();
        assert_eq!(nonces.len(), 600);
        assert_eq!(s.open(&a).unwrap(), b"11010519491231002X");
        assert_eq!(s.blind("x"), s.blind("x"));
        assert_eq!(s.blind("x").len(), 32);
        assert_ne!(s.blind("x"), Sealer::new(&[8u8; 32]).blind("x"));
        assert!(Sealer::new(&[8u8; 32]).open(&a).is_err());
        assert!(Sealer::from_hex("abc").is_err());
    }
}
