//! Every key heshen derives from the deployment's master key, in one place. Each purpose
//! has its own label (`heshen_core::keys::derive_key`), so keys never repeat across purposes,
//! and every node that shares the master key derives the same keys without storing them.

use heshen_core::keys::{derive_key, hmac_sha256};
use heshen_store::MasterKey;
use secrecy::{ExposeSecret, SecretBox};

/// The keys of one deployment.
pub struct KeyRing {
    /// Parent of the per-app and per-merchant keys. Its label predates app encryption keys;
    /// changing it would change every merchant's key.
    root: SecretBox<[u8; 32]>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing(<redacted>)")
    }
}

const ROOT_LABEL: &str = "heshen eid root v1";

impl KeyRing {
    pub fn from_master(master: &MasterKey) -> Self {
        Self::from_root(derive_key(master.bytes(), ROOT_LABEL))
    }

    pub fn from_root(root: [u8; 32]) -> Self {
        Self {
            root: SecretBox::new(Box::new(root)),
        }
    }

    fn derive(&self, label: &str) -> [u8; 32] {
        derive_key(self.root.expose_secret(), label)
    }

    /// The app's key for FaceID's `Encryption` fields (`heshen keys encryption-key`).
    pub fn app_encryption_key(&self, app_id: &str) -> [u8; 32] {
        self.derive(&format!("app-encryption:{app_id}"))
    }

    /// The key of the recording digests that recognise a replayed recording.
    pub fn recording_digest_key(&self) -> [u8; 32] {
        self.derive("recording-digest")
    }

    /// The eID merchant's key (`heshen merchants create` prints it once).
    pub fn merchant_key(&self, merchant_id: &str) -> [u8; 32] {
        self.derive(&format!("eid-merchant:{merchant_id}"))
    }

    /// A legacy appid's secret key (`heshen legacy create` prints it once): 32 hex
    /// characters, since seed 003's signing sample keys HMAC-SHA1 with the key's text.
    pub fn legacy_secret(&self, legacy_app_id: &str) -> String {
        hex::encode(&self.derive(&format!("legacy-app:{legacy_app_id}"))[..16])
    }
}

/// The eID code: a stable, merchant-scoped pseudonym of an ID number.
pub fn eid_code(merchant_key: &[u8; 32], id_card: &str) -> String {
    hex::encode(hmac_sha256(
        merchant_key,
        format!("eid-code:{id_card}").as_bytes(),
    ))
}

/// The eID code's signature, under a key of its own derived from the merchant key.
pub fn eid_sign(merchant_key: &[u8; 32], eid_code: &str) -> [u8; 32] {
    hmac_sha256(&derive_key(merchant_key, "eid-sign"), eid_code.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_and_owners_get_their_own_keys() {
        let ring = KeyRing::from_root([7u8; 32]);
        assert_ne!(ring.app_encryption_key("a"), ring.app_encryption_key("b"));
        assert_ne!(ring.merchant_key("a"), ring.app_encryption_key("a"));
        assert_eq!(
            ring.merchant_key("m"),
            KeyRing::from_root([7u8; 32]).merchant_key("m")
        );
        assert_eq!(format!("{ring:?}"), "KeyRing(<redacted>)");
    }

    #[test]
    fn eid_codes_are_stable_per_merchant() {
        let ring = KeyRing::from_root([1u8; 32]);
        let (a, b) = (ring.merchant_key("a"), ring.merchant_key("b"));
        assert_eq!(eid_code(&a, "X"), eid_code(&a, "X"));
        assert_ne!(eid_code(&a, "X"), eid_code(&b, "X"));
        assert_ne!(eid_code(&a, "X"), eid_code(&a, "Y"));
    }
}
