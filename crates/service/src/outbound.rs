//! The one HTTP client heshen uses to reach out: caller-given media URLs (`ImageUrl`,
//! `VideoUrl`) and remote authority sources.
//!
//! A caller-given URL must not become a way into the deployment's own network (server-side
//! request forgery): by default every address that is not public — loopback, private ranges,
//! link-local (cloud metadata services), carrier-grade NAT, multicast, unspecified — is
//! refused, whether it is written in the URL, resolved from a name, or reached by a redirect.
//! Operators allow their own networks explicitly (`outbound_allow`).

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// A network written `address/prefix` (or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let base: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or network"))?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}` has a prefix length outside 0..={max}"))?,
        };
        Ok(Self { base, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, canonical(ip)) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8)
}

pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

#[derive(Debug, Clone)]
pub struct OutboundPolicy {
    /// Non-public networks that may still be reached (e.g. an authority on the LAN).
    pub allow: Vec<Network>,
    pub timeout: Duration,
    pub max_redirects: usize,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            timeout: Duration::from_secs(5),
            max_redirects: 3,
        }
    }
}

impl OutboundPolicy {
    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allow.iter().any(|n| n.contains(ip))
    }

    /// Checks what can be checked from the URL alone: scheme, and a literal address.
    fn check_url(&self, url: &reqwest::Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::NotHttp);
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(FetchError::NotHttp),
        };
        match literal {
            Some(ip) if !self.permits(ip) => Err(FetchError::Refused(ip)),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the URL is not an http(s) URL")]
    NotHttp,
    #[error("the URL leads to {0}, an address that is not public")]
    Refused(IpAddr),
    #[error("the download timed out")]
    Timeout,
    #[error("the server answered HTTP {0}")]
    Status(u16),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the download failed: {0}")]
    Transport(String),
}

/// Resolves names, then keeps only the addresses the policy permits.
struct GuardedResolver {
    policy: Arc<OutboundPolicy>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to addresses that are not public")]
struct NoPermittedAddress(String);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let permitted: Vec<SocketAddr> = found.filter(|a| policy.permits(a.ip())).collect();
            if permitted.is_empty() {
                return Err(Box::new(NoPermittedAddress(host)) as _);
            }
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

/// The shared outbound client. Cloning is cheap.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<OutboundPolicy>,
}

impl Outbound {
    pub fn new(policy: OutboundPolicy) -> Result<Self, String> {
        let policy = Arc::new(policy);
        let hop_policy = policy.clone();
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > hop_policy.max_redirects {
                attempt.error("too many redirects")
            } else if let Err(refused) = hop_policy.check_url(attempt.url()) {
                attempt.error(refused)
            } else {
                attempt.follow()
            }
        });
        let client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .redirect(redirects)
            // A proxy would resolve names itself, past the resolver's check.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client, policy })
    }

    /// GETs `url` and returns at most `max_bytes` of body.
    pub async fn get(&self, url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        let url = self.parse(url)?;
        let response = self.client.get(url).send().await.map_err(transport)?;
        read_limited(response, max_bytes).await
    }

    /// POSTs a JSON body with an optional bearer token and returns the JSON answer.
    pub async fn post_json(
        &self,
        url: &str,
        bearer: Option<&str>,
        body: &serde_json::Value,
        max_bytes: usize,
    ) -> Result<serde_json::Value, FetchError> {
        let url = self.parse(url)?;
        let mut request = self.client.post(url).json(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(transport)?;
        let bytes = read_limited(response, max_bytes).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| FetchError::Transport(format!("the answer is not JSON: {e}")))
    }

    fn parse(&self, url: &str) -> Result<reqwest::Url, FetchError> {
        let url = reqwest::Url::parse(url).map_err(|_| FetchError::NotHttp)?;
        self.policy.check_url(&url)?;
        Ok(url)
    }
}

fn transport(err: reqwest::Error) -> FetchError {
    if err.is_timeout() {
        return FetchError::Timeout;
    }
    // The policy's refusals travel inside reqwest's error chain; surface them as such.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(FetchError::Refused(ip)) = e.downcast_ref::<FetchError>() {
            return FetchError::Refused(*ip);
        }
        if e.downcast_ref::<NoPermittedAddress>().is_some() {
            return FetchError::Transport(e.to_string());
        }
        source = e.source();
    }
    FetchError::Transport(without_url(&err))
}

/// reqwest's messages repeat the URL; the caller knows it, and it may carry secrets.
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "the URL");
    }
    text
}

async fn read_limited(
    mut response: reqwest::Response,
    max_bytes: usize,
) -> Result<Vec<u8>, FetchError> {
    if !response.status().is_success() {
        return Err(FetchError::Status(response.status().as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(FetchError::TooLarge(max_bytes));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        body.extend_from_slice(&chunk);
        if body.len() > max_bytes {
            return Err(FetchError::TooLarge(max_bytes));
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_pass_by_default() {
        let policy = OutboundPolicy::default();
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "224.0.0.1",
        ] {
            assert!(!policy.permits(ip(refused)), "{refused} must be refused");
        }
        for public in ["1.1.1.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(policy.permits(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn the_allow_list_opens_named_networks_only() {
        let policy = OutboundPolicy {
            allow: vec![
                Network::parse("10.0.0.0/8").unwrap(),
                Network::parse("::1").unwrap(),
            ],
            ..OutboundPolicy::default()
        };
        assert!(policy.permits(ip("10.200.0.1")));
        assert!(policy.permits(ip("::1")));
        assert!(!policy.permits(ip("127.0.0.1")));
        assert!(!policy.permits(ip("192.168.0.1")));
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("example.com").is_err());
    }
}
