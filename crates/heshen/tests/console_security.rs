//! The console over plain HTTP against the real server: sessions, CSRF, roles, sign-in
//! throttling, inert XSS payloads, apps that cannot see each other, the review that alone
//! lets a rule issue tokens, and an audit chain that notices tampering.

mod common;

use common::Server;
use heshen_service::console::Accounts;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

const NEW_PASSWORD: &str = "a long and private passphrase";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// A browser with (at most) one console session.
struct Browser {
    base: String,
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[at..].split('"').next()?.to_string())
}

impl Browser {
    fn new(server: &Server) -> Self {
        Self {
            base: server.url.clone(),
            http: client(),
            cookie: String::new(),
            csrf: String::new(),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap()
    }

    async fn page(&mut self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        if let Some(csrf) = csrf_of(&body) {
            self.csrf = csrf;
        }
        (status, body)
    }

    /// Posts a form with the session's CSRF token, from the console's own origin.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.base)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn login(&mut self, user: &str, password: &str) -> reqwest::Response {
        let response = self
            .http
            .post(format!("{}/console/login", self.base))
            .header(ORIGIN, &self.base)
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .unwrap();
        if let Some(cookie) = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("__Host-heshen_console="))
        {
            self.cookie = cookie.split(';').next().unwrap().to_string();
        }
        response
    }

    /// Signs in with a handed-out password and replaces it, as the console insists.
    async fn first_login(&mut self, user: &str, one_time: &str) {
        let response = self.login(user, one_time).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[LOCATION], "/console/password");
        let (status, _) = self.page("/console/apps").await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "nothing before the password is changed"
        );
        let (status, _) = self.page("/console/password").await;
        assert_eq!(status, StatusCode::OK);
        let changed = self
            .post(
                "/console/password",
                &[
                    ("current", one_time),
                    ("new", NEW_PASSWORD),
                    ("repeat", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        let cookie = changed
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("__Host-heshen_console="))
            .expect("a new session after the change")
            .to_string();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("Secure")
                && cookie.contains("SameSite=Strict")
        );
        self.cookie = cookie.split(';').next().unwrap().to_string();
        let (status, _) = self.page("/console/apps").await;
        assert_eq!(status, StatusCode::OK);
    }
}

async fn admin(server: &Server) -> Browser {
    let password = Accounts::new(server.state.store().clone())
        .ensure_first_admin()
        .await
        .unwrap()
        .expect("the first start creates the admin");
    let mut browser = Browser::new(server);
    browser.first_login("admin", &password).await;
    browser
}

/// Creates a user through the console and signs them in with a password of their own.
async fn user(server: &Server, admin: &mut Browser, name: &str, role: &str, apps: &str) -> Browser {
    admin.page("/console/users").await;
    let response = admin
        .post(
            "/console/users",
            &[("username", name), ("role", role), ("apps", apps)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let at = body
        .find("data-testid=\"user-one-time-password\">")
        .unwrap()
        + "data-testid=\"user-one-time-password\">".len();
    let password = body[at..].split('<').next().unwrap().to_string();
    let mut browser = Browser::new(server);
    browser.first_login(name, &password).await;
    browser
}

/// Creates an app and walks a rule through the wizard to submission; returns the rule id
/// and revision.
async fn submitted_rule(browser: &mut Browser, app: &str, title: &str) -> (String, i64) {
    browser.page("/console/apps").await;
    let response = browser
        .post("/console/apps", &[("app_id", app), ("name", app)])
        .await;
    // Created, or there already (400), or not this user's to create (403).
    assert!(
        [
            StatusCode::SEE_OTHER,
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN
        ]
        .contains(&response.status()),
        "{}",
        response.status()
    );
    browser.page(&format!("/console/apps/{app}")).await;
    let started = browser
        .post(&format!("/console/apps/{app}/rules"), &[])
        .await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let step1 = started.headers()[LOCATION].to_str().unwrap().to_string();
    let base = step1.trim_end_matches("/step/1").to_string();
    let parts: Vec<&str> = base.split('/').collect();
    let (rule_id, rev) = (parts[5].to_string(), parts[7].parse::<i64>().unwrap());
    let steps: [&[(&str, &str)]; 7] = [
        &[("scene", "mobile_h5")],
        &[],
        &[
            ("page_title", title),
            ("name", title),
            ("description", title),
        ],
        &[("compare_source", "authority")],
        &[("identity_source", "api_or_ocr"), ("ocr_editable", "on")],
        &[
            ("liveness", "action"),
            ("actions", "1"),
            ("actions", "2"),
            ("action_count", "1"),
            ("sim_threshold", "70"),
            ("max_attempts", "3"),
        ],
        &[
            ("success_copy", title),
            ("failure_copy", title),
            ("redirect_url", ""),
        ],
    ];
    for (i, fields) in steps.iter().enumerate() {
        let step = i + 1;
        let (status, _) = browser.page(&format!("{base}/step/{step}")).await;
        assert_eq!(status, StatusCode::OK, "step {step}");
        let saved = browser.post(&format!("{base}/step/{step}"), fields).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "step {step}");
    }
    browser.page(&base).await;
    let submitted = browser.post(&format!("{base}/submit"), &[]).await;
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    (rule_id, rev)
}

#[tokio::test]
async fn every_console_route_refuses_without_a_session() {
    let server = Server::start().await;
    let anonymous = Browser::new(&server);
    let rule = &server.rule_id;
    let gets = [
        "/console/apps".to_string(),
        "/console/apps/tests".into(),
        format!("/console/apps/tests/rules/{rule}"),
        format!("/console/apps/tests/rules/{rule}/v/1"),
        format!("/console/apps/tests/rules/{rule}/v/1/step/1"),
        format!("/console/apps/tests/rules/{rule}/v/1/preview/consent"),
        format!("/console/apps/tests/rules/{rule}/v/1/documents/v1-doc1.pdf"),
        "/console/review".into(),
        "/console/users".into(),
        "/console/audit".into(),
        "/console/audit.csv".into(),
        "/console/apps/tests/statistics".into(),
        "/console/apps/tests/statistics.csv".into(),
        "/console/apps/tests/reconciliation".into(),
        "/console/apps/tests/reconciliation.csv".into(),
        "/console/password".into(),
        "/console/security".into(),
        "/console/sdk/verify_mpsdk.zip".into(),
    ];
    for path in &gets {
        let response = anonymous.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "GET {path}");
        assert_eq!(response.headers()[LOCATION], "/console/login", "GET {path}");
    }
    let posts = [
        "/console/apps".to_string(),
        "/console/logout".into(),
        "/console/password".into(),
        "/console/security".into(),
        "/console/apps/tests/keys".into(),
        format!("/console/apps/tests/keys/{}/disable", server.secret_id),
        format!("/console/apps/tests/keys/{}/rotate", server.secret_id),
        "/console/apps/tests/encryption-key".into(),
        "/console/apps/tests/rules".into(),
        format!("/console/apps/tests/rules/{rule}/edit"),
        format!("/console/apps/tests/rules/{rule}/v/1/step/1"),
        format!("/console/apps/tests/rules/{rule}/v/1/submit"),
        format!("/console/apps/tests/rules/{rule}/v/1/review"),
        "/console/users".into(),
        "/console/users/admin".into(),
        "/console/users/admin/reset".into(),
        "/console/apps/tests/prices".into(),
        "/console/apps/tests/legacy".into(),
        "/console/apps/tests/legacy/TIDA000000000000/disable".into(),
    ];
    for path in &posts {
        let response = anonymous
            .post_raw(
                path,
                &[("csrf", "x"), ("name", "n"), ("decision", "approve")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "POST {path}");
    }
    let keys = server.state.store().list_api_keys().await.unwrap();
    assert!(keys.iter().all(|k| k.enabled), "nothing was changed");
    server.stop().await;
}

#[tokio::test]
async fn forged_or_missing_csrf_tokens_and_other_origins_are_refused() {
    let server = Server::start().await;
    let mut admin = admin(&server).await;
    admin.page("/console/apps").await;
    let missing = admin
        .post_raw("/console/apps", &[("app_id", "forged"), ("name", "x")])
        .await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let forged = admin
        .post_raw(
            "/console/apps",
            &[
                ("csrf", "forged-token"),
                ("app_id", "forged"),
                ("name", "x"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let elsewhere = admin
        .http
        .post(format!("{}/console/apps", admin.base))
        .header(COOKIE, &admin.cookie)
        .header(ORIGIN, "https://evil.example")
        .form(&[
            ("csrf", admin.csrf.as_str()),
            ("app_id", "forged"),
            ("name", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
    assert!(server.state.store().app("forged").await.unwrap().is_none());
    let real = admin
        .post("/console/apps", &[("app_id", "forged"), ("name", "x")])
        .await;
    assert_eq!(real.status(), StatusCode::SEE_OTHER);
    assert!(server.state.store().app("forged").await.unwrap().is_some());

    // Signing out ends the session on the server, not only in the browser.
    let stale = admin.cookie.clone();
    assert_eq!(
        admin.post("/console/logout", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    admin.cookie = stale;
    assert_eq!(
        admin.get("/console/apps").await.status(),
        StatusCode::SEE_OTHER
    );
    server.stop().await;
}

#[tokio::test]
async fn an_operator_cannot_approve_rules_or_manage_users_and_nobody_reviews_their_own() {
    let server = Server::start().await;
    let mut admin = admin(&server).await;
    // Only an admin creates apps.
    admin.page("/console/apps").await;
    admin
        .post("/console/apps", &[("app_id", "shop"), ("name", "Shop")])
        .await;
    let mut operator = user(&server, &mut admin, "olga", "operator", "shop").await;
    let mut reviewer = user(&server, &mut admin, "rita", "reviewer", "*").await;
    let (rule_id, rev) = submitted_rule(&mut operator, "shop", "Shop sign-up").await;
    let review = format!("/console/apps/shop/rules/{rule_id}/v/{rev}/review");

    let (status, _) = operator.page("/console/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let created = operator
        .post(
            "/console/users",
            &[("username", "mallory"), ("role", "admin"), ("apps", "*")],
        )
        .await;
    assert_eq!(created.status(), StatusCode::FORBIDDEN);
    assert!(server
        .state
        .store()
        .console_user("mallory")
        .await
        .unwrap()
        .is_none());
    let (status, _) = operator.page("/console/review").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let approved = operator
        .post(&review, &[("decision", "approve"), ("note", "")])
        .await;
    assert_eq!(approved.status(), StatusCode::FORBIDDEN);
    let rule = server.state.store().rule(&rule_id).await.unwrap().unwrap();
    assert_eq!(rule.status, "draft", "still not serving");

    // The reviewer sees it in the queue; a rejection needs a reason.
    let (status, queue) = reviewer.page("/console/review").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(&format!("data-rule-id=\"{rule_id}\"")));
    reviewer
        .page(&format!("/console/apps/shop/rules/{rule_id}/v/{rev}"))
        .await;
    let no_reason = reviewer
        .post(&review, &[("decision", "reject"), ("note", "")])
        .await;
    assert_eq!(no_reason.status(), StatusCode::BAD_REQUEST);
    let ok = reviewer
        .post(&review, &[("decision", "approve"), ("note", "fine")])
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        server
            .state
            .store()
            .rule(&rule_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "approved"
    );

    // The admin may review, but not a version they wrote themselves.
    let (own_rule, own_rev) = submitted_rule(&mut admin, "shop", "Admin's own").await;
    admin.page("/console/review").await;
    let own = admin
        .post(
            &format!("/console/apps/shop/rules/{own_rule}/v/{own_rev}/review"),
            &[("decision", "approve"), ("note", "")],
        )
        .await;
    assert_eq!(own.status(), StatusCode::BAD_REQUEST);
    server.stop().await;
}

#[tokio::test]
async fn the_sixth_wrong_password_in_a_minute_is_throttled() {
    let server = Server::start().await;
    let password = Accounts::new(server.state.store().clone())
        .ensure_first_admin()
        .await
        .unwrap()
        .unwrap();
    let mut browser = Browser::new(&server);
    for attempt in 1..=5 {
        let response = browser.login("admin", "not the password").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let sixth = browser.login("admin", &password).await;
    assert_eq!(
        sixth.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits out the minute"
    );
    assert!(browser.cookie.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn xss_payloads_in_every_text_field_come_back_inert() {
    let server = Server::start().await;
    let mut admin = admin(&server).await;
    let payload = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
    admin.page("/console/apps").await;
    let created = admin
        .post("/console/apps", &[("app_id", "xss"), ("name", payload)])
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    admin.page("/console/apps/xss").await;
    let key = admin
        .post("/console/apps/xss/keys", &[("name", payload)])
        .await;
    assert_eq!(key.status(), StatusCode::OK);
    let (rule_id, rev) = submitted_rule(&mut admin, "xss", "<b>x</b>").await;
    let mut reviewer = user(&server, &mut admin, "rita", "reviewer", "xss").await;
    reviewer
        .page(&format!("/console/apps/xss/rules/{rule_id}/v/{rev}"))
        .await;
    reviewer
        .post(
            &format!("/console/apps/xss/rules/{rule_id}/v/{rev}/review"),
            &[("decision", "reject"), ("note", payload)],
        )
        .await;
    // A wizard step that refuses the input shows it back, escaped too.
    admin.page("/console/apps/xss").await;
    let edit = admin
        .post(&format!("/console/apps/xss/rules/{rule_id}/edit"), &[])
        .await;
    let next = edit.headers()[LOCATION]
        .to_str()
        .unwrap()
        .replace("/step/1", "/step/3");
    admin.page(&next).await;
    let refused = admin
        .post(
            &next,
            &[
                ("page_title", &payload.repeat(3)),
                ("name", payload),
                ("description", payload),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused_body = refused.text().await.unwrap();

    let mut pages = vec![refused_body];
    for path in [
        "/console/apps".to_string(),
        "/console/apps/xss".into(),
        format!("/console/apps/xss/rules/{rule_id}"),
        format!("/console/apps/xss/rules/{rule_id}/v/{rev}"),
        format!("/console/apps/xss/rules/{rule_id}/v/{rev}/preview/success"),
        "/console/audit".into(),
        "/console/users".into(),
    ] {
        let (status, body) = admin.page(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        pages.push(body);
    }
    for body in &pages {
        assert!(
            !body.contains("<script>alert"),
            "a raw script tag came back"
        );
        assert!(!body.contains("<img src=x"), "a raw img tag came back");
        assert!(!body.contains("<b>x</b>"), "raw markup came back");
    }
    let escaped = pages.iter().find_map(|b| {
        b.find("alert(1)")
            .map(|at| b[at.saturating_sub(20)..at + 12].to_string())
    });
    let escaped = escaped.expect("the payload is shown, as text");
    assert!(
        escaped.contains("&lt;script&gt;") || escaped.contains("&#60;script&#62;"),
        "{escaped}"
    );
    let csv = admin.get("/console/audit.csv").await.text().await.unwrap();
    assert!(csv.starts_with("id,at_ms,actor"));
    server.stop().await;
}

#[tokio::test]
async fn one_app_cannot_see_or_change_another_apps_anything() {
    let server = Server::start().await;
    let mut admin = admin(&server).await;
    for app in ["alpha", "beta"] {
        admin.page("/console/apps").await;
        admin
            .post("/console/apps", &[("app_id", app), ("name", app)])
            .await;
    }
    let (beta_rule, beta_rev) = submitted_rule(&mut admin, "beta", "Beta flow").await;
    admin.page("/console/apps/beta").await;
    let beta_key = admin
        .post("/console/apps/beta/keys", &[("name", "beta key")])
        .await;
    let body = beta_key.text().await.unwrap();
    let at = body.find("data-testid=\"key-secret-id\">").unwrap()
        + "data-testid=\"key-secret-id\">".len();
    let beta_secret = body[at..].split('<').next().unwrap().to_string();

    let mut alice = user(&server, &mut admin, "alice", "operator", "alpha").await;
    let (_, apps) = alice.page("/console/apps").await;
    assert!(apps.contains("data-app=\"alpha\"") && !apps.contains("data-app=\"beta\""));
    let base = format!("/console/apps/beta/rules/{beta_rule}/v/{beta_rev}");
    for path in [
        "/console/apps/beta".to_string(),
        format!("/console/apps/beta/rules/{beta_rule}"),
        base.clone(),
        format!("{base}/step/3"),
        format!("{base}/preview/consent"),
        // The same rule through the app alice may use: ids do not cross apps.
        format!("/console/apps/alpha/rules/{beta_rule}"),
        format!("/console/apps/alpha/rules/{beta_rule}/v/{beta_rev}"),
    ] {
        let (status, body) = alice.page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
        assert!(!body.contains("Beta flow"), "GET {path} leaked");
    }
    for (path, fields) in [
        ("/console/apps/beta/keys".to_string(), vec![("name", "x")]),
        (
            format!("/console/apps/beta/keys/{beta_secret}/disable"),
            vec![],
        ),
        (
            format!("/console/apps/alpha/keys/{beta_secret}/disable"),
            vec![],
        ),
        (
            format!("/console/apps/alpha/keys/{beta_secret}/rotate"),
            vec![],
        ),
        (
            format!("/console/apps/alpha/keys/{beta_secret}/ips"),
            vec![("allowed_ips", "10.0.0.1")],
        ),
        ("/console/apps/beta/encryption-key".into(), vec![]),
        ("/console/apps/beta/rules".into(), vec![]),
        (format!("/console/apps/beta/rules/{beta_rule}/edit"), vec![]),
        (
            format!("/console/apps/alpha/rules/{beta_rule}/edit"),
            vec![],
        ),
        (
            format!("{base}/step/3"),
            vec![("page_title", "pwned"), ("name", "pwned")],
        ),
        (format!("{base}/submit"), vec![]),
    ] {
        let response = alice.post(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    // Guessing: every rule id the counter has handed out, through alice's own app.
    for guess in 1..=6 {
        let (status, _) = alice
            .page(&format!("/console/apps/alpha/rules/{guess}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "rule {guess}");
    }
    let key = server
        .state
        .store()
        .api_key(&beta_secret)
        .await
        .unwrap()
        .unwrap();
    assert!(
        key.enabled && key.allowed_ips.is_empty(),
        "beta's key is untouched"
    );
    assert_eq!(
        server
            .state
            .store()
            .list_api_keys_of("beta")
            .await
            .unwrap()
            .len(),
        1
    );
    // alice's audit view holds nothing of beta's.
    let mut auditor = user(&server, &mut admin, "audrey", "auditor", "alpha").await;
    let (_, log) = auditor.page("/console/audit").await;
    assert!(!log.contains(&beta_secret) && !log.contains(">beta<"));
    server.stop().await;
}

#[tokio::test]
async fn only_an_approved_rule_issues_tokens_and_an_edit_waits_for_review_while_the_old_serves() {
    let server = Server::start().await;
    let mut admin = admin(&server).await;
    let (rule_id, rev) = submitted_rule(&mut admin, "tests", "First version").await;
    let sdk = server.sdk();
    let refused = sdk
        .call("DetectAuth", &json!({"RuleId": rule_id}))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        Some("InvalidParameterValue.RuleIdNotExist"),
        "{refused}"
    );
    let mut reviewer = user(&server, &mut admin, "rita", "reviewer", "tests").await;
    reviewer
        .page(&format!("/console/apps/tests/rules/{rule_id}/v/{rev}"))
        .await;
    reviewer
        .post(
            &format!("/console/apps/tests/rules/{rule_id}/v/{rev}/review"),
            &[("decision", "approve"), ("note", "ok")],
        )
        .await;
    let issued = sdk
        .call("DetectAuth", &json!({"RuleId": rule_id}))
        .await
        .unwrap();
    assert!(issued["BizToken"].is_string(), "{issued}");

    // A second version, submitted but not yet reviewed: the first one keeps serving.
    admin
        .page(&format!("/console/apps/tests/rules/{rule_id}"))
        .await;
    let edit = admin
        .post(&format!("/console/apps/tests/rules/{rule_id}/edit"), &[])
        .await;
    let step3 = edit.headers()[LOCATION]
        .to_str()
        .unwrap()
        .replace("/step/1", "/step/3");
    admin.page(&step3).await;
    admin
        .post(
            &step3,
            &[
                ("page_title", "Second"),
                ("name", "Second version"),
                ("description", ""),
            ],
        )
        .await;
    let base = step3.trim_end_matches("/step/3").to_string();
    admin.page(&base).await;
    assert_eq!(
        admin.post(&format!("{base}/submit"), &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let serving = server.state.rule(&rule_id).await.unwrap().unwrap();
    assert_eq!(serving.config.name, "First version");
    let still = sdk
        .call("DetectAuth", &json!({"RuleId": rule_id}))
        .await
        .unwrap();
    assert!(still["BizToken"].is_string());
    server.stop().await;
}

#[tokio::test]
async fn a_tampered_audit_chain_is_detected_in_the_console() {
    let server = Server::start().await;
    let mut admin = admin(&server).await;
    let (status, log) = admin.page("/console/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(log.contains("data-state=\"intact\""), "{log}");
    let database = format!("sqlite://{}", server.data_dir.join("heshen.db").display());
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&database)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE id = 2")
        .execute(&mut db)
        .await
        .unwrap();
    let (_, log) = admin.page("/console/audit").await;
    assert!(log.contains("data-state=\"broken\""), "{log}");
    assert!(log.contains("#2"));
    server.stop().await;
}

#[tokio::test]
async fn an_eid_merchant_applied_for_in_the_console_serves_only_once_approved() {
    let server = Server::start().await;
    let mut admin = admin(&server).await;
    admin.page("/console/apps/tests").await;
    let applied = admin
        .post(
            "/console/apps/tests/merchants",
            &[
                ("name", "Ticket office"),
                ("liveness", "silent"),
                ("max_attempts", "2"),
                ("sim_threshold", "75"),
                ("return_identity", "on"),
            ],
        )
        .await;
    assert_eq!(applied.status(), StatusCode::SEE_OTHER);
    let page = applied.headers()[LOCATION].to_str().unwrap().to_string();
    let merchant_id = page.rsplit('/').next().unwrap().to_string();
    let sdk = server.sdk();
    let refused = sdk
        .call("GetEidToken", &json!({"MerchantId": merchant_id}))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some("UnauthorizedOperation"), "{refused}");
    let (_, body) = admin.page(&page).await;
    assert!(
        !body.contains("data-testid=\"review-form\""),
        "no reviewing one's own application"
    );
    let key = admin.post(&format!("{page}/key"), &[]).await;
    assert_eq!(
        key.status(),
        StatusCode::BAD_REQUEST,
        "no key before approval"
    );

    let mut reviewer = user(&server, &mut admin, "rita", "reviewer", "tests").await;
    let (_, queue) = reviewer.page("/console/review").await;
    assert!(queue.contains(&format!("/console/apps/tests/merchants/{merchant_id}")));
    let (_, body) = reviewer.page(&page).await;
    assert!(body.contains("data-testid=\"review-form\""));
    let decided = reviewer
        .post(
            &format!("{page}/v/1/review"),
            &[("decision", "approve"), ("note", "licence seen")],
        )
        .await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    let token = sdk
        .call("GetEidToken", &json!({"MerchantId": merchant_id}))
        .await
        .unwrap();
    assert!(token["EidToken"].is_string(), "{token}");
    let served = server.state.merchant(&merchant_id).await.unwrap().unwrap();
    assert_eq!(served.config.max_attempts, 2);

    admin.page(&page).await;
    let key = admin.post(&format!("{page}/key"), &[]).await;
    assert_eq!(key.status(), StatusCode::OK);
    assert!(key
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"merchant-key\""));

    // Another app's operator cannot see it.
    admin.page("/console/apps").await;
    admin
        .post("/console/apps", &[("app_id", "other-shop"), ("name", "x")])
        .await;
    let mut outsider = user(&server, &mut admin, "otto", "operator", "other-shop").await;
    for path in [
        page.clone(),
        format!("/console/apps/other-shop/merchants/{merchant_id}"),
    ] {
        let (status, _) = outsider.page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let probe = outsider
        .post(
            &format!("/console/apps/other-shop/merchants/{merchant_id}/key"),
            &[],
        )
        .await;
    assert_eq!(probe.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn records_are_searched_opened_with_their_media_kept_to_their_app_and_erased_on_demand() {
    use heshen_core::flow::FlowKind;
    let server = Server::start().await;
    let sdk = server.sdk();
    let issue = || async {
        sdk.call(
            "DetectAuth",
            &json!({"RuleId": server.rule_id, "IdCard": common::ID_CARD, "Name": common::NAME}),
        )
        .await
        .unwrap()["BizToken"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let passed = issue().await;
    let open = issue().await;
    common::finish_flow(&server.state, &passed, FlowKind::Detect).await;

    let mut admin = admin(&server).await;
    let (status, list) = admin
        .page("/console/apps/tests/records?result=passed")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("data-token=\"{passed}\"")));
    assert!(
        !list.contains(&format!("data-token=\"{open}\"")),
        "the unfinished one is not passed"
    );
    let (_, list) = admin
        .page("/console/apps/tests/records?result=unfinished")
        .await;
    assert!(list.contains(&format!("data-token=\"{open}\"")));
    let (_, list) = admin
        .page(&format!("/console/apps/tests/records?token={open}"))
        .await;
    assert!(list.contains(&format!("data-token=\"{open}\"")) && !list.contains(&passed));

    let record = format!("/console/apps/tests/records/{passed}");
    let (status, body) = admin.page(&record).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(common::NAME) && body.contains("93.47"),
        "identity and Sim shown"
    );
    assert!(body.contains("best_frame.jpg"));
    assert!(
        body.contains("data-check=\"nonplanar_motion\" data-passed=\"1\"")
            && body.contains("0.0171")
            && body.contains("≥ 0.013"),
        "the liveness checks are shown with their bounds"
    );
    let frame = admin.get(&format!("{record}/media/best_frame.jpg")).await;
    assert_eq!(frame.status(), StatusCode::OK);
    assert_eq!(frame.bytes().await.unwrap().as_ref(), common::BEST_FRAME);
    let unnamed = admin.get(&format!("{record}/media/master.key")).await;
    assert_eq!(
        unnamed.status(),
        StatusCode::NOT_FOUND,
        "only the record's own media"
    );

    // Another app sees none of it, by any path.
    admin.page("/console/apps").await;
    admin
        .post("/console/apps", &[("app_id", "elsewhere"), ("name", "x")])
        .await;
    let mut outsider = user(&server, &mut admin, "otto", "operator", "elsewhere").await;
    for path in [
        "/console/apps/tests/records".to_string(),
        record.clone(),
        format!("/console/apps/elsewhere/records/{passed}"),
        format!("/console/apps/elsewhere/records/{passed}/media/best_frame.jpg"),
    ] {
        let (status, body) = outsider.page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains(common::NAME));
    }
    let (_, theirs) = outsider.page("/console/apps/elsewhere/records").await;
    assert!(!theirs.contains(&passed));
    let erase = outsider
        .post(
            &format!("/console/apps/elsewhere/records/{passed}/erase"),
            &[],
        )
        .await;
    assert_eq!(erase.status(), StatusCode::NOT_FOUND);
    // A reviewer may read records but not erase them.
    let mut reviewer = user(&server, &mut admin, "rita", "reviewer", "tests").await;
    reviewer.page(&record).await;
    let refused = reviewer.post(&format!("{record}/erase"), &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(server.state.store().flow(&passed).await.unwrap().is_some());

    admin.page(&record).await;
    let erased = admin.post(&format!("{record}/erase"), &[]).await;
    assert_eq!(erased.status(), StatusCode::SEE_OTHER);
    assert!(server.state.store().flow(&passed).await.unwrap().is_none());
    assert!(server
        .state
        .store()
        .get_media(&passed, "best_frame.jpg")
        .await
        .unwrap()
        .is_none());
    let (status, _) = admin.page(&record).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, log) = admin.page("/console/audit").await;
    assert!(
        log.contains("data-action=\"records.erase\"")
            && log.contains("data-action=\"records.open\"")
    );
    assert!(
        server.state.store().flow(&open).await.unwrap().is_some(),
        "the other record stays"
    );
    server.stop().await;
}

#[tokio::test]
async fn statistics_and_reconciliation_follow_the_flows_priced_by_source_and_outlive_the_purge() {
    use heshen_core::flow::FlowKind;
    let server = Server::start().await;
    let sdk = server.sdk();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let issued = sdk
            .call(
                "DetectAuth",
                &json!({"RuleId": server.rule_id, "IdCard": common::ID_CARD, "Name": common::NAME}),
            )
            .await
            .unwrap();
        tokens.push(issued["BizToken"].as_str().unwrap().to_string());
    }
    common::finish_flow(&server.state, &tokens[0], FlowKind::Detect).await;
    common::start_flow(&server.state, &tokens[1], FlowKind::Detect).await;
    common::start_flow(&server.state, &tokens[1], FlowKind::Detect).await;

    let mut admin = admin(&server).await;
    let figure = |body: &str, id: &str| {
        let marker = format!("data-testid=\"{id}\">");
        let at = body.find(&marker).unwrap_or_else(|| panic!("{id} missing")) + marker.len();
        body[at..].split('<').next().unwrap().to_string()
    };
    let (status, page) = admin.page("/console/apps/tests/statistics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(figure(&page, "stats-issued"), "3");
    assert_eq!(figure(&page, "stats-finished"), "1");
    assert_eq!(figure(&page, "stats-passed"), "1");
    assert!(page.contains("<svg"), "the charts are drawn on the server");
    assert!(
        page.contains("打开链接</td><td class=\"num\">2</td>"),
        "two flows were opened, the reload counts once"
    );
    assert!(page.contains(&format!("data-rule=\"{}\"", server.rule_id)));
    let csv = admin.get("/console/apps/tests/statistics.csv").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("date,rule_id,issued,page_opened"), "{csv}");
    assert!(
        csv.contains(&format!("\"{}\",\"3\",\"2\"", server.rule_id)),
        "{csv}"
    );

    admin.page("/console/apps/tests/reconciliation").await;
    let refused = admin
        .post(
            "/console/apps/tests/prices",
            &[("authority", "abc"), ("photo", "1"), ("none", "0")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let saved = admin
        .post(
            "/console/apps/tests/prices",
            &[("authority", "1.5"), ("photo", "1.00"), ("none", "0.30")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let (_, recon) = admin.page("/console/apps/tests/reconciliation").await;
    assert_eq!(figure(&recon, "recon-billed"), "1");
    assert_eq!(figure(&recon, "recon-amount"), "1.50");
    assert!(recon.contains(&format!("data-token=\"{}\"", tokens[0])));
    assert!(
        !recon.contains(common::ID_CARD) && !recon.contains(common::NAME),
        "reconciliation shows masked identities only"
    );
    let csv = admin
        .get("/console/apps/tests/reconciliation.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(&tokens[0]) && csv.contains("\"1.50\""),
        "{csv}"
    );

    // Past the 3-day retention the flows go; their counts and bills stay.
    let later = server.state.clock().now_ms() + 10 * 24 * 3600 * 1000;
    let purged = server.state.store().purge(later).await.unwrap();
    assert_eq!(purged.flows, 3);
    assert_eq!(purged.bills, 0);
    assert!(server
        .state
        .store()
        .flow(&tokens[0])
        .await
        .unwrap()
        .is_none());
    let (_, recon) = admin.page("/console/apps/tests/reconciliation").await;
    assert_eq!(figure(&recon, "recon-amount"), "1.50");
    let (_, page) = admin.page("/console/apps/tests/statistics").await;
    assert_eq!(figure(&page, "stats-issued"), "3");
    let bills = sdk
        .call(
            "GetWeChatBillDetails",
            &json!({"Date": heshen_core::stats::format_day(heshen_core::stats::beijing_day(server.state.clock().now_ms())), "Cursor": 0}),
        )
        .await
        .unwrap();
    assert_eq!(
        bills["WeChatBillDetails"].as_array().unwrap().len(),
        3,
        "{bills}"
    );

    // Another app's operator sees none of it; a reviewer reads but cannot price.
    admin.page("/console/apps").await;
    admin
        .post("/console/apps", &[("app_id", "elsewhere"), ("name", "x")])
        .await;
    let mut outsider = user(&server, &mut admin, "otto", "operator", "elsewhere").await;
    for path in [
        "/console/apps/tests/statistics",
        "/console/apps/tests/statistics.csv",
        "/console/apps/tests/reconciliation",
        "/console/apps/tests/reconciliation.csv",
    ] {
        let (status, body) = outsider.page(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains(&tokens[0]));
    }
    let (_, theirs) = outsider.page("/console/apps/elsewhere/statistics").await;
    assert_eq!(figure(&theirs, "stats-issued"), "0");
    let probe = outsider
        .post(
            "/console/apps/tests/prices",
            &[("authority", "0"), ("photo", "0"), ("none", "0")],
        )
        .await;
    assert_eq!(probe.status(), StatusCode::NOT_FOUND);
    let mut reviewer = user(&server, &mut admin, "rita", "reviewer", "tests").await;
    let (status, recon) = reviewer.page("/console/apps/tests/reconciliation").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!recon.contains("data-testid=\"recon-prices\""));
    let refused = reviewer
        .post(
            "/console/apps/tests/prices",
            &[("authority", "0"), ("photo", "0"), ("none", "0")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let prices = server.state.store().prices("tests").await.unwrap();
    assert_eq!(prices.get("authority"), Some(&150));
    server.stop().await;
}

#[tokio::test]
async fn legacy_appids_are_created_with_their_secret_shown_once_and_disabled_like_keys() {
    let server = Server::start().await;
    let mut admin = admin(&server).await;
    let (_, app_page) = admin.page("/console/apps/tests").await;
    assert!(app_page.contains("data-testid=\"legacy-empty\""));
    let created = admin
        .post(
            "/console/apps/tests/legacy",
            &[
                ("name", "Old mini"),
                ("identity_source", "manual"),
                ("liveness", "silent"),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let shown = created.text().await.unwrap();
    let value_of = |testid: &str| {
        shown
            .split(&format!("data-testid=\"{testid}\""))
            .nth(1)
            .and_then(|rest| rest.split('>').nth(1))
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_else(|| panic!("{testid} not on the page"))
            .to_string()
    };
    let app_id = value_of("legacy-app-id");
    let secret = value_of("legacy-secret-key");
    assert!(app_id.starts_with("TIDA"), "{app_id}");
    assert_eq!(
        secret,
        heshen_service::legacy::secret_key(server.state.keys(), &app_id)
    );
    let (_, app_page) = admin.page("/console/apps/tests").await;
    assert!(app_page.contains(&app_id));
    assert!(!app_page.contains(&secret), "the secret is shown once");
    let stored = server
        .state
        .store()
        .legacy_app(&app_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.config["identity_source"], "manual");
    assert_eq!(stored.config["liveness"], "silent");

    let bad = admin
        .post(
            "/console/apps/tests/legacy",
            &[
                ("name", "x"),
                ("identity_source", "telepathy"),
                ("liveness", "silent"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let mut reviewer = user(&server, &mut admin, "rex", "reviewer", "tests").await;
    reviewer.page("/console/apps/tests").await;
    let refused = reviewer
        .post(&format!("/console/apps/tests/legacy/{app_id}/disable"), &[])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    admin.page("/console/apps/tests").await;
    let disabled = admin
        .post(&format!("/console/apps/tests/legacy/{app_id}/disable"), &[])
        .await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    let stored = server
        .state
        .store()
        .legacy_app(&app_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "disabled");
    let missing = admin
        .post("/console/apps/tests/legacy/TIDANOSUCH/disable", &[])
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let audit = server
        .state
        .store()
        .list_audit(100, &heshen_store::AuditFilter::default())
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "legacy.create" && e.target == app_id));
    assert!(audit
        .iter()
        .any(|e| e.action == "legacy.disable" && e.target == app_id));
    server.stop().await;
}

/// A decision on a record with no note; the answer's status.
async fn decide(browser: &Browser, record: &str, decision: &str) -> StatusCode {
    browser
        .post(&format!("{record}/review"), &[("decision", decision)])
        .await
        .status()
}

#[tokio::test]
async fn a_rule_that_asks_for_manual_review_gets_one_decision_per_finished_record() {
    use heshen_core::flow::FlowKind;
    use heshen_core::rule::RuleConfig;
    let server = Server::start().await;
    let reviewed_rule = heshen::bootstrap::create_rule(
        server.state.store(),
        common::APP,
        &RuleConfig {
            manual_review: true,
            ..RuleConfig::default()
        },
    )
    .await
    .unwrap();
    let sdk = server.sdk();
    let issue = |rule: String| {
        let sdk = sdk.clone();
        async move {
            sdk.call(
                "DetectAuth",
                &json!({"RuleId": rule, "IdCard": common::ID_CARD, "Name": common::NAME}),
            )
            .await
            .unwrap()["BizToken"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let finished = issue(reviewed_rule.clone()).await;
    let unfinished = issue(reviewed_rule.clone()).await;
    let unasked = issue(server.rule_id.clone()).await;
    common::finish_flow(&server.state, &finished, FlowKind::Detect).await;
    common::finish_flow(&server.state, &unasked, FlowKind::Detect).await;
    let record = |token: &str| format!("/console/apps/tests/records/{token}");

    let mut admin = admin(&server).await;
    let mut operator = user(&server, &mut admin, "olga", "operator", "tests").await;
    let (_, body) = operator.page(&record(&finished)).await;
    assert!(body.contains("data-testid=\"record-review-awaiting\""));
    assert!(
        !body.contains("record-review-form"),
        "operators do not review"
    );
    assert_eq!(
        decide(&operator, &record(&finished), "approve").await,
        StatusCode::FORBIDDEN
    );

    let mut reviewer = user(&server, &mut admin, "rosa", "reviewer", "tests").await;
    let (_, body) = reviewer.page(&record(&unasked)).await;
    assert!(
        !body.contains("record-review"),
        "a rule that asks nothing shows nothing"
    );
    let (_, body) = reviewer.page(&record(&unfinished)).await;
    assert!(
        !body.contains("record-review-form"),
        "nothing to decide before the end"
    );
    assert_eq!(
        decide(&reviewer, &record(&unfinished), "approve").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        decide(&reviewer, &record(&unasked), "approve").await,
        StatusCode::BAD_REQUEST
    );

    let (_, body) = reviewer.page(&record(&finished)).await;
    assert!(body.contains("data-testid=\"record-review-form\""));
    let decided = reviewer
        .post(
            &format!("{}/review", record(&finished)),
            &[("decision", "reject"), ("note", "the face is half hidden")],
        )
        .await;
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    let (_, body) = reviewer.page(&record(&finished)).await;
    assert!(body.contains("data-testid=\"record-review-status\""));
    assert!(body.contains("the face is half hidden") && body.contains("rosa"));
    assert!(!body.contains("record-review-form"), "one decision");
    assert_eq!(
        decide(&reviewer, &record(&finished), "approve").await,
        StatusCode::BAD_REQUEST
    );
    let stored = heshen_service::flows::load(&server.state, &finished, FlowKind::Detect)
        .await
        .unwrap()
        .unwrap();
    let review = stored.flow.review.unwrap();
    assert!(!review.approved);
    assert_eq!(review.by, "rosa");
    let audit = server
        .state
        .store()
        .list_audit(100, &heshen_store::AuditFilter::default())
        .await
        .unwrap();
    assert!(audit
        .iter()
        .any(|e| e.action == "records.review_reject" && e.target == finished));
    server.stop().await;
}
