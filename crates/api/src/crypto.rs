//! Field encryption as FaceID's `Encryption` structure describes it, with heshen playing
//! the key service.
//!
//! - Every app has a 256-bit *app encryption key*, derived from the deployment's root key
//!   and printed once by `heshen keys encryption-key`.
//! - A request or response uses a fresh 256-bit *data key*: fields are
//!   `base64(AES-256-CBC-PKCS7(data key, Iv, UTF-8 text))`, `Iv` is 16 characters, and
//!   `CiphertextBlob` is the data key sealed under the app key:
//!   `base64(nonce(12) ‖ AES-256-GCM(app key, data key) ‖ tag)`.
//! - `SM4-GCM` is refused: no well-kept SM4 implementation is in use here.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::Aes256Gcm;
use base64::Engine as _;
use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha2::Sha256;

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

/// The app's encryption key, derived from the deployment's root key.
pub fn app_encryption_key(root: &[u8; 32], app_id: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(root).expect("any key length");
    mac.update(format!("app-encryption:{app_id}").as_bytes());
    mac.finalize().into_bytes().into()
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
    let cipher = Aes256Gcm::new_from_slice(app_key).expect("32-byte key");
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(
        cipher
            .encrypt(&nonce, data_key.as_slice())
            .expect("AES-GCM encrypts any length"),
    );
    b64().encode(out)
}

pub fn open_data_key(app_key: &[u8; 32], blob: &str) -> Result<[u8; 32], CryptoError> {
    let raw = b64()
        .decode(blob.trim())
        .map_err(|_| CryptoError::BadKeyBlob)?;
    if raw.len() < 12 + 16 {
        return Err(CryptoError::BadKeyBlob);
    }
    let (nonce, sealed) = raw.split_at(12);
    let cipher = Aes256Gcm::new_from_slice(app_key).expect("32-byte key");
    let key = cipher
        .decrypt(aes_gcm::Nonce::from_slice(nonce), sealed)
        .map_err(|_| CryptoError::BadKeyBlob)?;
    key.try_into().map_err(|_| CryptoError::BadKeyBlob)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_keys() {
        let root = [9u8; 32];
        let app_key = app_encryption_key(&root, "default");
        assert_ne!(app_key, app_encryption_key(&root, "other"));
        let (data_key, iv) = new_data_key();
        let blob = seal_data_key(&app_key, &data_key);
        assert_eq!(open_data_key(&app_key, &blob), Ok(data_key));
        assert_eq!(
            open_data_key(&app_encryption_key(&root, "other"), &blob),
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
}
