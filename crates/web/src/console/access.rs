//! Who is asking: the session behind a request, its CSRF token, sign-in and sign-out,
//! changing one's password and the second factor.

use super::views::{self, Frame};
use super::words::Words;
use super::{lang_of, problem, problem_page, render, see, SESSION_COOKIE};
use crate::i18n::Lang;
use crate::Web;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use heshen_service::console::{self, LoginError, NewSession, SignedIn, SESSION_TTL};
use heshen_service::ServiceError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::net::SocketAddr;
use subtle::ConstantTimeEq;

/// Largest console form (uploads have their own limit).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The address a request came from (the TCP peer).
pub fn peer(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_default()
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

fn query_lang(parts: &Parts) -> Option<String> {
    parts.uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.into_owned())
    })
}

/// A signed-in request: the user, their language, and where they are.
pub struct Ctx {
    pub lang: Lang,
    pub signed: SignedIn,
    /// The path of this page (the language switch reloads it).
    pub here: String,
}

/// The CSRF token the session expects, left for [`CsrfForm`] by [`Ctx`].
#[derive(Clone)]
struct ExpectedCsrf(String);

impl Ctx {
    pub fn w(&self) -> &'static Words {
        Words::of(self.lang)
    }

    pub fn operator(&self) -> &console::Operator {
        &self.signed.operator
    }

    pub fn frame(&self, title: &str) -> Frame {
        Frame::signed(self.lang, title, &self.here, &self.signed)
    }

    pub fn fail(&self, err: ServiceError) -> Response {
        problem(self.lang, &err)
    }
}

impl FromRequestParts<Web> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Response> {
        let lang = lang_of(query_lang(parts).as_deref(), &parts.headers);
        let here = parts.uri.path().to_string();
        let cookie = cookie_value(&parts.headers, SESSION_COOKIE).unwrap_or("");
        let signed = if cookie.is_empty() {
            None
        } else {
            web.accounts
                .session(cookie, &peer(parts))
                .await
                .map_err(|e| problem(lang, &e))?
        };
        let Some(signed) = signed else {
            return Err(if parts.method == axum::http::Method::GET {
                see("/console/login")
            } else {
                problem_page(
                    lang,
                    StatusCode::UNAUTHORIZED,
                    Words::of(lang).session_expired.into(),
                )
            });
        };
        // A password handed out by someone else is changed before anything else is done.
        if signed.must_change_password && here != "/console/password" && here != "/console/logout" {
            return Err(see("/console/password"));
        }
        parts.extensions.insert(ExpectedCsrf(signed.csrf.clone()));
        Ok(Ctx { lang, signed, here })
    }
}

/// A form posted by a signed-in user, refused unless it carries the session's CSRF token.
pub struct CsrfForm<T>(pub T);

fn csrf_matches(expected: &str, sent: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
}

impl<T: DeserializeOwned + Send> FromRequest<Web> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, web: &Web) -> Result<Self, Response> {
        let lang = lang_of(None, request.headers());
        let expected = request.extensions().get::<ExpectedCsrf>().cloned();
        let body = Bytes::from_request(request, web).await.map_err(|_| {
            problem_page(
                lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                Words::of(lang).bad_request.into(),
            )
        })?;
        if body.len() > MAX_FORM_BYTES {
            return Err(problem_page(
                lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                Words::of(lang).bad_request.into(),
            ));
        }
        let sent = form_urlencoded::parse(&body)
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        match expected {
            Some(ExpectedCsrf(expected)) if csrf_matches(&expected, &sent) => {}
            _ => {
                return Err(problem_page(
                    lang,
                    StatusCode::FORBIDDEN,
                    Words::of(lang).csrf_failed.into(),
                ))
            }
        }
        serde_html_form::from_bytes(&body)
            .map(CsrfForm)
            .map_err(|e| {
                problem_page(
                    lang,
                    StatusCode::BAD_REQUEST,
                    format!("{} ({e})", Words::of(lang).bad_request),
                )
            })
    }
}

/// The refusal of a form read by other means (a multipart upload) whose CSRF token is wrong.
pub fn csrf_refusal(ctx: &Ctx, sent: &str) -> Option<Response> {
    (!csrf_matches(&ctx.signed.csrf, sent))
        .then(|| problem_page(ctx.lang, StatusCode::FORBIDDEN, ctx.w().csrf_failed.into()))
}

fn session_cookie(session: &NewSession) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={}; Path=/; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        session.cookie,
        SESSION_TTL.as_secs()
    ))
    .expect("a base64url cookie is a valid header value")
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
    ))
    .expect("valid header value")
}

fn with_session(mut response: Response, session: &NewSession) -> Response {
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(session));
    response
}

/// `/console`: the apps, or the sign-in page.
pub async fn home(ctx: Result<Ctx, Response>) -> Response {
    match ctx {
        Ok(_) => see("/console/apps"),
        Err(_) => see("/console/login"),
    }
}

pub async fn not_found(headers: HeaderMap) -> Response {
    let lang = lang_of(None, &headers);
    problem_page(
        lang,
        StatusCode::NOT_FOUND,
        Words::of(lang).not_found.into(),
    )
}

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

pub async fn login_page(Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = lang_of(q.lang.as_deref(), &headers);
    login_view(lang, StatusCode::OK, "", "")
}

fn login_view(lang: Lang, status: StatusCode, error: &str, username: &str) -> Response {
    let w = Words::of(lang);
    render(
        status,
        &views::Login {
            f: Frame::bare(lang, w.login_title, "/console/login"),
            error: error.to_string(),
            username: username.to_string(),
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// The address a request came from, for handlers without a session.
pub struct Peer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(peer(parts)))
    }
}

pub async fn login_submit(
    State(web): State<Web>,
    headers: HeaderMap,
    Peer(origin): Peer,
    form: Result<axum::Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = lang_of(None, &headers);
    let Ok(axum::Form(form)) = form else {
        return login_view(
            lang,
            StatusCode::BAD_REQUEST,
            Words::of(lang).bad_request,
            "",
        );
    };
    let w = Words::of(lang);
    match web
        .accounts
        .login(form.username.trim(), &form.password, &form.code, &origin)
        .await
    {
        Ok(session) => {
            let next = if session.must_change_password {
                "/console/password"
            } else {
                "/console/apps"
            };
            with_session(see(next), &session)
        }
        Err(LoginError::Throttled) => login_view(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            w.login_throttled,
            &form.username,
        ),
        Err(LoginError::CodeNeeded) => login_view(
            lang,
            StatusCode::UNAUTHORIZED,
            w.login_code_needed,
            &form.username,
        ),
        Err(LoginError::BadCredentials) => {
            login_view(lang, StatusCode::UNAUTHORIZED, w.login_bad, &form.username)
        }
        Err(LoginError::Service(detail)) => {
            tracing::error!(%detail, "sign-in failed");
            login_view(
                lang,
                StatusCode::SERVICE_UNAVAILABLE,
                w.server_error,
                &form.username,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(State(web): State<Web>, ctx: Ctx, CsrfForm(_): CsrfForm<Empty>) -> Response {
    if let Err(err) = web.accounts.logout(&ctx.signed).await {
        return ctx.fail(err);
    }
    let mut response = see("/console/login");
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_cookie());
    response
}

pub async fn password_page(ctx: Ctx) -> Response {
    password_view(&ctx, StatusCode::OK, "")
}

fn password_view(ctx: &Ctx, status: StatusCode, error: &str) -> Response {
    render(
        status,
        &views::Password {
            f: ctx.frame(ctx.w().password_title),
            first: ctx.signed.must_change_password,
            error: error.to_string(),
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

pub async fn password_submit(
    State(web): State<Web>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Response {
    if form.new != form.repeat {
        return password_view(&ctx, StatusCode::BAD_REQUEST, ctx.w().password_mismatch);
    }
    match web
        .accounts
        .change_password(&ctx.signed, &form.current, &form.new)
        .await
    {
        Ok(session) => with_session(see("/console/apps"), &session),
        Err(ServiceError::Invalid(why)) => password_view(&ctx, StatusCode::BAD_REQUEST, &why),
        Err(err) => ctx.fail(err),
    }
}

/// The secret being set up lives in the form until the user proves their app has it.
pub async fn security_page(ctx: Ctx) -> Response {
    security_view(&ctx, StatusCode::OK, console::new_totp_secret(), "")
}

fn security_view(ctx: &Ctx, status: StatusCode, secret: Vec<u8>, error: &str) -> Response {
    use base64::Engine as _;
    let uri = console::totp_uri(&ctx.operator().username, &secret);
    let key = uri
        .split("secret=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .unwrap_or("")
        .to_string();
    render(
        status,
        &views::Security {
            f: ctx.frame(ctx.w().security_title),
            enabled: ctx.signed.has_second_factor,
            key,
            uri,
            secret: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&secret),
            error: error.to_string(),
        },
    )
}

#[derive(Deserialize)]
pub struct SecurityForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
    operation: String,
}

pub async fn security_submit(
    State(web): State<Web>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<SecurityForm>,
) -> Response {
    use base64::Engine as _;
    let result = if form.operation == "disable" {
        web.accounts.set_second_factor(ctx.operator(), None).await
    } else {
        let Ok(secret) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&form.secret)
        else {
            return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into()));
        };
        if secret.len() != 20 {
            return ctx.fail(ServiceError::Invalid(ctx.w().bad_request.into()));
        }
        match web
            .accounts
            .set_second_factor(ctx.operator(), Some((&secret, &form.code)))
            .await
        {
            Err(ServiceError::Invalid(why)) => {
                return security_view(&ctx, StatusCode::BAD_REQUEST, secret, &why)
            }
            other => other,
        }
    };
    match result {
        Ok(()) => see("/console/security"),
        Err(err) => ctx.fail(err),
    }
}

/// Keeps a `?lang=` choice in a cookie for the console's later pages.
pub async fn remember_lang(request: Request, next: axum::middleware::Next) -> Response {
    let chosen = request.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    });
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let cookie = format!(
            "{}={}; Path=/console; Max-Age=31536000; SameSite=Lax; HttpOnly",
            crate::i18n::COOKIE,
            lang.code()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
