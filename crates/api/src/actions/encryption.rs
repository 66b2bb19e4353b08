//! `Encryption` on the wire: decrypting encrypted request fields and encrypting
//! GetDetectInfoEnhanced's sensitive fields or whole body (scheme in `heshen_service::crypto`).

use crate::gateway::Caller;
use crate::params::Params;
use heshen_core::protocol::{Encryption, GetDetectInfoEnhancedResponse};
use heshen_core::{ApiError, ErrorCode};
use heshen_service::crypto::{self, CryptoError};
use heshen_service::AppState;

/// The fields of an `Encryption` object, in requests and in response settings alike.
const ENCRYPTION_FIELDS: [&str; 5] = [
    "EncryptList",
    "CiphertextBlob",
    "Iv",
    "Algorithm",
    "TagList",
];

const ENCRYPTABLE_REQUEST_FIELDS: [&str; 2] = ["Name", "IdCard"];
fn app_key(state: &AppState, caller: &Caller) -> [u8; 32] {
    state.keys().app_encryption_key(&caller.app_id)
}

fn check_algorithm(enc: &Params) -> Result<(), ApiError> {
    match enc.opt_string("Algorithm")?.as_deref() {
        None | Some(crypto::ALGORITHM) => Ok(()),
        Some("SM4-GCM") => Err(ApiError::invalid(
            "Encryption.Algorithm",
            "SM4-GCM is not supported; use AES-256-CBC",
        )),
        Some(other) => Err(ApiError::invalid(
            "Encryption.Algorithm",
            format!("`{other}` is not AES-256-CBC or SM4-GCM"),
        )),
    }
}

fn decrypt_failure(err: CryptoError) -> ApiError {
    ApiError::new(
        ErrorCode::FailedOperationDecryptSystemError,
        format!("Decryption failed: {err}."),
    )
}

/// The request with its encrypted fields in plain text, or `None` when nothing was encrypted.
pub fn decrypt_request(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Option<Params>, ApiError> {
    let Some(enc) = params.opt_object("Encryption")? else {
        return Ok(None);
    };
    enc.allow_only(&ENCRYPTION_FIELDS)?;
    let list = enc
        .opt_string_array("EncryptList")?
        .ok_or_else(|| ApiError::missing("Encryption.EncryptList"))?;
    let blob = enc.req_string("CiphertextBlob")?;
    let iv = enc.req_string("Iv")?;
    check_algorithm(&enc)?;
    enc.opt_string_array("TagList")?;
    if let Some(field) = list
        .iter()
        .find(|f| !ENCRYPTABLE_REQUEST_FIELDS.contains(&f.as_str()))
    {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterUnsupportEncryptField,
            format!("`{field}` cannot be encrypted; only Name and IdCard can."),
        ));
    }
    let data_key =
        crypto::open_data_key(&app_key(state, caller), &blob).map_err(decrypt_failure)?;
    let mut plain = params.clone();
    for field in &list {
        if let Some(ciphertext) = params.opt_string(field)? {
            plain.set_string(
                field,
                crypto::decrypt_field(&data_key, &iv, &ciphertext).map_err(decrypt_failure)?,
            );
        }
    }
    plain.remove("Encryption");
    Ok(Some(plain))
}

/// What GetDetectInfoEnhanced was asked to encrypt.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponseEncryption {
    pub fields: bool,
    pub body: bool,
}

impl ResponseEncryption {
    pub fn parse(params: &Params) -> Result<Self, ApiError> {
        let fields = match params.opt_object("Encryption")? {
            Some(enc) => {
                enc.allow_only(&ENCRYPTION_FIELDS)?;
                check_algorithm(&enc)?;
                true
            }
            None => false,
        };
        let body = params.opt_bool("IsEncryptResponse")?.unwrap_or(false);
        Ok(Self { fields, body })
    }

    /// Encrypts the rendered answer in place as asked.
    pub fn apply(
        self,
        state: &AppState,
        caller: &Caller,
        response: &mut GetDetectInfoEnhancedResponse,
    ) -> Result<(), ApiError> {
        if !self.fields && !self.body {
            return Ok(());
        }
        let (data_key, iv) = crypto::new_data_key();
        let seal = |text: &str| {
            crypto::encrypt_field(&data_key, &iv, text).map_err(|e| {
                ApiError::new(ErrorCode::InternalErrorEncryptSystemError, e.to_string())
            })
        };
        let mut encrypted = Vec::new();
        if let (true, Some(text)) = (self.fields, response.text.as_mut()) {
            for (field, value) in [
                ("IdCard", &mut text.id_card),
                ("Name", &mut text.name),
                ("OcrIdCard", &mut text.ocr_id_card),
                ("OcrName", &mut text.ocr_name),
            ] {
                if let Some(plain) = value.as_deref() {
                    *value = Some(seal(plain)?);
                    encrypted.push(field.to_string());
                }
            }
        }
        if self.body {
            let mut body = serde_json::to_value(&*response)
                .map_err(|e| ApiError::internal(format!("rendering the answer: {e}")))?;
            if let Some(map) = body.as_object_mut() {
                map.remove("Encryption");
                map.remove("EncryptedBody");
            }
            *response = GetDetectInfoEnhancedResponse {
                encrypted_body: Some(seal(&body.to_string())?),
                is_verify_intention: response.is_verify_intention,
                intention_verify_type: std::mem::take(&mut response.intention_verify_type),
                ..Default::default()
            };
        }
        response.encryption = Some(Encryption {
            encrypt_list: encrypted,
            ciphertext_blob: crypto::seal_data_key(&app_key(state, caller), &data_key),
            iv,
            algorithm: crypto::ALGORITHM.to_string(),
            tag_list: None,
        });
        Ok(())
    }
}

/// For actions that cannot encrypt their answer (yet): asking for it is refused, never ignored.
pub fn refuse_response_encryption(params: &Params) -> Result<(), ApiError> {
    let wants = params.opt_bool("IsEncryptResponse")?.unwrap_or(false)
        || params.opt_object("Encryption")?.is_some();
    if wants {
        return Err(ApiError::new(
            ErrorCode::UnsupportedOperation,
            "Encrypted responses (Encryption / IsEncryptResponse) need a deployment encryption key, which this server has not been given.",
        ));
    }
    Ok(())
}
