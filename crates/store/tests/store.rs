//! Store behaviour, run once against SQLite and once against PostgreSQL.

mod common;

use std::collections::BTreeSet;

use common::{contains, TestEnv};
use heshen_store::{
    AuditChain, AuditFilter, Charge, ConsoleSession, ConsoleUser, Count, FlowKind, FlowSearch,
    FlowUpdate, NewAuditEntry, NewBill, NewFlow, NewRevision, RegistryIdentity, ResultFilter,
    RevisionKind, Store, StoreError, BILL_RETENTION_MS,
};
use serde_json::json;

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::TestEnv::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::TestEnv::postgres().await).await
                }
            )*
        }
    };
}

on_both_backends!(
    api_keys_create_lookup_disable,
    secret_keys_are_sealed_in_the_database,
    rules_crud_with_sequential_ids,
    merchants_crud_with_faceid_style_ids,
    concurrent_rule_creation_yields_unique_ids,
    flow_insert_get_and_compare_and_swap,
    flow_payloads_are_sealed_in_the_database,
    concurrent_inserts_are_group_committed_and_all_readable,
    flows_between_pages_by_range_and_scope,
    nonce_replay_is_detected_atomically,
    media_round_trip_is_sealed_on_disk,
    media_streams_are_sealed_by_segment_and_bounded,
    purge_deletes_expired_rows_and_media_only,
    purge_works_in_batches,
    audit_log_pages_newest_first,
    audit_chain_detects_tampering,
    console_users_sessions_and_revisions,
    flows_are_searched_by_token_rule_date_and_result,
    reopening_keeps_data_and_migrate_is_idempotent,
    close_drains_queued_inserts_then_refuses_new_ones,
    registry_identities_are_sealed_and_found_by_id_number,
    jobs_are_claimed_once_leased_retried_and_erased_with_their_flow,
    counts_and_bills_are_written_with_their_flow_and_outlive_its_purge,
    legacy_appids_are_configured_per_app_and_their_flows_are_a_kind_of_their_own,
);

const NOW: i64 = 1_750_000_000_000;
const DAY: i64 = 24 * 3600 * 1000;

#[tokio::test]
async fn sqlite_database_directory_is_created_on_first_open() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("data/nested/heshen.db");
    let config = heshen_store::StoreConfig {
        database_url: format!("sqlite://{}?mode=rwc", db_path.display()),
        media_url: url::Url::from_directory_path(dir.path().join("media"))
            .unwrap()
            .to_string(),
        master_key: [1; 32],
    };
    let store = Store::open(config).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    assert!(db_path.exists());
    assert!(dir.path().join("media").is_dir());
}

#[tokio::test]
async fn unsupported_urls_are_configuration_errors() {
    let dir = tempfile::tempdir().unwrap();
    let media_url = url::Url::from_directory_path(dir.path())
        .unwrap()
        .to_string();
    let config = |database_url: &str, media_url: &str| heshen_store::StoreConfig {
        database_url: database_url.to_string(),
        media_url: media_url.to_string(),
        master_key: [1; 32],
    };
    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display());
    assert!(matches!(
        Store::open(config("mysql://localhost/x", &media_url)).await,
        Err(StoreError::Config(_))
    ));
    #[cfg(not(feature = "s3"))]
    assert!(matches!(
        Store::open(config(&sqlite_url, "s3://bucket/prefix")).await,
        Err(StoreError::Config(message)) if message.contains("s3")
    ));
    assert!(matches!(
        Store::open(config(&sqlite_url, "relative/dir")).await,
        Err(StoreError::Config(_))
    ));
}

async fn legacy_appids_are_configured_per_app_and_their_flows_are_a_kind_of_their_own(
    env: TestEnv,
) {
    let store = store_with_app(&env).await;
    let id = store
        .create_legacy_app("app1", "mini", &json!({"liveness": "silent"}), "approved")
        .await
        .unwrap();
    assert!(id.starts_with("TIDA") && id.len() == 16, "{id}");
    assert!(matches!(
        store
            .create_legacy_app("nope", "x", &json!({}), "approved")
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let app = store.legacy_app(&id).await.unwrap().unwrap();
    assert_eq!((app.app_id.as_str(), app.name.as_str()), ("app1", "mini"));
    assert_eq!(app.config["liveness"], "silent");
    assert_eq!(store.list_legacy_apps(Some("app1")).await.unwrap().len(), 1);
    assert!(store
        .list_legacy_apps(Some("app2"))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .update_legacy_app(&id, "mini", &app.config, "disabled")
        .await
        .unwrap());
    assert_eq!(
        store.legacy_app(&id).await.unwrap().unwrap().status,
        "disabled"
    );
    assert!(!store
        .update_legacy_app("TIDAMISSING", "x", &json!({}), "disabled")
        .await
        .unwrap());

    let flow = NewFlow {
        kind: FlowKind::Legacy,
        ..new_flow("legacy-1", &id, NOW, NOW + DAY, b"{}")
    };
    store.insert_flow(flow).await.unwrap();
    assert_eq!(
        store.flow("legacy-1").await.unwrap().unwrap().kind,
        FlowKind::Legacy
    );
    store.close().await;
}

/// Migration 0008 rebuilds SQLite's flows table to widen its kind check: every row, sealed
/// payload, version and result code must come through it.
#[tokio::test]
async fn the_sqlite_flows_rebuild_keeps_every_flow() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("heshen.db").display()
    );
    let config = heshen_store::StoreConfig {
        database_url: url.clone(),
        media_url: url::Url::from_directory_path(dir.path().join("media"))
            .unwrap()
            .to_string(),
        master_key: [3; 32],
    };
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut before = sqlx::migrate!("./migrations/sqlite");
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < 8)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&pool).await.unwrap();
    pool.close().await;

    let store = Store::open(config.clone()).await.unwrap();
    store.ensure_app("app1", "First app").await.unwrap();
    for i in 0..3 {
        store
            .insert_flow(new_flow(
                &format!("old-{i}"),
                "rule",
                NOW + i,
                NOW + DAY,
                b"{\"old\":1}",
            ))
            .await
            .unwrap();
    }
    let finished = FlowUpdate {
        status: "finished".into(),
        payload: b"{\"done\":1}".to_vec(),
        finished_at: Some(NOW + 5),
        retain_until: NOW + 2 * DAY,
        result_code: Some(2016),
        counts: Vec::new(),
        charges: Vec::new(),
    };
    assert!(store.update_flow("old-1", 1, finished).await.unwrap());
    store.close().await;

    let store = Store::open(config).await.unwrap();
    store.migrate().await.unwrap();
    for i in 0..3 {
        let record = store.flow(&format!("old-{i}")).await.unwrap().unwrap();
        assert_eq!(record.kind, FlowKind::Detect);
        assert_eq!(record.created_at, NOW + i);
    }
    let updated = store.flow("old-1").await.unwrap().unwrap();
    assert_eq!(updated.payload, b"{\"done\":1}");
    assert_eq!((updated.version, updated.finished_at), (2, Some(NOW + 5)));
    let search = FlowSearch {
        result: Some(ResultFilter::Code(2016)),
        ..FlowSearch::default()
    };
    let found = store.search_flows("app1", &search, 10).await.unwrap();
    assert_eq!(found.len(), 1, "result codes came through");
    store.close().await;
}

fn new_flow(
    token: &str,
    scope_id: &str,
    created_at: i64,
    retain_until: i64,
    payload: &[u8],
) -> NewFlow {
    NewFlow {
        token: token.to_string(),
        kind: FlowKind::Detect,
        app_id: "app1".to_string(),
        scope_id: scope_id.to_string(),
        secret_id: "AKIDtest".to_string(),
        status: "created".to_string(),
        created_at,
        expires_at: created_at + 7_200_000,
        retain_until,
        payload: payload.to_vec(),
        counts: Vec::new(),
        bill: None,
    }
}

async fn store_with_app(env: &TestEnv) -> Store {
    let store = env.open().await;
    store.ensure_app("app1", "First app").await.unwrap();
    store
}

async fn api_keys_create_lookup_disable(env: TestEnv) {
    let store = env.open().await;
    store.health_check().await.unwrap();
    assert!(store.ensure_app("app1", "First app").await.unwrap());
    assert!(!store.ensure_app("app1", "Renamed").await.unwrap());
    assert_eq!(store.app("app1").await.unwrap().unwrap().name, "First app");

    assert!(matches!(
        store.create_api_key("no-such-app", "x").await,
        Err(StoreError::NotFound { what: "app", .. })
    ));

    let created = store.create_api_key("app1", "ci").await.unwrap();
    assert!(created.secret_id.starts_with("AKID"));
    assert_eq!(created.secret_id.len(), 36);
    assert_eq!(created.secret_key.len(), 32);
    assert!(created
        .secret_key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric()));
    let other = store.create_api_key("app1", "other").await.unwrap();
    assert_ne!(created, other);

    let key = store.api_key(&created.secret_id).await.unwrap().unwrap();
    assert_eq!(key.secret_key, created.secret_key);
    assert_eq!(
        (key.app_id.as_str(), key.name.as_str(), key.enabled),
        ("app1", "ci", true)
    );
    assert!(store.api_key("AKIDdoesnotexist").await.unwrap().is_none());

    let listed = store.list_api_keys().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(!format!("{listed:?}").contains(&created.secret_key));

    assert!(store
        .set_api_key_enabled(&created.secret_id, false)
        .await
        .unwrap());
    assert!(
        !store
            .api_key(&created.secret_id)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    assert!(
        store
            .api_key(&other.secret_id)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    assert!(!store
        .set_api_key_enabled("AKIDdoesnotexist", false)
        .await
        .unwrap());
    assert!(store
        .set_api_key_enabled(&created.secret_id, true)
        .await
        .unwrap());
    assert!(
        store
            .api_key(&created.secret_id)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    store.close().await;
}

async fn secret_keys_are_sealed_in_the_database(env: TestEnv) {
    let store = store_with_app(&env).await;
    let created = store.create_api_key("app1", "ci").await.unwrap();
    store.close().await;
    let raw = env
        .raw_bytes(
            "SELECT secret_key FROM api_keys WHERE secret_id = $1",
            &created.secret_id,
        )
        .await;
    assert!(!contains(&raw, created.secret_key.as_bytes()));
    assert_eq!(raw[0], 1, "sealed format version");
    assert_eq!(raw.len(), 1 + 12 + 32 + 16);
}

async fn rules_crud_with_sequential_ids(env: TestEnv) {
    let store = store_with_app(&env).await;
    store.ensure_app("app2", "Second").await.unwrap();
    let config = json!({"liveness": "silent", "threshold": 70});
    let first = store
        .create_rule("app1", "default", &config, "active")
        .await
        .unwrap();
    let second = store
        .create_rule("app2", "strict", &json!({}), "active")
        .await
        .unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("1", "2"));
    assert!(matches!(
        store.create_rule("nope", "x", &json!({}), "active").await,
        Err(StoreError::NotFound { .. })
    ));
    // A failed create must not burn a number.
    assert_eq!(
        store
            .create_rule("app1", "third", &json!(1), "draft")
            .await
            .unwrap(),
        "3"
    );

    let rule = store.rule(&first).await.unwrap().unwrap();
    assert_eq!(
        (
            rule.app_id.as_str(),
            rule.name.as_str(),
            rule.status.as_str()
        ),
        ("app1", "default", "active")
    );
    assert_eq!(rule.config, config);
    assert!(store.rule("999").await.unwrap().is_none());

    assert_eq!(store.list_rules(Some("app1")).await.unwrap().len(), 2);
    assert_eq!(store.list_rules(Some("app2")).await.unwrap().len(), 1);
    assert_eq!(store.list_rules(None).await.unwrap().len(), 3);

    let new_config = json!({"liveness": "action"});
    assert!(store
        .update_rule(&first, "renamed", &new_config, "disabled")
        .await
        .unwrap());
    let rule = store.rule(&first).await.unwrap().unwrap();
    assert_eq!(
        (rule.name.as_str(), rule.status.as_str()),
        ("renamed", "disabled")
    );
    assert_eq!(rule.config, new_config);
    assert!(rule.updated_at >= rule.created_at);
    assert!(!store
        .update_rule("999", "x", &json!({}), "active")
        .await
        .unwrap());
    store.close().await;
}

async fn concurrent_rule_creation_yields_unique_ids(env: TestEnv) {
    let store = store_with_app(&env).await;
    // Two Store handles stand in for two server nodes sharing the database.
    let other_node = env.open().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 {
            store.clone()
        } else {
            other_node.clone()
        };
        tasks.push(tokio::spawn(async move {
            store
                .create_rule("app1", &format!("r{i}"), &json!({}), "active")
                .await
        }));
    }
    let mut ids = BTreeSet::new();
    for task in tasks {
        ids.insert(task.await.unwrap().unwrap().parse::<u64>().unwrap());
    }
    assert_eq!(ids, (1..=40).collect::<BTreeSet<u64>>());
    other_node.close().await;
    store.close().await;
}

async fn merchants_crud_with_faceid_style_ids(env: TestEnv) {
    let store = store_with_app(&env).await;
    let mut ids = BTreeSet::new();
    for i in 0..20 {
        let id = store
            .create_merchant("app1", &format!("m{i}"), &json!({"n": i}), "active")
            .await
            .unwrap();
        assert!(id.starts_with("0NSJ"), "{id}");
        assert_eq!(id.len(), 20);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "{id}"
        );
        ids.insert(id);
    }
    assert_eq!(ids.len(), 20);
    assert!(matches!(
        store
            .create_merchant("nope", "x", &json!({}), "active")
            .await,
        Err(StoreError::NotFound { .. })
    ));

    let id = ids.first().unwrap();
    let merchant = store.merchant(id).await.unwrap().unwrap();
    assert_eq!(merchant.app_id, "app1");
    assert!(merchant.config["n"].is_number());
    assert!(store.merchant("0NSJMISSING").await.unwrap().is_none());
    assert_eq!(store.list_merchants(Some("app1")).await.unwrap().len(), 20);
    assert_eq!(store.list_merchants(Some("app2")).await.unwrap().len(), 0);
    assert_eq!(store.list_merchants(None).await.unwrap().len(), 20);

    assert!(store
        .update_merchant(id, "new", &json!({"x": true}), "disabled")
        .await
        .unwrap());
    let merchant = store.merchant(id).await.unwrap().unwrap();
    assert_eq!(
        (merchant.name.as_str(), merchant.status.as_str()),
        ("new", "disabled")
    );
    assert_eq!(merchant.config, json!({"x": true}));
    assert!(!store
        .update_merchant("0NSJMISSING", "x", &json!({}), "a")
        .await
        .unwrap());
    store.close().await;
}

async fn flow_insert_get_and_compare_and_swap(env: TestEnv) {
    let store = store_with_app(&env).await;
    let flow = NewFlow {
        kind: FlowKind::Eid,
        ..new_flow("tok-1", "0NSJABC", NOW, NOW + 1000, b"{\"name\":\"Li Si\"}")
    };
    store.insert_flow(flow.clone()).await.unwrap();
    assert!(matches!(
        store.insert_flow(flow.clone()).await,
        Err(StoreError::Conflict(_))
    ));

    let record = store.flow("tok-1").await.unwrap().unwrap();
    assert_eq!(record.kind, FlowKind::Eid);
    assert_eq!(record.payload, flow.payload);
    assert_eq!(record.version, 1);
    assert_eq!(record.finished_at, None);
    assert_eq!(
        (
            record.app_id.as_str(),
            record.scope_id.as_str(),
            record.secret_id.as_str(),
            record.status.as_str()
        ),
        ("app1", "0NSJABC", "AKIDtest", "created")
    );
    assert_eq!(
        (record.created_at, record.expires_at, record.retain_until),
        (NOW, NOW + 7_200_000, NOW + 1000)
    );
    assert!(store.flow("tok-missing").await.unwrap().is_none());

    let update = FlowUpdate {
        status: "finished".into(),
        payload: b"{\"result\":\"pass\"}".to_vec(),
        finished_at: Some(NOW + 5),
        retain_until: NOW + 9999,
        result_code: Some(0),
        counts: Vec::new(),
        charges: Vec::new(),
    };
    assert!(store.update_flow("tok-1", 1, update.clone()).await.unwrap());
    // Stale version: someone else already moved the flow on.
    let stale = FlowUpdate {
        status: "lost".into(),
        ..update.clone()
    };
    assert!(!store.update_flow("tok-1", 1, stale).await.unwrap());
    let record = store.flow("tok-1").await.unwrap().unwrap();
    assert_eq!(record.version, 2);
    assert_eq!(record.status, "finished");
    assert_eq!(record.payload, update.payload);
    assert_eq!(record.finished_at, Some(NOW + 5));
    assert_eq!(record.retain_until, NOW + 9999);
    assert!(store.update_flow("tok-1", 2, update.clone()).await.unwrap());
    assert_eq!(store.flow("tok-1").await.unwrap().unwrap().version, 3);
    assert!(matches!(
        store.update_flow("tok-missing", 1, update).await,
        Err(StoreError::NotFound { what: "flow", .. })
    ));
    store.close().await;
}

async fn flow_payloads_are_sealed_in_the_database(env: TestEnv) {
    let store = store_with_app(&env).await;
    let secret = b"id_card=110101199003077777";
    store
        .insert_flow(new_flow("tok-a", "1", NOW, NOW, secret))
        .await
        .unwrap();
    store
        .insert_flow(new_flow("tok-b", "1", NOW, NOW, b"other"))
        .await
        .unwrap();
    let raw_a = env
        .raw_bytes("SELECT payload FROM flows WHERE token = $1", "tok-a")
        .await;
    assert!(!contains(&raw_a, secret));
    assert!(!contains(&raw_a, b"110101199003077777"));

    // A sealed payload copied onto another row must not open there.
    let sql = "UPDATE flows SET payload = (SELECT payload FROM flows WHERE token = 'tok-a') WHERE token = 'tok-b'";
    match env.backend {
        heshen_store::Backend::Sqlite => {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&env.config.database_url)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
        heshen_store::Backend::Postgres => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&env.config.database_url)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }
    assert!(matches!(
        store.flow("tok-b").await,
        Err(StoreError::Crypto(_))
    ));
    assert_eq!(store.flow("tok-a").await.unwrap().unwrap().payload, secret);
    store.close().await;
}

async fn concurrent_inserts_are_group_committed_and_all_readable(env: TestEnv) {
    let store = store_with_app(&env).await;
    let count = 2_000;
    let mut tasks = Vec::with_capacity(count);
    for i in 0..count {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let token = format!("tok-{i:05}");
            let payload = format!("payload of {i}");
            store
                .insert_flow(new_flow(
                    &token,
                    "1",
                    NOW + (i as i64 % 97),
                    NOW,
                    payload.as_bytes(),
                ))
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // A duplicate inside a busy batch fails alone; its batch mates succeed.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let store = store.clone();
        let token = if i == 100 {
            "tok-00007".to_string()
        } else {
            format!("late-{i}")
        };
        tasks.push(tokio::spawn(async move {
            store
                .insert_flow(new_flow(&token, "1", NOW, NOW, b"x"))
                .await
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => conflicts += 1,
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(conflicts, 1);

    for i in (0..count).step_by(1) {
        let record = store.flow(&format!("tok-{i:05}")).await.unwrap().unwrap();
        assert_eq!(record.payload, format!("payload of {i}").into_bytes());
    }
    assert!(store.flow("late-199").await.unwrap().is_some());
    store.close().await;
}

async fn flows_between_pages_by_range_and_scope(env: TestEnv) {
    let store = store_with_app(&env).await;
    // 300 flows: created_at NOW+0..NOW+99 (3 flows per ms), scopes "1"/"2",
    // plus flows of another app and outside the range that must not show.
    for i in 0..300 {
        let scope = if i % 3 == 0 { "2" } else { "1" };
        store
            .insert_flow(new_flow(&format!("t{i:03}"), scope, NOW + i / 3, NOW, b"p"))
            .await
            .unwrap();
    }
    let foreign = NewFlow {
        app_id: "app2".into(),
        ..new_flow("other-app", "1", NOW + 10, NOW, b"p")
    };
    store.insert_flow(foreign).await.unwrap();
    store
        .insert_flow(new_flow("too-late", "1", NOW + 100, NOW, b"p"))
        .await
        .unwrap();
    store
        .insert_flow(new_flow("too-early", "1", NOW - 1, NOW, b"p"))
        .await
        .unwrap();

    let collect = |scope: Option<&'static str>, limit: u32| {
        let store = store.clone();
        async move {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = store
                    .flows_between("app1", NOW, NOW + 100, scope, after.as_deref(), limit)
                    .await
                    .unwrap();
                if page.is_empty() {
                    break;
                }
                assert!(page.len() <= limit as usize);
                after = Some(page.last().unwrap().token.clone());
                seen.extend(
                    page.into_iter()
                        .map(|f| (f.created_at, f.token, f.scope_id)),
                );
            }
            seen
        }
    };
    let all = collect(None, 7).await;
    assert_eq!(all.len(), 300);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "pages are ordered by (created_at, token)");
    sorted.dedup();
    assert_eq!(sorted.len(), 300, "no flow appears twice");

    let scoped = collect(Some("2"), 13).await;
    assert_eq!(scoped.len(), 100);
    assert!(scoped.iter().all(|(_, _, scope)| scope == "2"));

    assert!(matches!(
        store
            .flows_between("app1", NOW, NOW + 100, None, Some("no-such-token"), 10)
            .await,
        Err(StoreError::NotFound { .. })
    ));
    store.close().await;
}

async fn nonce_replay_is_detected_atomically(env: TestEnv) {
    let store = env.open().await;
    assert!(store
        .remember_nonce("AKID1", "12345", NOW + 300_000)
        .await
        .unwrap());
    assert!(!store
        .remember_nonce("AKID1", "12345", NOW + 300_000)
        .await
        .unwrap());
    assert!(store
        .remember_nonce("AKID2", "12345", NOW + 300_000)
        .await
        .unwrap());

    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.remember_nonce("AKID1", "race", NOW).await.unwrap()
        }));
    }
    let mut fresh = 0;
    for task in tasks {
        fresh += task.await.unwrap() as u32;
    }
    assert_eq!(fresh, 1, "exactly one concurrent request may use a nonce");
    store.close().await;
}

async fn media_streams_are_sealed_by_segment_and_bounded(env: TestEnv) {
    let store = env.open().await;
    // 300 KiB in uneven chunks: five segments, the last one short.
    let video: Vec<u8> = (0..300 * 1024u32).map(|i| (i % 251) as u8).collect();
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = video
        .chunks(7_001)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    let written = store
        .put_media_stream(
            "tok-s",
            "video.webm",
            futures_util::stream::iter(chunks),
            1 << 20,
        )
        .await
        .unwrap();
    assert_eq!(written, video.len() as u64);
    assert_eq!(
        store
            .get_media("tok-s", "video.webm")
            .await
            .unwrap()
            .unwrap(),
        video
    );
    let path = env.media_dir().join("tok-s").join("video.webm");
    let on_disk = std::fs::read(&path).unwrap();
    assert!(!contains(&on_disk, &video[1000..1100]), "sealed on disk");

    // An empty stream is a valid, empty object.
    let none: Vec<Result<bytes::Bytes, std::io::Error>> = Vec::new();
    store
        .put_media_stream("tok-s", "empty.webm", futures_util::stream::iter(none), 10)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_media("tok-s", "empty.webm")
            .await
            .unwrap()
            .unwrap(),
        b""
    );

    // Cut off after a whole segment, or with a segment dropped: refused, never short data.
    let first_len = u32::from_be_bytes(on_disk[4..8].try_into().unwrap()) as usize;
    let after_first = 8 + first_len;
    std::fs::write(&path, &on_disk[..after_first]).unwrap();
    assert!(matches!(
        store.get_media("tok-s", "video.webm").await,
        Err(StoreError::Crypto(_))
    ));
    let mut dropped = on_disk[..4].to_vec();
    dropped.extend_from_slice(&on_disk[after_first..]);
    std::fs::write(&path, &dropped).unwrap();
    assert!(matches!(
        store.get_media("tok-s", "video.webm").await,
        Err(StoreError::Crypto(_))
    ));
    std::fs::write(&path, &on_disk).unwrap();

    // Over the limit: the upload is aborted and the object already stored is untouched.
    let big: Vec<Result<bytes::Bytes, std::io::Error>> = (0..2)
        .map(|_| Ok(bytes::Bytes::from(vec![0u8; 600 * 1024])))
        .collect();
    let refused = store
        .put_media_stream(
            "tok-s",
            "video.webm",
            futures_util::stream::iter(big),
            1 << 20,
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::TooLarge { .. })),
        "{refused:?}"
    );
    assert_eq!(
        store
            .get_media("tok-s", "video.webm")
            .await
            .unwrap()
            .unwrap(),
        video
    );
    // A broken-off upload likewise.
    let broken: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
        Ok(bytes::Bytes::from_static(b"partial")),
        Err(std::io::Error::other("client went away")),
    ];
    assert!(store
        .put_media_stream(
            "tok-s",
            "other.webm",
            futures_util::stream::iter(broken),
            1 << 20
        )
        .await
        .is_err());
    assert!(store
        .get_media("tok-s", "other.webm")
        .await
        .unwrap()
        .is_none());
}

async fn media_round_trip_is_sealed_on_disk(env: TestEnv) {
    let store = env.open().await;
    let selfie: Vec<u8> = b"\xFF\xD8\xFFJPEG-selfie-of-Wang-Wu"
        .iter()
        .copied()
        .cycle()
        .take(4096)
        .collect();
    store
        .put_media("tok-m", "selfie.jpg", &selfie)
        .await
        .unwrap();
    store
        .put_media("tok-m", "idcard.png", b"ID-CARD-IMAGE")
        .await
        .unwrap();
    assert_eq!(
        store
            .get_media("tok-m", "selfie.jpg")
            .await
            .unwrap()
            .unwrap(),
        selfie
    );
    assert_eq!(
        store
            .get_media("tok-m", "idcard.png")
            .await
            .unwrap()
            .unwrap(),
        b"ID-CARD-IMAGE"
    );

    let on_disk = std::fs::read(env.media_dir().join("tok-m").join("selfie.jpg")).unwrap();
    assert!(!contains(&on_disk, b"JPEG-selfie-of-Wang-Wu"));
    assert_eq!(on_disk[0], 1);

    // Objects are bound to their token/name: a renamed file does not open.
    std::fs::copy(
        env.media_dir().join("tok-m").join("selfie.jpg"),
        env.media_dir().join("tok-m").join("copied.jpg"),
    )
    .unwrap();
    assert!(matches!(
        store.get_media("tok-m", "copied.jpg").await,
        Err(StoreError::Crypto(_))
    ));

    assert!(store
        .get_media("tok-m", "absent.jpg")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .get_media("tok-none", "selfie.jpg")
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        store.put_media("../x", "a", b"x").await,
        Err(StoreError::InvalidInput(_))
    ));
    assert!(matches!(
        store.get_media("tok-m", "a/b").await,
        Err(StoreError::InvalidInput(_))
    ));

    store
        .put_media("tok-keep", "selfie.jpg", b"keep")
        .await
        .unwrap();
    assert_eq!(store.delete_media("tok-m").await.unwrap(), 3);
    assert!(store
        .get_media("tok-m", "selfie.jpg")
        .await
        .unwrap()
        .is_none());
    assert!(!env.media_dir().join("tok-m").exists());
    assert_eq!(store.delete_media("tok-m").await.unwrap(), 0);
    assert_eq!(
        store
            .get_media("tok-keep", "selfie.jpg")
            .await
            .unwrap()
            .unwrap(),
        b"keep"
    );
    store.close().await;
}

async fn purge_deletes_expired_rows_and_media_only(env: TestEnv) {
    let store = store_with_app(&env).await;
    store
        .insert_flow(new_flow("old", "1", NOW - 10_000, NOW - 1, b"old"))
        .await
        .unwrap();
    store
        .insert_flow(new_flow("fresh", "1", NOW - 10_000, NOW + 1, b"fresh"))
        .await
        .unwrap();
    store
        .insert_flow(new_flow("boundary", "1", NOW - 10_000, NOW, b"kept"))
        .await
        .unwrap();
    store.put_media("old", "selfie.jpg", b"a").await.unwrap();
    store.put_media("old", "video.mp4", b"b").await.unwrap();
    store.put_media("fresh", "selfie.jpg", b"c").await.unwrap();
    assert!(store
        .remember_nonce("AKID1", "expired", NOW - 1)
        .await
        .unwrap());
    assert!(store
        .remember_nonce("AKID1", "live", NOW + 60_000)
        .await
        .unwrap());

    let report = store.purge(NOW).await.unwrap();
    assert_eq!(
        (report.flows, report.media_objects, report.nonces),
        (1, 2, 1)
    );

    assert!(store.flow("old").await.unwrap().is_none());
    assert!(store
        .get_media("old", "selfie.jpg")
        .await
        .unwrap()
        .is_none());
    assert!(store.get_media("old", "video.mp4").await.unwrap().is_none());
    assert!(!env.media_dir().join("old").exists());
    assert!(store.flow("fresh").await.unwrap().is_some());
    assert!(store.flow("boundary").await.unwrap().is_some());
    assert_eq!(
        store
            .get_media("fresh", "selfie.jpg")
            .await
            .unwrap()
            .unwrap(),
        b"c"
    );
    // The expired nonce row is really gone; the live one is still a replay.
    assert!(store
        .remember_nonce("AKID1", "expired", NOW + 1)
        .await
        .unwrap());
    assert!(!store
        .remember_nonce("AKID1", "live", NOW + 60_000)
        .await
        .unwrap());

    assert_eq!(store.purge(NOW).await.unwrap(), Default::default());
    store.close().await;
}

async fn purge_works_in_batches(env: TestEnv) {
    let store = store_with_app(&env).await;
    let mut tasks = Vec::new();
    for i in 0..1_234 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .insert_flow(new_flow(
                    &format!("old-{i}"),
                    "1",
                    NOW - 5,
                    NOW - 1 - i,
                    b"x",
                ))
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    store
        .insert_flow(new_flow("keep", "1", NOW, NOW + 1, b"x"))
        .await
        .unwrap();
    for i in 0..1_100 {
        store
            .remember_nonce("AKID1", &format!("n{i}"), NOW - 1)
            .await
            .unwrap();
    }
    let report = store.purge(NOW).await.unwrap();
    assert_eq!(
        (report.flows, report.media_objects, report.nonces),
        (1_234, 0, 1_100)
    );
    let left = store
        .flows_between("app1", 0, i64::MAX, None, None, 10)
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].token, "keep");
    store.close().await;
}

fn audit_entry<'a>(
    at: i64,
    action: &'a str,
    target: &'a str,
    detail: &'a serde_json::Value,
    app_id: &'a str,
) -> NewAuditEntry<'a> {
    NewAuditEntry {
        at,
        actor: "admin",
        action,
        target,
        detail,
        app_id,
        origin: "127.0.0.1",
    }
}

async fn audit_log_pages_newest_first(env: TestEnv) {
    let store = env.open().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let detail = json!({"i": i});
        let target = format!("rule:{i}");
        let app = if i % 2 == 0 { "app1" } else { "app2" };
        ids.push(
            store
                .append_audit(audit_entry(NOW + i, "rule.update", &target, &detail, app))
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        ids,
        vec![1, 2, 3, 4, 5],
        "ids follow each other without gaps"
    );
    let everything = AuditFilter::default();
    let page = store.list_audit(2, &everything).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[4], ids[3]]
    );
    assert_eq!(page[0].detail, json!({"i": 4}));
    assert_eq!(
        (
            page[0].actor.as_str(),
            page[0].action.as_str(),
            page[0].target.as_str(),
            page[0].app_id.as_str(),
            page[0].origin.as_str(),
        ),
        ("admin", "rule.update", "rule:4", "app1", "127.0.0.1")
    );
    assert_eq!(page[0].at, NOW + 4);
    let next = store
        .list_audit(
            10,
            &AuditFilter {
                before_id: Some(ids[3]),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1], ids[0]]
    );
    let only_app2 = AuditFilter {
        apps: Some(vec!["app2".into()]),
        before_id: None,
    };
    let app2 = store.list_audit(10, &only_app2).await.unwrap();
    assert_eq!(app2.iter().map(|e| e.id).collect::<Vec<_>>(), vec![4, 2]);
    assert_eq!(
        store.verify_audit().await.unwrap(),
        AuditChain::Intact { entries: 5 }
    );
    store.close().await;
}

/// Every way of rewriting history without the master key is caught, at the entry it hit.
async fn audit_chain_detects_tampering(env: TestEnv) {
    let store = env.open().await;
    for i in 0..4 {
        let detail = json!({"n": i});
        store
            .append_audit(audit_entry(NOW + i, "keys.create", "AKID", &detail, "app1"))
            .await
            .unwrap();
    }
    assert_eq!(
        store.verify_audit().await.unwrap(),
        AuditChain::Intact { entries: 4 }
    );
    let broken_at = |at_id| AuditChain::Broken {
        at_id: Some(at_id),
        entries: at_id as u64 - 1,
    };
    env.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
        .await;
    assert_eq!(store.verify_audit().await.unwrap(), broken_at(2));
    env.execute("UPDATE audit_log SET actor = 'admin' WHERE id = 2")
        .await;
    assert_eq!(
        store.verify_audit().await.unwrap(),
        AuditChain::Intact { entries: 4 },
        "putting the field back restores the chain"
    );
    env.execute("DELETE FROM audit_log WHERE id = 4").await;
    assert_eq!(
        store.verify_audit().await.unwrap(),
        AuditChain::Broken {
            at_id: None,
            entries: 3
        },
        "removing the newest entry leaves the head pointing past the end"
    );
    env.execute("DELETE FROM audit_log WHERE id = 2").await;
    assert_eq!(
        store.verify_audit().await.unwrap(),
        AuditChain::Broken {
            at_id: Some(3),
            entries: 1
        },
        "the entry after a removed one no longer follows"
    );
    store.close().await;
}

async fn console_users_sessions_and_revisions(env: TestEnv) {
    let store = store_with_app(&env).await;
    let user = ConsoleUser {
        username: "alice".into(),
        password_hash: "$argon2id$stand-in".into(),
        role: "operator".into(),
        apps: vec!["app1".into()],
        must_change: true,
        totp_secret: Some(b"twenty-byte-secret!!".to_vec()),
        enabled: true,
        created_at: NOW,
        updated_at: NOW,
    };
    assert!(store.create_console_user(&user).await.unwrap());
    assert!(
        !store.create_console_user(&user).await.unwrap(),
        "names are unique"
    );
    assert_eq!(store.console_user("alice").await.unwrap().unwrap(), user);
    let sealed = env
        .raw_bytes(
            "SELECT totp_secret FROM console_users WHERE username = $1",
            "alice",
        )
        .await;
    assert!(
        !contains(&sealed, b"twenty-byte-secret"),
        "the second factor's secret is sealed"
    );
    let changed = ConsoleUser {
        must_change: false,
        totp_secret: None,
        updated_at: NOW + 1,
        ..user.clone()
    };
    assert!(store.update_console_user(&changed).await.unwrap());
    assert_eq!(store.console_user("alice").await.unwrap().unwrap(), changed);
    assert_eq!(store.count_console_users().await.unwrap(), 1);

    let session = ConsoleSession {
        id_hash: "h1".into(),
        username: "alice".into(),
        csrf: "c1".into(),
        created_at: NOW,
        expires_at: NOW + 1000,
    };
    store.create_console_session(&session).await.unwrap();
    assert_eq!(
        store.console_session("h1", NOW).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(store.console_session("h1", NOW + 1000).await.unwrap(), None);
    assert_eq!(store.delete_console_sessions_of("alice").await.unwrap(), 1);
    assert_eq!(store.console_session("h1", NOW).await.unwrap(), None);

    let rule_id = store
        .create_rule("app1", "r", &json!({"v": 0}), "draft")
        .await
        .unwrap();
    let first = store
        .create_revision(NewRevision {
            kind: RevisionKind::Rule,
            subject_id: &rule_id,
            app_id: "app1",
            name: "r",
            config: &json!({"v": 1}),
            author: "alice",
            now_ms: NOW,
        })
        .await
        .unwrap();
    assert_eq!(first, 1);
    assert!(store
        .update_draft(RevisionKind::Rule, &rule_id, first, "r1", &json!({"v": 11}))
        .await
        .unwrap());
    assert!(store
        .submit_revision(RevisionKind::Rule, &rule_id, first, NOW + 1)
        .await
        .unwrap());
    assert!(
        !store
            .update_draft(RevisionKind::Rule, &rule_id, first, "r1", &json!({"v": 12}))
            .await
            .unwrap(),
        "a submitted revision is frozen"
    );
    let queue = store.revisions_in("pending", Some("app1")).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert!(store
        .revisions_in("pending", Some("app2"))
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .approve_revision(RevisionKind::Rule, &rule_id, first, "rita", "ok", NOW + 2)
        .await
        .unwrap());
    let serving = store.rule(&rule_id).await.unwrap().unwrap();
    assert_eq!(
        (serving.status.as_str(), serving.config.clone()),
        ("approved", json!({"v": 11}))
    );

    let second = store
        .create_revision(NewRevision {
            kind: RevisionKind::Rule,
            subject_id: &rule_id,
            app_id: "app1",
            name: "r2",
            config: &json!({"v": 2}),
            author: "alice",
            now_ms: NOW + 3,
        })
        .await
        .unwrap();
    assert_eq!(second, 2);
    store
        .submit_revision(RevisionKind::Rule, &rule_id, second, NOW + 4)
        .await
        .unwrap();
    assert_eq!(
        store.rule(&rule_id).await.unwrap().unwrap().config,
        json!({"v": 11}),
        "the approved version serves while the next waits for review"
    );
    assert!(store
        .reject_revision(RevisionKind::Rule, &rule_id, second, "rita", "no", NOW + 5)
        .await
        .unwrap());
    assert!(
        !store
            .approve_revision(RevisionKind::Rule, &rule_id, second, "rita", "", NOW + 6)
            .await
            .unwrap(),
        "a rejected revision cannot be approved"
    );
    let history = store
        .revisions_of(RevisionKind::Rule, &rule_id)
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| (r.revision, r.status.as_str(), r.note.as_str()))
            .collect::<Vec<_>>(),
        vec![(2, "rejected", "no"), (1, "approved", "ok")]
    );
    assert_eq!(history[0].reviewer.as_deref(), Some("rita"));
    store.close().await;
}

async fn reopening_keeps_data_and_migrate_is_idempotent(env: TestEnv) {
    let store = store_with_app(&env).await;
    store.migrate().await.unwrap();
    let key = store.create_api_key("app1", "ci").await.unwrap();
    let rule_id = store
        .create_rule("app1", "r", &json!({"a": 1}), "active")
        .await
        .unwrap();
    store
        .insert_flow(new_flow("persist", &rule_id, NOW, NOW + 1, b"kept payload"))
        .await
        .unwrap();
    store
        .put_media("persist", "selfie.jpg", b"kept media")
        .await
        .unwrap();
    store
        .append_audit(audit_entry(
            NOW,
            "key.create",
            &key.secret_id,
            &json!(null),
            "app1",
        ))
        .await
        .unwrap();
    store.close().await;
    drop(store);

    let reopened = env.open().await;
    assert_eq!(
        reopened
            .api_key(&key.secret_id)
            .await
            .unwrap()
            .unwrap()
            .secret_key,
        key.secret_key
    );
    assert_eq!(
        reopened.rule(&rule_id).await.unwrap().unwrap().config,
        json!({"a": 1})
    );
    assert_eq!(
        reopened.flow("persist").await.unwrap().unwrap().payload,
        b"kept payload"
    );
    assert_eq!(
        reopened
            .get_media("persist", "selfie.jpg")
            .await
            .unwrap()
            .unwrap(),
        b"kept media"
    );
    assert_eq!(
        reopened
            .list_audit(10, &AuditFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    // The rule counter survives too.
    assert_eq!(
        reopened
            .create_rule("app1", "r2", &json!({}), "active")
            .await
            .unwrap(),
        "2"
    );
    reopened.close().await;

    // A different master key cannot read the sealed data.
    let mut wrong = env.config.clone();
    wrong.master_key = [0x11; 32];
    let wrong_store = Store::open(wrong).await.unwrap();
    assert!(matches!(
        wrong_store.api_key(&key.secret_id).await,
        Err(StoreError::Crypto(_))
    ));
    assert!(matches!(
        wrong_store.get_media("persist", "selfie.jpg").await,
        Err(StoreError::Crypto(_))
    ));
    wrong_store.close().await;
    let _ = env.temp_dir();
}

async fn close_drains_queued_inserts_then_refuses_new_ones(env: TestEnv) {
    let store = store_with_app(&env).await;
    let mut tasks = Vec::new();
    for i in 0..500 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let token = format!("drain-{i}");
            (
                token.clone(),
                store
                    .insert_flow(new_flow(&token, "1", NOW, NOW, b"x"))
                    .await,
            )
        }));
    }
    tokio::task::yield_now().await;
    store.close().await;
    let mut committed = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (token, Ok(())) => committed.push(token),
            (_, Err(StoreError::Closed)) => {}
            (token, Err(e)) => panic!("{token}: unexpected error {e}"),
        }
    }
    assert!(matches!(
        store
            .insert_flow(new_flow("after-close", "1", NOW, NOW, b"x"))
            .await,
        Err(StoreError::Closed)
    ));
    let reopened = env.open().await;
    for token in &committed {
        assert!(
            reopened.flow(token).await.unwrap().is_some(),
            "{token} was acknowledged but not stored"
        );
    }
    reopened.close().await;
}

async fn registry_identities_are_sealed_and_found_by_id_number(env: TestEnv) {
    let store = env.open().await;
    let person = RegistryIdentity {
        id_card: "11010519491231002X".into(),
        name: "张三".into(),
        photo: Some(b"\xff\xd8 photo bytes of zhang san".to_vec()),
        embedding: Some(vec![7u8; 16]),
        source: "import:test.csv".into(),
    };
    assert!(
        store.upsert_identity(&person).await.unwrap(),
        "new identity"
    );
    assert_eq!(
        store.identity("11010519491231002X").await.unwrap(),
        Some(person.clone())
    );
    assert_eq!(store.identity("110105194912310037").await.unwrap(), None);

    let renamed = RegistryIdentity {
        name: "张叁".into(),
        photo: None,
        ..person.clone()
    };
    assert!(
        !store.upsert_identity(&renamed).await.unwrap(),
        "replaced, not added"
    );
    assert_eq!(
        store.identity("11010519491231002X").await.unwrap(),
        Some(renamed)
    );
    assert_eq!(store.count_identities().await.unwrap(), 1);
    store.close().await;

    let raw_name = env
        .raw_bytes(
            "SELECT name FROM registry_identities WHERE source = $1",
            "import:test.csv",
        )
        .await;
    assert!(!contains(&raw_name, "张叁".as_bytes()));
    let raw_id = env
        .raw_bytes(
            "SELECT id_card FROM registry_identities WHERE source = $1",
            "import:test.csv",
        )
        .await;
    assert!(
        !contains(&raw_id, b"11010519491231002X"),
        "the ID number is not stored in the clear"
    );
}

async fn jobs_are_claimed_once_leased_retried_and_erased_with_their_flow(env: TestEnv) {
    let store = store_with_app(&env).await;
    store
        .insert_flow(new_flow("tok-jobs", "rule1", NOW, NOW + 100_000_000, b"{}"))
        .await
        .unwrap();
    assert!(store
        .enqueue_job("j1", "judge", "tok-jobs", NOW)
        .await
        .unwrap());
    assert!(
        !store
            .enqueue_job("j1", "judge", "tok-jobs", NOW)
            .await
            .unwrap(),
        "enqueueing is idempotent on the id"
    );
    assert!(store
        .enqueue_job("later", "judge", "tok-jobs", NOW + 60_000)
        .await
        .unwrap());

    // Many workers race for the one due job: exactly one wins it.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.claim_job(NOW, 1_000).await.unwrap()
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(winners[0].id, "j1");
    assert_eq!(winners[0].tries, 1);
    assert_eq!(
        store.claim_job(NOW + 500, 1_000).await.unwrap(),
        None,
        "leased"
    );

    // The lease runs out (the worker died): another worker takes it over.
    let again = store.claim_job(NOW + 1_001, 1_000).await.unwrap().unwrap();
    assert_eq!((again.id.as_str(), again.tries), ("j1", 2));
    store
        .retry_job("j1", NOW + 5_000, "engine busy")
        .await
        .unwrap();
    assert_eq!(store.claim_job(NOW + 4_000, 1_000).await.unwrap(), None);
    let retried = store.claim_job(NOW + 5_000, 1_000).await.unwrap().unwrap();
    assert_eq!(retried.tries, 3);
    store.finish_job("j1").await.unwrap();
    assert_eq!(store.jobs_of("tok-jobs").await.unwrap(), 1);

    store.erase_flow("tok-jobs").await.unwrap();
    assert_eq!(
        store.jobs_of("tok-jobs").await.unwrap(),
        0,
        "jobs go with their flow"
    );
    assert_eq!(store.claim_job(NOW + 120_000, 1_000).await.unwrap(), None);
    store.close().await;
}

async fn flows_are_searched_by_token_rule_date_and_result(env: TestEnv) {
    let store = store_with_app(&env).await;
    // Five flows a minute apart: passed, failed 1005, failed 2004, unfinished, passed.
    let codes = [Some(0), Some(1005), Some(2004), None, Some(0)];
    for (i, code) in codes.iter().enumerate() {
        let token = format!("tok-{i}");
        let scope = if i % 2 == 0 { "r1" } else { "r2" };
        let at = NOW + i as i64 * 60_000;
        store
            .insert_flow(new_flow(&token, scope, at, at + DAY, b"{}"))
            .await
            .unwrap();
        if let Some(code) = code {
            let update = FlowUpdate {
                status: "finished".into(),
                payload: b"{}".to_vec(),
                finished_at: Some(at + 1),
                retain_until: at + DAY,
                result_code: Some(*code),
                counts: Vec::new(),
                charges: Vec::new(),
            };
            assert!(store.update_flow(&token, 1, update).await.unwrap());
        }
    }
    let tokens = |rows: Vec<heshen_store::FlowSummary>| {
        rows.into_iter().map(|r| r.token).collect::<Vec<_>>()
    };
    let all = store
        .search_flows("app1", &FlowSearch::default(), 10)
        .await
        .unwrap();
    assert_eq!(all[0].result_code, Some(0));
    assert_eq!(
        tokens(all),
        vec!["tok-4", "tok-3", "tok-2", "tok-1", "tok-0"],
        "newest first"
    );
    let search = |f: FlowSearch| {
        let store = store.clone();
        async move { tokens(store.search_flows("app1", &f, 10).await.unwrap()) }
    };
    let by = |result| FlowSearch {
        result: Some(result),
        ..FlowSearch::default()
    };
    assert_eq!(
        search(by(ResultFilter::Passed)).await,
        vec!["tok-4", "tok-0"]
    );
    assert_eq!(
        search(by(ResultFilter::Failed)).await,
        vec!["tok-2", "tok-1"]
    );
    assert_eq!(search(by(ResultFilter::Unfinished)).await, vec!["tok-3"]);
    assert_eq!(search(by(ResultFilter::Code(2004))).await, vec!["tok-2"]);
    let rule = FlowSearch {
        scope_id: Some("r2".into()),
        ..FlowSearch::default()
    };
    assert_eq!(search(rule).await, vec!["tok-3", "tok-1"]);
    let token = FlowSearch {
        token: Some("tok-2".into()),
        ..FlowSearch::default()
    };
    assert_eq!(search(token).await, vec!["tok-2"]);
    let window = FlowSearch {
        from_ms: Some(NOW + 60_000),
        to_ms: Some(NOW + 180_000),
        ..FlowSearch::default()
    };
    assert_eq!(search(window).await, vec!["tok-2", "tok-1"]);
    let first_page = store
        .search_flows("app1", &FlowSearch::default(), 2)
        .await
        .unwrap();
    let last = first_page.last().unwrap();
    let next = FlowSearch {
        before: Some((last.created_at, last.token.clone())),
        ..FlowSearch::default()
    };
    assert_eq!(search(next).await, vec!["tok-2", "tok-1", "tok-0"]);
    assert!(store
        .search_flows("other-app", &FlowSearch::default(), 10)
        .await
        .unwrap()
        .is_empty());
    store.close().await;
}

async fn counts_and_bills_are_written_with_their_flow_and_outlive_its_purge(env: TestEnv) {
    let store = store_with_app(&env).await;
    let count = |metric: &str| Count {
        day: 20_000,
        metric: metric.to_string(),
        n: 1,
    };
    for token in ["tok-a", "tok-b"] {
        store
            .insert_flow(NewFlow {
                counts: vec![count("issued")],
                bill: Some(NewBill {
                    channel: "mobile_h5".into(),
                }),
                ..new_flow(token, "7", NOW, NOW + 1000, b"{}")
            })
            .await
            .unwrap();
    }
    let charge = Charge {
        seq: "seq-1".into(),
        req_time: NOW + 5,
        compare_source: "authority".into(),
        billed: true,
        error_code: 0,
        sim: "93.47".into(),
        masked_id_card: "1101**********002X".into(),
        masked_name: "*三".into(),
    };
    let step = FlowUpdate {
        status: "finished".into(),
        payload: b"{}".to_vec(),
        finished_at: Some(NOW + 5),
        retain_until: NOW + 1000,
        result_code: Some(0),
        counts: vec![count("finished"), count("passed")],
        charges: vec![charge.clone()],
    };
    assert!(store.update_flow("tok-a", 1, step.clone()).await.unwrap());
    // A stale step adds nothing: the counters and charges move with the row or not at all.
    assert!(!store.update_flow("tok-a", 1, step).await.unwrap());
    let counts = store.counts("app1", 20_000, 20_001, None).await.unwrap();
    let named: Vec<(&str, i64)> = counts.iter().map(|c| (c.metric.as_str(), c.n)).collect();
    assert_eq!(named, vec![("finished", 1), ("issued", 2), ("passed", 1)]);
    assert!(store
        .counts("app1", 20_000, 20_001, Some("8"))
        .await
        .unwrap()
        .is_empty());

    let bills = store
        .bills_between("app1", NOW, NOW + 1, None, None, 10)
        .await
        .unwrap();
    assert_eq!(bills.len(), 2);
    assert_eq!(bills[0].token, "tok-a");
    assert_eq!(bills[0].charges, vec![charge]);
    assert!(bills[1].charges.is_empty());
    let rest = store
        .bills_between("app1", NOW, NOW + 1, None, Some((NOW, "tok-a")), 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].token, "tok-b");
    let totals = store
        .charge_totals("app1", NOW, NOW + 1, None)
        .await
        .unwrap();
    assert_eq!((totals[0].attempts, totals[0].billed), (1, 1));
    let sealed = env
        .raw_bytes("SELECT masked FROM charges WHERE token = $1", "tok-a")
        .await;
    assert!(
        !contains(&sealed, "002X".as_bytes()),
        "masked identities are sealed too"
    );

    let purged = store.purge(NOW + 2000).await.unwrap();
    assert_eq!((purged.flows, purged.bills), (2, 0));
    assert_eq!(
        store
            .bills_between("app1", NOW, NOW + 1, None, None, 10)
            .await
            .unwrap()
            .len(),
        2,
        "bills outlive the flows' retention"
    );
    store.erase_flow("tok-b").await.unwrap();
    assert_eq!(
        store
            .bills_between("app1", NOW, NOW + 1, None, None, 10)
            .await
            .unwrap()
            .len(),
        1,
        "erasure on demand takes the bill too"
    );
    let purged = store.purge(NOW + BILL_RETENTION_MS + 1).await.unwrap();
    assert_eq!(purged.bills, 1);
    assert!(store
        .bills_between("app1", NOW, NOW + 1, None, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .counts("app1", 20_000, 20_001, None)
            .await
            .unwrap()
            .len(),
        3,
        "counts stay"
    );
}
