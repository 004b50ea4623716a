//! Sealed personal data: AES-256-GCM at rest, a keyed blind index (HMAC-SHA256) for exact lookup.
//! Both keys are derived from one 32-byte master key that comes from settings or a key file.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{StoreError, StoreResult};

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct Sealer {
    aead: Aes256Gcm,
    index_key: [u8; 32],
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
            index_key: derive(master, b"jiceng/index/v1"),
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
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(
            self.aead
                .encrypt(&nonce, plain)
                .map_err(|_| StoreError::Internal("seal".into()))?,
        );
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
    pub fn blind(&self, plain: &str) -> String {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.index_key).unwrap_or_else(|_| unreachable!());
        mac.update(plain.as_bytes());
        hex::encode(mac.finalize().into_bytes())
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
        assert_eq!(s.open(&a).unwrap(), b"11010519491231002X");
        assert_eq!(s.blind("x"), s.blind("x"));
        assert_ne!(s.blind("x"), Sealer::new(&[8u8; 32]).blind("x"));
        assert!(Sealer::new(&[8u8; 32]).open(&a).is_err());
        assert!(Sealer::from_hex("abc").is_err());
    }
}
