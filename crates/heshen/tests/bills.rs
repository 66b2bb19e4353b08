//! Reconciliation: GetWeChatBillDetails over flows created and finished through the API.

mod common;

use heshen_core::flow::{AttemptOutcome, FlowKind};
use serde_json::json;

fn beijing_today() -> String {
    let now = time::OffsetDateTime::now_utc() + time::Duration::hours(8);
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

fn outcome(live: i64, compare: i64, sim: f64) -> AttemptOutcome {
    AttemptOutcome {
        live_status: live,
        compare_status: Some(compare),
        sim: Some(sim),
        liveness_mode: 2,
        action_sequence: Some("1,2".into()),
        read_digits: None,
        checks: Vec::new(),
        best_frame: None,
        extra_frames: vec![],
        video: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bills_list_every_flow_of_the_day_with_its_billed_attempts() {
    let server = common::Server::start_with(|settings| {
        settings.rate_limit_default = 0;
        settings.rate_limits.clear();
    })
    .await;
    let state = server.state.clone();
    let store = state.store().clone();
    let rule = server.rule_id.clone();
    let other_rule = heshen::bootstrap::create_rule(&store, common::APP, &Default::default())
        .await
        .unwrap();
    let client = server.sdk();

    let mut tokens = Vec::new();
    for _ in 0..104 {
        let auth = client
            .detect_auth(&heshen_sdk::DetectAuth {
                rule_id: rule.clone(),
                id_card: Some("11010519491231002X".into()),
                name: Some("张三".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        tokens.push(auth.biz_token);
    }
    client
        .detect_auth(&heshen_sdk::DetectAuth {
            rule_id: other_rule.clone(),
            ..Default::default()
        })
        .await
        .unwrap();

    // One user fails once (low similarity, billed) and then passes (billed).
    let token = tokens[0].clone();
    heshen_service::flows::update(&state, &token, FlowKind::Detect, |flow, now| {
        flow.start(now)?;
        flow.record_attempt(now, "seq-1".into(), outcome(0, 2016, 41.5))?;
        flow.record_attempt(now + 1, "seq-2".into(), outcome(0, 0, 93.25))
    })
    .await
    .unwrap();

    let date = beijing_today();
    let first = client
        .call(
            "GetWeChatBillDetails",
            &json!({"Date": date, "Cursor": 0, "RuleId": rule}),
        )
        .await
        .unwrap();
    let bills = first["WeChatBillDetails"].as_array().unwrap();
    assert_eq!(bills.len(), 100);
    assert_eq!(first["HasNextPage"], true);
    let next = first["NextCursor"]
        .as_u64()
        .expect("NextCursor is an integer");
    let paid = bills
        .iter()
        .find(|b| b["BizToken"] == token.as_str())
        .expect("the finished flow is billed");
    assert_eq!(paid["ChargeCount"], 2);
    assert_eq!(paid["RuleId"], rule.as_str());
    let details = paid["ChargeDetails"].as_array().unwrap();
    assert_eq!(details[0]["ErrorCode"], "2016");
    assert_eq!(details[0]["Sim"], "41.50");
    assert_eq!(details[1]["ErrorCode"], "0");
    assert_eq!(
        details[1]["IdCard"], "1101**********002X",
        "ID numbers are masked"
    );
    assert_eq!(details[1]["Name"], "*三");

    // The cursor is a position, not a count: erasing a flow the first page returned
    // neither skips nor repeats anything on the next page.
    let first_page: Vec<String> = bills
        .iter()
        .map(|b| b["BizToken"].as_str().unwrap().to_string())
        .collect();
    store.erase_flow(&first_page[1]).await.unwrap();
    let second = client
        .call(
            "GetWeChatBillDetails",
            &json!({"Date": date, "Cursor": next, "RuleId": rule}),
        )
        .await
        .unwrap();
    let rest: Vec<String> = second["WeChatBillDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["BizToken"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rest.len(), 4, "{second}");
    assert!(rest.iter().all(|t| !first_page.contains(t)));
    assert_eq!(second["HasNextPage"], false);

    let mut all_rules = 0;
    let mut cursor = 0;
    loop {
        let page = client
            .call(
                "GetWeChatBillDetails",
                &json!({"Date": date, "Cursor": cursor}),
            )
            .await
            .unwrap();
        all_rules += page["WeChatBillDetails"].as_array().unwrap().len();
        if page["HasNextPage"] != true {
            break;
        }
        cursor = page["NextCursor"].as_u64().unwrap();
    }
    assert_eq!(
        all_rules, 104,
        "without RuleId every rule counts (one flow was erased)"
    );
    let nonsense = client
        .call(
            "GetWeChatBillDetails",
            &json!({"Date": date, "Cursor": u64::MAX}),
        )
        .await
        .unwrap_err();
    assert_eq!(nonsense.code(), Some("InvalidParameterValue"));

    let bad = client
        .call(
            "GetWeChatBillDetails",
            &json!({"Date": "2026-02-30", "Cursor": 0}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Some("InvalidParameterValue"));
    let old = client
        .call(
            "GetWeChatBillDetails",
            &json!({"Date": "2020-01-01", "Cursor": 0}),
        )
        .await
        .unwrap_err();
    assert_eq!(old.code(), Some("InvalidParameterValue"));
    let missing = client
        .call("GetWeChatBillDetails", &json!({"Date": date}))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some("MissingParameter"));
    server.stop().await;
}
