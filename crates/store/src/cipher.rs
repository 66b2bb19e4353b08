//! Authenticated encryption of personal data at rest.
//!
//! Sealed format: `version (1 byte) || nonce (12 bytes) || ciphertext+tag`.
//!
//! Version 1 uses AES-256-GCM with a random 96-bit nonce under a key derived
//! per value: `HMAC-SHA256(master, context)`, where the context names the
//! table, column and row id. The same context is the GCM associated data.
//! Deriving per row keeps the random-nonce birthday bound (≈2³² seals per
//! key) per row rather than per deployment, which matters at thousands of
//! flow writes per second; binding row identity (twice) means a sealed value
//! copied to another row or column fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::config::MasterKey;
use crate::error::{StoreError, StoreResult};

const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Identifies where a sealed value lives; a value only opens in the place it
/// was sealed for.
#[derive(Debug, Clone, Copy)]
pub struct SealContext<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: &'a str,
}

impl<'a> SealContext<'a> {
    pub fn new(table: &'a str, column: &'a str, row_id: &'a str) -> Self {
        SealContext {
            table,
            column,
            row_id,
        }
    }

    /// Length-prefixed so that no two different contexts encode equally
    /// (e.g. row ids containing separators).
    fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(32 + self.table.len() + self.column.len() + self.row_id.len());
        out.extend_from_slice(b"heshen-seal-v1");
        for part in [self.table, self.column, self.row_id] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }

    fn describe(&self) -> String {
        format!("{}.{} for {}", self.table, self.column, self.row_id)
    }
}

#[derive(Clone)]
pub struct Cipher {
    master: [u8; 32],
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cipher(<redacted>)")
    }
}

impl Cipher {
    pub fn new(master_key: &MasterKey) -> Self {
        Cipher {
            master: *master_key.bytes(),
        }
    }

    fn aead_for(&self, context: &[u8]) -> Aes256Gcm {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.master)
            .expect("HMAC accepts keys of any length");
        mac.update(context);
        let derived = mac.finalize().into_bytes();
        Aes256Gcm::new(&derived)
    }

    /// A keyed hash for looking a secret value up without storing it in the clear
    /// (a "blind index"); `purpose` keeps indexes of different columns unrelated.
    pub fn blind_index(&self, purpose: &str, value: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.master)
            .expect("HMAC accepts keys of any length");
        mac.update(b"blind-index\0");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(value);
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn seal(&self, context: SealContext<'_>, plaintext: &[u8]) -> Vec<u8> {
        let aad = context.encode();
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .aead_for(&aad)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // Only fails for plaintexts beyond GCM's 64 GiB limit.
            .expect("AES-GCM encryption of an in-memory value");
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(FORMAT_V1);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    pub fn open(&self, context: SealContext<'_>, sealed: &[u8]) -> StoreResult<Vec<u8>> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN {
            return Err(StoreError::Crypto(format!(
                "{} (sealed value too short)",
                context.describe()
            )));
        }
        if sealed[0] != FORMAT_V1 {
            return Err(StoreError::Crypto(format!(
                "{} (unknown format version {})",
                context.describe(),
                sealed[0]
            )));
        }
        let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
        let aad = context.encode();
        self.aead_for(&aad)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::Crypto(context.describe()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(byte: u8) -> Cipher {
        Cipher::new(&MasterKey::from_bytes([byte; 32]))
    }

    #[test]
    fn round_trip_and_format() {
        let c = cipher(1);
        let ctx = SealContext::new("flows", "payload", "tok-1");
        let sealed = c.seal(ctx, b"name=Zhang San");
        assert_eq!(sealed[0], FORMAT_V1);
        assert_eq!(sealed.len(), 1 + NONCE_LEN + 14 + TAG_LEN);
        assert!(!sealed.windows(5).any(|w| w == b"Zhang"));
        assert_eq!(c.open(ctx, &sealed).unwrap(), b"name=Zhang San");
    }

    #[test]
    fn nonces_are_fresh() {
        let c = cipher(1);
        let ctx = SealContext::new("t", "c", "r");
        assert_ne!(c.seal(ctx, b"same"), c.seal(ctx, b"same"));
    }

    #[test]
    fn value_cannot_move_to_another_row_column_or_key() {
        let c = cipher(1);
        let sealed = c.seal(SealContext::new("flows", "payload", "a"), b"secret");
        for other in [
            SealContext::new("flows", "payload", "b"),
            SealContext::new("flows", "other", "a"),
            SealContext::new("api_keys", "payload", "a"),
        ] {
            assert!(matches!(c.open(other, &sealed), Err(StoreError::Crypto(_))));
        }
        let ctx = SealContext::new("flows", "payload", "a");
        assert!(cipher(2).open(ctx, &sealed).is_err());
    }

    #[test]
    fn tampered_or_garbage_input_is_an_error_not_a_panic() {
        let c = cipher(1);
        let ctx = SealContext::new("t", "c", "r");
        let mut sealed = c.seal(ctx, b"hello");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(c.open(ctx, &sealed).is_err());
        assert!(c.open(ctx, &[]).is_err());
        assert!(c.open(ctx, &[9u8; 40]).is_err());
    }

    #[test]
    fn context_encoding_is_unambiguous() {
        let a = SealContext::new("ab", "c", "d").encode();
        let b = SealContext::new("a", "bc", "d").encode();
        assert_ne!(a, b);
    }
}
