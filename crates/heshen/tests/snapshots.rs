//! The exact JSON every action answers with, pinned as insta snapshots (in
//! `tests/snapshots/`). Volatile values (RequestId, tokens, URLs, times, Seq, the
//! EidInfo crypto, random challenges) are redacted after their shape is asserted.
//!
//! After an intended change of a response: `INSTA_UPDATE=always cargo test -p heshen --test snapshots`
//! (or `cargo insta review`), then review and commit the `.snap` diffs.

mod common;

use common::*;
use heshen_core::flow::FlowKind;
use heshen_sdk::Error;
use insta::assert_json_snapshot;
use serde_json::{json, Value};

const UNKNOWN_TOKEN: &str = "00000000-0000-0000-0000-000000000000";

/// An SDK error as the envelope's `Error` object; the RequestId is checked, not pinned.
fn error_json(result: Result<Value, Error>) -> Value {
    match result {
        Err(Error::Api {
            code,
            message,
            request_id,
        }) => {
            assert_eq!(request_id.len(), 36, "every error carries a RequestId");
            json!({"Error": {"Code": code, "Message": message}})
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn is_token(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|t| heshen_core::BizToken::parse(t).is_some())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_responses() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let rule = server.rule_id.clone();

    // DetectAuth
    let auth = sdk
        .call(
            "DetectAuth",
            &json!({"RuleId": rule, "IdCard": ID_CARD, "Name": NAME, "RedirectUrl": "https://example.com/done", "Extra": "order=42"}),
        )
        .await
        .unwrap();
    assert!(is_token(&auth["BizToken"]), "{auth}");
    let token = auth["BizToken"].as_str().unwrap().to_string();
    assert_eq!(
        auth["Url"],
        format!("{}/h5/start?token={token}", server.url)
    );
    assert_json_snapshot!("detect_auth", auth, {".BizToken" => "[biz-token]", ".Url" => "[url]"});

    let enhanced = |info: &str| json!({"BizToken": token, "RuleId": rule, "InfoType": info});

    // GetDetectInfoEnhanced before the flow ran.
    let before = sdk
        .call("GetDetectInfoEnhanced", &enhanced("0"))
        .await
        .unwrap();
    assert_json_snapshot!("get_detect_info_enhanced_before_0", before);
    let legacy_before = sdk.call("GetDetectInfo", &enhanced("0")).await.unwrap();
    let doc: Value =
        serde_json::from_str(legacy_before["DetectInfo"].as_str().expect("a string")).unwrap();
    assert_json_snapshot!("get_detect_info_before_0", doc);

    finish_flow(&server.state, &token, FlowKind::Detect).await;

    let detail_redactions = |v: &Value| {
        let details = v["Text"]["LivenessDetail"]
            .as_array()
            .expect("LivenessDetail");
        for d in details {
            assert!(
                d["ReqTime"]
                    .as_str()
                    .is_some_and(|t| t.parse::<i64>().is_ok()),
                "ReqTime is ms as a string: {d}"
            );
            assert!(d["Seq"].as_str().is_some_and(|s| !s.is_empty()), "{d}");
        }
    };
    let after = sdk
        .call("GetDetectInfoEnhanced", &enhanced("0"))
        .await
        .unwrap();
    detail_redactions(&after);
    assert_json_snapshot!("get_detect_info_enhanced_after_0", after, {
        ".Text.LivenessDetail[].ReqTime" => "[req-time]",
        ".Text.LivenessDetail[].Seq" => "[seq]",
    });
    let after13 = sdk
        .call("GetDetectInfoEnhanced", &enhanced("13"))
        .await
        .unwrap();
    detail_redactions(&after13);
    assert_json_snapshot!("get_detect_info_enhanced_after_13", after13, {
        ".Text.LivenessDetail[].ReqTime" => "[req-time]",
        ".Text.LivenessDetail[].Seq" => "[seq]",
    });

    // GetDetectInfo: a JSON document inside a string.
    let legacy = sdk.call("GetDetectInfo", &enhanced("0")).await.unwrap();
    let raw = legacy["DetectInfo"]
        .as_str()
        .expect("DetectInfo is a string");
    let doc: Value = serde_json::from_str(raw).unwrap();
    let data = doc["Text"]["Detail"]["LivenessData"]
        .as_array()
        .expect("LivenessData");
    assert!(
        data.iter().all(|d| d["ReqTime"].as_str().is_some()),
        "{doc}"
    );
    assert_json_snapshot!("get_detect_info_after_0", doc, {".Text.Detail.LivenessData[].ReqTime" => "[req-time]"});

    // eID
    let eid = sdk
        .call("GetEidToken", &json!({"MerchantId": server.merchant_id, "IdCard": ID_CARD, "Name": NAME, "Extra": "eid-extra"}))
        .await
        .unwrap();
    assert!(is_token(&eid["EidToken"]), "{eid}");
    let eid_token = eid["EidToken"].as_str().unwrap().to_string();
    assert_eq!(
        eid["Url"],
        format!("{}/eid/start?token={eid_token}", server.url)
    );
    assert_json_snapshot!("get_eid_token", eid, {".EidToken" => "[eid-token]", ".Url" => "[url]"});

    let status = sdk
        .call("CheckEidTokenStatus", &json!({"EidToken": eid_token}))
        .await
        .unwrap();
    assert_json_snapshot!("check_eid_token_status_init", status);
    let pending = sdk
        .call(
            "GetEidResult",
            &json!({"EidToken": eid_token, "InfoType": "0"}),
        )
        .await
        .unwrap();
    assert_json_snapshot!("get_eid_result_before_0", pending);
    start_flow(&server.state, &eid_token, FlowKind::Eid).await;
    let status = sdk
        .call("CheckEidTokenStatus", &json!({"EidToken": eid_token}))
        .await
        .unwrap();
    assert_json_snapshot!("check_eid_token_status_doing", status);
    finish_flow(&server.state, &eid_token, FlowKind::Eid).await;
    let status = sdk
        .call("CheckEidTokenStatus", &json!({"EidToken": eid_token}))
        .await
        .unwrap();
    assert_json_snapshot!("check_eid_token_status_finished", status);

    let result = sdk
        .call(
            "GetEidResult",
            &json!({"EidToken": eid_token, "InfoType": "0"}),
        )
        .await
        .unwrap();
    detail_redactions(&result);
    let info = &result["EidInfo"];
    assert!(
        info["EidCode"]
            .as_str()
            .is_some_and(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit())),
        "{info}"
    );
    for field in ["EidSign", "DesKey", "UserInfo"] {
        assert!(
            info[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {info}"
        );
    }
    assert_json_snapshot!("get_eid_result_after_0", result, {
        ".Text.LivenessDetail[].ReqTime" => "[req-time]",
        ".Text.LivenessDetail[].Seq" => "[seq]",
        ".EidInfo.EidCode" => "[eid-code]",
        ".EidInfo.EidSign" => "[eid-sign]",
        ".EidInfo.DesKey" => "[des-key]",
        ".EidInfo.UserInfo" => "[user-info]",
    });

    // Liveness challenges: random values, fixed shape.
    let seq = sdk.call("GetActionSequence", &json!({})).await.unwrap();
    let s = seq["ActionSequence"].as_str().expect("ActionSequence");
    assert!(s == "1,2" || s == "2,1", "{s}");
    assert_json_snapshot!("get_action_sequence", seq, {".ActionSequence" => "[sequence]"});
    let code = sdk.call("GetLiveCode", &json!({})).await.unwrap();
    let c = code["LiveCode"].as_str().expect("LiveCode");
    assert!(c.len() == 4 && c.bytes().all(|b| b.is_ascii_digit()), "{c}");
    assert_json_snapshot!("get_live_code", code, {".LiveCode" => "[code]"});

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_envelopes() {
    let server = Server::start().await;
    let sdk = server.sdk();
    let rule = server.rule_id.clone();

    let wrong_key = heshen_sdk::Client::new(
        &server.url,
        &server.secret_id,
        "not-the-secret-key-0000000000000",
    );
    assert_json_snapshot!(
        "error_signature_failure",
        error_json(wrong_key.call("GetLiveCode", &json!({})).await)
    );
    let unknown = heshen_sdk::Client::new(
        &server.url,
        "AKIDunknown00000000000000000000000000",
        &server.secret_key,
    );
    assert_json_snapshot!(
        "error_secret_id_not_found",
        error_json(unknown.call("GetLiveCode", &json!({})).await)
    );
    let stale = error_json(
        sdk.clone()
            .with_clock_skew(-360)
            .call("GetLiveCode", &json!({}))
            .await,
    );
    assert!(
        stale["Error"]["Message"].as_str().unwrap().contains("300"),
        "{stale}"
    );
    assert_json_snapshot!("error_signature_expire", stale, {".Error.Message" => "[skew message]"});

    assert_json_snapshot!(
        "error_invalid_action",
        error_json(sdk.call("NoSuchAction", &json!({})).await)
    );
    assert_json_snapshot!(
        "error_unsupported_operation",
        error_json(
            sdk.call(
                "BankCardVerification",
                &json!({"IdCard": ID_CARD, "Name": NAME, "BankCard": "6222020200000000000"})
            )
            .await
        )
    );
    assert_json_snapshot!(
        "error_biz_token_illegal",
        error_json(
            sdk.call(
                "GetDetectInfoEnhanced",
                &json!({"BizToken": UNKNOWN_TOKEN, "RuleId": rule})
            )
            .await
        )
    );
    assert_json_snapshot!(
        "error_rule_id_not_exist",
        error_json(
            sdk.call("DetectAuth", &json!({"RuleId": "no-such-rule"}))
                .await
        )
    );
    assert_json_snapshot!(
        "error_missing_parameter",
        error_json(
            sdk.call("GetDetectInfoEnhanced", &json!({"RuleId": rule}))
                .await
        )
    );
    assert_json_snapshot!(
        "error_unknown_parameter",
        error_json(sdk.call("GetLiveCode", &json!({"Colour": "red"})).await)
    );
    assert_json_snapshot!(
        "error_wrong_type",
        error_json(sdk.call("DetectAuth", &json!({"RuleId": 1})).await)
    );

    // Past retention.
    let token = sdk
        .detect_auth(&heshen_sdk::DetectAuth {
            rule_id: rule.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .biz_token;
    let skew = 4 * 24 * 3600;
    server.state.clock().advance_ms(skew * 1000);
    let expired = error_json(
        sdk.clone()
            .with_clock_skew(skew)
            .call(
                "GetDetectInfoEnhanced",
                &json!({"BizToken": token, "RuleId": rule}),
            )
            .await,
    );
    assert!(expired["Error"]["Message"]
        .as_str()
        .unwrap()
        .contains(&token));
    assert_json_snapshot!("error_biz_token_expired", expired, {".Error.Message" => "[message naming the token]"});

    server.stop().await;
}
