//! The person's side of the H5 pages over plain HTTP, for the tests that need no browser: a
//! client that shows each redirect, and what a page names.

use reqwest::header::LOCATION;

/// A client that neither follows redirects (the tests read where each page sends the person)
/// nor takes a proxy from the environment.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// Where a redirect sends the person.
pub fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_string()
}

/// The recording URL (a path) a liveness page names for its challenge.
pub fn upload_path(liveness_page: &str) -> String {
    liveness_page
        .split("data-upload=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the liveness page names its upload URL")
        .to_string()
}
