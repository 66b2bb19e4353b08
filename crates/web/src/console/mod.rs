//! The operators' console at `/console`: sign-in, apps and their API keys, business flows
//! (RuleId) through the wizard and review, users, and the audit log. Pages are rendered on
//! the server like the H5 flow's; every decision (who may do what, in which app) is made by
//! `heshen_service::console` and `heshen_service::manage`, never here.
//!
//! A session is an HttpOnly, Secure, SameSite=Strict `__Host-` cookie whose SHA-256 is
//! stored; every POST carries the session's CSRF token in its form and must come from this
//! origin.

mod access;
mod apps;
mod audit_pages;
mod charts;
mod legacy;
mod merchants;
mod records;
mod reports;
mod rules;
mod users;
mod views;
pub mod words;

use crate::i18n::{self, Lang};
use crate::Web;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use heshen_service::ServiceError;
use words::Words;

pub use access::{CsrfForm, Ctx};

/// The session cookie. `__Host-` makes the browser refuse it unless it is Secure, for this
/// host only, on every path.
pub const SESSION_COOKIE: &str = "__Host-heshen_console";

/// Largest qualification document.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024 * 1024;

pub fn router(web: Web) -> Router {
    Router::new()
        .route("/console", get(access::home))
        .route("/console/", get(access::home))
        .route("/console/assets/{file}", get(crate::assets::serve))
        .route(
            "/console/login",
            get(access::login_page).post(access::login_submit),
        )
        .route("/console/logout", post(access::logout))
        .route(
            "/console/password",
            get(access::password_page).post(access::password_submit),
        )
        .route(
            "/console/security",
            get(access::security_page).post(access::security_submit),
        )
        .route("/console/apps", get(apps::list).post(apps::create))
        .route("/console/apps/{app}", get(apps::overview))
        .route("/console/apps/{app}/keys", post(apps::create_key))
        .route(
            "/console/apps/{app}/keys/{secret_id}/{operation}",
            post(apps::key_operation),
        )
        .route(
            "/console/apps/{app}/encryption-key",
            post(apps::encryption_key),
        )
        .route("/console/apps/{app}/rules", post(rules::start))
        .route("/console/apps/{app}/rules/{rule}", get(rules::detail))
        .route("/console/apps/{app}/rules/{rule}/edit", post(rules::edit))
        .route(
            "/console/apps/{app}/rules/{rule}/v/{rev}/step/{step}",
            get(rules::step_page).post(rules::step_submit),
        )
        .route(
            "/console/apps/{app}/rules/{rule}/v/{rev}/documents",
            post(rules::upload_document)
                .layer(DefaultBodyLimit::max(MAX_DOCUMENT_BYTES + 64 * 1024)),
        )
        .route(
            "/console/apps/{app}/rules/{rule}/v/{rev}/documents/{name}",
            get(rules::document),
        )
        .route(
            "/console/apps/{app}/rules/{rule}/v/{rev}/preview/{page}",
            get(rules::preview),
        )
        .route(
            "/console/apps/{app}/rules/{rule}/v/{rev}",
            get(rules::revision_page),
        )
        .route(
            "/console/apps/{app}/rules/{rule}/v/{rev}/submit",
            post(rules::submit),
        )
        .route(
            "/console/apps/{app}/rules/{rule}/v/{rev}/review",
            post(rules::review),
        )
        .route("/console/apps/{app}/legacy", post(legacy::create))
        .route(
            "/console/apps/{app}/legacy/{legacy}/disable",
            post(legacy::disable),
        )
        .route("/console/apps/{app}/merchants", post(merchants::apply))
        .route(
            "/console/apps/{app}/merchants/{merchant}",
            get(merchants::detail),
        )
        .route(
            "/console/apps/{app}/merchants/{merchant}/v/{rev}/review",
            post(merchants::review),
        )
        .route(
            "/console/apps/{app}/merchants/{merchant}/key",
            post(merchants::key),
        )
        .route("/console/apps/{app}/records", get(records::list))
        .route("/console/apps/{app}/records/{token}", get(records::detail))
        .route(
            "/console/apps/{app}/records/{token}/review",
            post(records::review),
        )
        .route(
            "/console/apps/{app}/records/{token}/media/{name}",
            get(records::media),
        )
        .route(
            "/console/apps/{app}/records/{token}/erase",
            post(records::erase),
        )
        .route("/console/apps/{app}/statistics", get(reports::statistics))
        .route(
            "/console/apps/{app}/statistics.csv",
            get(reports::statistics_csv),
        )
        .route(
            "/console/apps/{app}/reconciliation",
            get(reports::reconciliation),
        )
        .route(
            "/console/apps/{app}/reconciliation.csv",
            get(reports::reconciliation_csv),
        )
        .route("/console/apps/{app}/prices", post(reports::set_prices))
        .route("/console/sdk/{file}", get(sdk_package))
        .route("/console/review", get(rules::queue))
        .route("/console/users", get(users::list).post(users::create))
        .route("/console/users/{name}", post(users::update))
        .route("/console/users/{name}/reset", post(users::reset))
        .route("/console/audit", get(audit_pages::log))
        .route("/console/audit.csv", get(audit_pages::export))
        .route("/console/{*rest}", get(access::not_found))
        .layer(axum::middleware::from_fn(access::remember_lang))
        .with_state(web)
}

/// A rendered console page with the headers every console page carries.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            secure_headers(headers, "'none'");
            response
        }
        Err(err) => {
            tracing::error!(%err, "a console page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "page unavailable").into_response()
        }
    }
}

pub(crate) fn secure_headers(headers: &mut axum::http::HeaderMap, ancestors: &str) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let policy = format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         frame-src 'self'; frame-ancestors {ancestors}; base-uri 'none'; form-action 'self'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// One CSV field, quoted, with a leading formula character defused (a spreadsheet would
/// run `=…`).
pub(crate) fn csv_field(raw: &str) -> String {
    let defused = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{raw}")
    } else {
        raw.to_string()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

/// A result code with what it means: FaceID's own message, or the console's word for a pass
/// and for a flow not finished.
pub(crate) fn result_label(w: &Words, code: Option<i64>) -> String {
    match code {
        None => w.result_unfinished.to_string(),
        Some(0) => format!("0 · {}", w.result_passed),
        Some(code) => format!("{code} · {}", heshen_core::codes::lookup(code).message),
    }
}

/// A CSV download: UTF-8, never cached.
pub(crate) fn csv_response(body: String, filename: &str) -> Response {
    download(body.into_bytes(), "text/csv; charset=utf-8", filename)
}

/// A file to save, never cached.
fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = format!("attachment; filename=\"{}\"", filename.replace('"', ""));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /console/sdk/{package}.zip`: a mini-program package of `sdk/miniprogram`, the
/// verification mini-program's configuration pointing at this server.
pub async fn sdk_package(
    State(web): State<Web>,
    ctx: access::Ctx,
    Path(file): Path<String>,
) -> Response {
    let zipped = file
        .strip_suffix(".zip")
        .and_then(|package| crate::packages::zip(package, &web.state.config().public_url));
    match zipped {
        Some(bytes) => download(bytes, "application/zip", &file),
        None => ctx.fail(ServiceError::NotFound),
    }
}

/// See other (303): after a POST the browser GETs the answer.
pub fn see(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// The page for an error the service raised, in the console's own words.
pub fn problem(lang: Lang, err: &ServiceError) -> Response {
    let w = Words::of(lang);
    let (status, message) = match err {
        ServiceError::Forbidden => (StatusCode::FORBIDDEN, w.forbidden.to_string()),
        ServiceError::NotFound => (StatusCode::NOT_FOUND, w.not_found.to_string()),
        ServiceError::Invalid(why) => (StatusCode::BAD_REQUEST, why.clone()),
        other => {
            tracing::error!(err = %other, "a console page failed");
            (StatusCode::SERVICE_UNAVAILABLE, w.server_error.to_string())
        }
    };
    problem_page(lang, status, message)
}

pub fn problem_page(lang: Lang, status: StatusCode, message: String) -> Response {
    render(
        status,
        &views::Problem {
            f: views::Frame::bare(lang, Words::of(lang).console, "/console"),
            message,
        },
    )
}

/// The language of a console request (`?lang=`, then the cookie, then the browser).
pub fn lang_of(query: Option<&str>, headers: &axum::http::HeaderMap) -> Lang {
    i18n::Lang::negotiate(query, headers)
}
