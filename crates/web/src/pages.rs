//! The page templates (askama: compiled into the binary, escaped by default).

use crate::i18n::{Lang, Texts};
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// What every page shows around its content: language, title, the switch, the step.
pub struct Chrome {
    pub lang: &'static str,
    pub other_lang: &'static str,
    pub t: &'static Texts,
    pub title: String,
    pub switch_href: String,
    /// 1-based step of the flow, 0 for pages outside it.
    pub step: usize,
    /// The one other site allowed to frame the page (the overlay mode's integrator).
    pub framed_by: Option<String>,
}

impl Chrome {
    /// `here` is the page's own path; the switch reloads it in the other language.
    pub fn new(lang: Lang, title: &str, here: &str, step: usize) -> Self {
        let sep = if here.contains('?') { '&' } else { '?' };
        Self {
            lang: lang.code(),
            other_lang: lang.other().code(),
            t: lang.texts(),
            title: title.to_string(),
            switch_href: format!("{here}{sep}lang={}", lang.other().code()),
            step,
            framed_by: None,
        }
    }

    pub fn framed_by(mut self, origin: Option<String>) -> Self {
        self.framed_by = origin;
        self
    }
}

/// A page with its chrome, so the response headers can follow what the page allows.
pub trait Page: Template {
    fn chrome(&self) -> &Chrome;
}

macro_rules! pages {
    ($($page:ty),*) => { $(impl Page for $page { fn chrome(&self) -> &Chrome { &self.c } })* };
}
pages!(
    Consent,
    Doc,
    IdentityPage,
    Liveness,
    Processing,
    ResultPage,
    Problem,
    Left,
    MiniProgramReturn
);

#[derive(Template)]
#[template(path = "consent.html")]
pub struct Consent {
    pub c: Chrome,
    pub base: String,
    pub missing: bool,
    /// An eID flow also shows the eID service terms.
    pub eid: bool,
}

#[derive(Template)]
#[template(path = "doc.html")]
pub struct Doc {
    pub c: Chrome,
    pub base: String,
    pub heading: &'static str,
    pub paragraphs: &'static [&'static str],
}

#[derive(Template)]
#[template(path = "identity.html")]
pub struct IdentityPage {
    pub c: Chrome,
    pub base: String,
    pub name: String,
    pub id_card: String,
    pub readonly: bool,
    pub error: &'static str,
}

#[derive(Template)]
#[template(path = "liveness.html")]
pub struct Liveness {
    pub c: Chrome,
    pub base: String,
    pub nonce: String,
    pub intro: &'static str,
    /// `action`, `digits` or `silent`.
    pub kind: &'static str,
    pub actions: String,
    /// The prompt of each action, `|`-separated, in order.
    pub prompts: String,
    pub digits: String,
    pub seconds: u32,
    /// For colour flash: the CSS colours in order, `|`-separated, each shown `colour_ms`.
    pub colours: String,
    pub colour_ms: u32,
    /// When the first colour is shown, ms after the recording starts.
    pub lead_in_ms: u32,
    pub attempts_left: u8,
    /// The recording goes up in parts of this size, so a broken upload resumes.
    pub part_bytes: usize,
    pub allow_upload: bool,
}

#[derive(Template)]
#[template(path = "left.html")]
pub struct Left {
    pub c: Chrome,
    /// Back to the integrator, with the token, when DetectAuth named a RedirectUrl.
    pub back: Option<String>,
}

#[derive(Template)]
#[template(path = "processing.html")]
pub struct Processing {
    pub c: Chrome,
    pub base: String,
}

#[derive(Template)]
#[template(path = "result.html")]
pub struct ResultPage {
    pub c: Chrome,
    pub base: String,
    pub code: i64,
    pub passed: bool,
    pub message: String,
    pub can_retry: bool,
    pub finished: bool,
    pub has_redirect: bool,
    /// Where the overlay tells the end (empty: not framed).
    pub parent_origin: String,
    pub token: String,
}

#[derive(Template)]
#[template(path = "problem.html")]
pub struct Problem {
    pub c: Chrome,
    pub code: String,
    pub message: &'static str,
}

/// A rendered page with the headers every page carries: no caching of personal pages,
/// no framing by other sites, nothing loaded from elsewhere.
pub fn html(status: StatusCode, page: &impl Page) -> Response {
    let ancestors = match &page.chrome().framed_by {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_string(),
    };
    let policy = format!(
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors {ancestors}; base-uri 'none'; form-action 'self'"
    );
    match page.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(value) = HeaderValue::from_str(&policy) {
                headers.insert(header::CONTENT_SECURITY_POLICY, value);
            }
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            // The token is in the path: no other site may see it in a Referer. (`no-referrer`
            // would also make the browser send `Origin: null` on the pages' own forms.)
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            response
        }
        Err(err) => {
            tracing::error!(%err, "a page failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "page unavailable").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "mp_return.html")]
pub struct MiniProgramReturn {
    pub c: Chrome,
    pub done: bool,
}
