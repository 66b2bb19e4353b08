//! The pages' stylesheet and scripts, compiled into the binary.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &str)] = &[
    (
        "h5.css",
        "text/css; charset=utf-8",
        include_str!("../assets/h5.css"),
    ),
    (
        "console.css",
        "text/css; charset=utf-8",
        include_str!("../assets/console.css"),
    ),
    (
        "capture.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/capture.js"),
    ),
    (
        "identity.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/identity.js"),
    ),
    (
        "result.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/result.js"),
    ),
    (
        "heshen.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/heshen.js"),
    ),
    (
        "processing.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/processing.js"),
    ),
];

/// `/sdk/heshen.js`, the overlay SDK integrators load from their own pages.
pub async fn sdk() -> Response {
    serve(Path("heshen.js".to_string())).await
}

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, kind, body)) => {
            let mut response = (*body).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            response
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
