//! The encryption schemes heshen speaks, on keys from [`crate::keys`].
//!
//! **Field encryption** as FaceID's `Encryption` structure describes it, with heshen playing
//! the key service:
//! - every app has a 256-bit *app encryption key* (`KeyRing::app_encryption_key`);
//! - a request or response uses a fresh 256-bit *data key*: fields are
//!   `base64(AES-256-CBC-PKCS7(data key, Iv, UTF-8 text))`, `Iv` is 16 characters, and
//!   `CiphertextBlob` is the data key sealed under the app key:
//!   `base64(nonce(12) ‖ AES-256-GCM(app key, data key) ‖ tag)`;
//! - `SM4-GCM` is refused: no well-kept SM4 implementation is in use here.
//!
//! **eID identity** (`EidInfo`). Tencent wraps it with SM2/SM4 under keys of the national eID
//! centre; heshen plays that centre itself, with each merchant's key:
//! - `EidCode`: hex HMAC-SHA256(merchant key, "eid-code:" + ID number), a stable,
//!   merchant-scoped identifier that reveals nothing across merchants;
//! - `EidSign`: base64 HMAC-SHA256(HMAC-SHA256(merchant key, "eid-sign"), EidCode);
//! - `DesKey`: a fresh 256-bit session key sealed with AES-256-GCM under the merchant key
//!   (base64 of nonce ‖ ciphertext ‖ tag);
//! - `UserInfo`: `{"name":…,"idnum":…}` sealed with AES-256-GCM under the session key.

use crate::keys::{eid_code, eid_sign, KeyRing};
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::Aes256Gcm;
use base64::Engine as _;
use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use rand::{Rng, RngCore};

type CbcEncrypt = cbc::Encryptor<aes::Aes256>;
type CbcDecrypt = cbc::Decryptor<aes::Aes256>;

pub const ALGORITHM: &str = "AES-256-CBC";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("CiphertextBlob is not a data key sealed with this app's encryption key")]
    BadKeyBlob,
    #[error("Iv must be 16 characters")]
    BadIv,
    #[error("the field is not base64 of AES-256-CBC ciphertext under the data key")]
    BadField,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// `base64(nonce ‖ AES-256-GCM(key, plaintext) ‖ tag)` with a fresh nonce.
pub fn seal_gcm(key: &[u8; 32], plaintext: &[u8]) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(
        cipher
            .encrypt(&nonce, plaintext)
            .expect("AES-GCM encrypts any length"),
    );
    b64().encode(out)
}

/// Opens what [`seal_gcm`] sealed; `None` for anything else.
pub fn open_gcm(key: &[u8; 32], sealed: &str) -> Option<Vec<u8>> {
    let raw = b64().decode(sealed.trim()).ok()?;
    if raw.len() < 12 + 16 {
        return None;
    }
    let (nonce, ciphertext) = raw.split_at(12);
    Aes256Gcm::new_from_slice(key)
        .expect("32-byte key")
        .decrypt(aes_gcm::Nonce::from_slice(nonce), ciphertext)
        .ok()
}

/// A fresh data key and IV for one message.
pub fn new_data_key() -> ([u8; 32], String) {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let iv: String = (0..16)
        .map(|_| char::from(rand::rngs::OsRng.sample(rand::distributions::Alphanumeric)))
        .collect();
    (key, iv)
}

pub fn seal_data_key(app_key: &[u8; 32], data_key: &[u8; 32]) -> String {
    seal_gcm(app_key, data_key)
}

pub fn open_data_key(app_key: &[u8; 32], blob: &str) -> Result<[u8; 32], CryptoError> {
    open_gcm(app_key, blob)
        .and_then(|key| key.try_into().ok())
        .ok_or(CryptoError::BadKeyBlob)
}

fn iv_bytes(iv: &str) -> Result<[u8; 16], CryptoError> {
    iv.as_bytes().try_into().map_err(|_| CryptoError::BadIv)
}

pub fn encrypt_field(
    data_key: &[u8; 32],
    iv: &str,
    plaintext: &str,
) -> Result<String, CryptoError> {
    let iv = iv_bytes(iv)?;
    let sealed = CbcEncrypt::new(data_key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes());
    Ok(b64().encode(sealed))
}

pub fn decrypt_field(
    data_key: &[u8; 32],
    iv: &str,
    ciphertext: &str,
) -> Result<String, CryptoError> {
    let iv = iv_bytes(iv)?;
    let raw = b64()
        .decode(ciphertext.trim())
        .map_err(|_| CryptoError::BadField)?;
    let plain = CbcDecrypt::new(data_key.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&raw)
        .map_err(|_| CryptoError::BadField)?;
    String::from_utf8(plain).map_err(|_| CryptoError::BadField)
}

/// The identity a merchant receives for a verified person (scheme in the module docs).
pub use heshen_core::protocol::EidInfo;

pub fn eid_info(keys: &KeyRing, merchant_id: &str, id_card: &str, name: &str) -> EidInfo {
    let key = keys.merchant_key(merchant_id);
    let code = eid_code(&key, id_card);
    let mut session = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut session);
    let user_info = serde_json::to_vec(&serde_json::json!({"name": name, "idnum": id_card}))
        .expect("a JSON object of strings serialises");
    EidInfo {
        eid_sign: b64().encode(eid_sign(&key, &code)),
        eid_code: code,
        des_key: seal_gcm(&key, &session),
        user_info: seal_gcm(&session, &user_info),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_encryption_round_trips_and_refuses_other_keys() {
        let ring = KeyRing::from_root([9u8; 32]);
        let app_key = ring.app_encryption_key("default");
        let (data_key, iv) = new_data_key();
        let blob = seal_data_key(&app_key, &data_key);
        assert_eq!(open_data_key(&app_key, &blob), Ok(data_key));
        assert_eq!(
            open_data_key(&ring.app_encryption_key("other"), &blob),
            Err(CryptoError::BadKeyBlob)
        );
        let field = encrypt_field(&data_key, &iv, "韦小宝").unwrap();
        assert_eq!(decrypt_field(&data_key, &iv, &field).unwrap(), "韦小宝");
        assert!(decrypt_field(&[1u8; 32], &iv, &field).is_err());
        assert_eq!(
            encrypt_field(&data_key, "short", "x"),
            Err(CryptoError::BadIv)
        );
    }

    #[test]
    fn a_merchant_can_open_its_eid_info() {
        let ring = KeyRing::from_root([7u8; 32]);
        let info = eid_info(&ring, "0NSJ2203", "11010519491231002X", "张三");
        let key = ring.merchant_key("0NSJ2203");
        let session: [u8; 32] = open_gcm(&key, &info.des_key).unwrap().try_into().unwrap();
        let user: serde_json::Value =
            serde_json::from_slice(&open_gcm(&session, &info.user_info).unwrap()).unwrap();
        assert_eq!(user["idnum"], "11010519491231002X");
        assert_eq!(user["name"], "张三");
        assert!(open_gcm(&ring.merchant_key("other"), &info.des_key).is_none());
        let again = eid_info(&ring, "0NSJ2203", "11010519491231002X", "张三");
        assert_eq!(
            info.eid_code, again.eid_code,
            "EidCode is stable per merchant"
        );
        let other = eid_info(&ring, "0NSJ9999", "11010519491231002X", "张三");
        assert_ne!(
            info.eid_code, other.eid_code,
            "and differs across merchants"
        );
    }
}
