//! Key derivation: every purpose-specific key in heshen is HMAC-SHA256 of a parent key over
//! a label naming the purpose. One function, so no two purposes can ever share a key by a
//! slip in how a label is joined.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The key for `label`'s purpose under `parent`.
pub fn derive_key(parent: &[u8], label: &str) -> [u8; 32] {
    hmac_sha256(parent, label.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn labels_separate_keys() {
        assert_ne!(derive_key(b"root", "a"), derive_key(b"root", "b"));
        assert_eq!(derive_key(b"root", "a"), derive_key(b"root", "a"));
    }
}
