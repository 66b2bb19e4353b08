//! Encrypted fields in both directions (FaceID's `Encryption`), with the app encryption key
//! an integrator gets from `heshen keys encryption-key`.

mod common;

use heshen_service::crypto;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_requests_and_responses() {
    let server = common::Server::start().await;
    let rule = server.rule_id.clone();
    let client = server.sdk();

    // What `heshen keys encryption-key` prints for this data dir.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_heshen"))
        .arg("--data-dir")
        .arg(&server.data_dir)
        .args(["keys", "encryption-key", "--json", "--app", common::APP])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    use base64::Engine as _;
    let app_key: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(printed["EncryptionKey"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();

    // Request: Name and IdCard encrypted.
    let (data_key, iv) = crypto::new_data_key();
    let encryption = json!({
        "EncryptList": ["Name", "IdCard"],
        "CiphertextBlob": crypto::seal_data_key(&app_key, &data_key),
        "Iv": iv,
        "Algorithm": "AES-256-CBC",
    });
    let auth = client
        .call(
            "DetectAuth",
            &json!({
                "RuleId": rule,
                "Name": crypto::encrypt_field(&data_key, &iv, "韦小宝").unwrap(),
                "IdCard": crypto::encrypt_field(&data_key, &iv, "11010519491231002X").unwrap(),
                "Encryption": encryption,
            }),
        )
        .await
        .unwrap();
    let token = auth["BizToken"].as_str().unwrap().to_string();
    let plain = client
        .get_detect_info_enhanced(&token, &rule, "1")
        .await
        .unwrap();
    let text = plain.text.expect("InfoType 1 asks for the text");
    assert_eq!(text.name.as_deref(), Some("韦小宝"), "stored decrypted");
    assert_eq!(text.id_card.as_deref(), Some("11010519491231002X"));
    assert_eq!(plain.encryption, None);

    // Response: sensitive fields encrypted under a fresh data key.
    let fields = client
        .call(
            "GetDetectInfoEnhanced",
            &json!({"BizToken": token, "RuleId": rule, "InfoType": "1", "Encryption": {"Algorithm": "AES-256-CBC"}}),
        )
        .await
        .unwrap();
    let enc = &fields["Encryption"];
    let response_key =
        crypto::open_data_key(&app_key, enc["CiphertextBlob"].as_str().unwrap()).unwrap();
    let response_iv = enc["Iv"].as_str().unwrap();
    assert_ne!(fields["Text"]["Name"], "韦小宝");
    assert_eq!(
        crypto::decrypt_field(
            &response_key,
            response_iv,
            fields["Text"]["Name"].as_str().unwrap()
        )
        .unwrap(),
        "韦小宝"
    );
    assert_eq!(enc["EncryptList"], json!(["IdCard", "Name"]));

    // Whole body encrypted.
    let body = client
        .call(
            "GetDetectInfoEnhanced",
            &json!({"BizToken": token, "RuleId": rule, "IsEncryptResponse": true}),
        )
        .await
        .unwrap();
    assert_eq!(body["Text"], Value::Null);
    let body_key = crypto::open_data_key(
        &app_key,
        body["Encryption"]["CiphertextBlob"].as_str().unwrap(),
    )
    .unwrap();
    let opened = crypto::decrypt_field(
        &body_key,
        body["Encryption"]["Iv"].as_str().unwrap(),
        body["EncryptedBody"].as_str().unwrap(),
    )
    .unwrap();
    let opened: Value = serde_json::from_str(&opened).unwrap();
    assert_eq!(opened["Text"]["ErrCode"], 17);
    assert_eq!(opened["Text"]["Name"], "韦小宝");

    // Refusals.
    let call = |fields: Value| {
        let client = client.clone();
        async move { client.call("DetectAuth", &fields).await.unwrap_err() }
    };
    let wrong_key = call(json!({"RuleId": rule, "Name": "x", "IdCard": "y",
        "Encryption": {"EncryptList": ["Name"], "CiphertextBlob": crypto::seal_data_key(&[3u8; 32], &data_key), "Iv": iv}}))
    .await;
    assert_eq!(wrong_key.code(), Some("FailedOperation.DecryptSystemError"));
    let field = call(json!({"RuleId": rule, "Extra": "x",
        "Encryption": {"EncryptList": ["Extra"], "CiphertextBlob": "x", "Iv": iv}}))
    .await;
    assert_eq!(field.code(), Some("InvalidParameter.UnsupportEncryptField"));
    let sm4 = call(json!({"RuleId": rule,
        "Encryption": {"EncryptList": ["Name"], "CiphertextBlob": "x", "Iv": iv, "Algorithm": "SM4-GCM"}}))
    .await;
    assert_eq!(sm4.code(), Some("InvalidParameterValue"));
    let missing =
        call(json!({"RuleId": rule, "Encryption": {"EncryptList": ["Name"], "Iv": iv}})).await;
    assert_eq!(missing.code(), Some("MissingParameter"));
    server.stop().await;
}
