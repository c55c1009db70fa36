//! [`Http`]: the one HTTP client of the server module (reqwest + rustls),
//! with the safety rules of `docs/server-profiles.md`: connect and total
//! timeouts, a response size limit, plain `http://` only to loopback,
//! redirects followed only within the same origin, and a proxy only for
//! `https://` to a host that is not loopback ([`ProxyPolicy`]).
//!
//! Must never: follow a redirect to another origin (the request carries a
//! session), send anything to a non-loopback `http://` URL, send a request
//! to a proxy in clear (a loopback request carries a bearer token and a
//! code), read an unbounded body, or put a URL's query, a header value, a
//! proxy URL or a body into an error.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url, redirect};
use serde_json::Value as Json;

use super::error::ServerError;

/// Limits of the client.
#[derive(Clone, Copy, Debug)]
pub struct HttpOptions {
    /// Time allowed to open the connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Time allowed for a whole exchange, body included.
    pub timeout: Duration,
    /// Largest response body read, in bytes.
    pub max_body_bytes: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 2 * 1024 * 1024,
        }
    }
}

/// Most redirects followed (within the origin) for one request.
const MAX_REDIRECTS: usize = 5;

/// The HTTP client; cheap to clone.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    options: HttpOptions,
}

/// A request built from a profile.
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Json>,
}

/// An answer, read in full (within the limit). Public so that the fuzz
/// targets can feed a made-up answer to [`discover`](super::discover) and
/// the flows' answer readers.
#[derive(Default)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The media type, lower case, without parameters; empty if none.
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Status, media type, header names and body length: the body and header
/// values carry secrets (a setup seed, `Set-Cookie`, tokens).
impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether the media type is JSON (`application/json`, `...+json`).
    pub fn is_json(&self) -> bool {
        self.content_type.ends_with("json")
    }

    /// Whether the media type is an image.
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    /// The body parsed as JSON: `None` if it is empty or not JSON-typed;
    /// a `Protocol` error if it is JSON-typed but malformed.
    pub fn json(&self) -> Result<Option<Json>, ServerError> {
        if self.body.iter().all(u8::is_ascii_whitespace) || !self.is_json() {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|e| ServerError::protocol(format!("malformed JSON ({e})")))
    }

    /// `Retry-After` in seconds, if it is a number.
    pub fn retry_after_header(&self) -> Option<u64> {
        self.headers
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Which requests go through a proxy, and which proxy: never a request to
/// a loopback host (`localhost`, 127.0.0.0/8, `::1`) or a plain `http://`
/// one, whatever the environment says, so that a bearer token or a code
/// sent to a local server never leaves the machine in clear; an `https://`
/// request to another host through the proxy chosen by the user (the TLS
/// session runs inside a `CONNECT` tunnel, so the proxy sees only the host
/// name), except for the hosts of the `no_proxy` list.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct ProxyPolicy {
    /// The proxy of `https://` requests, and the variable it came from.
    https: Option<(String, &'static str)>,
    /// Hosts reached directly (the `NO_PROXY` syntax: comma-separated
    /// names, addresses, networks, `*`).
    no_proxy: String,
}

/// Hosts never reached through a proxy, in the `NO_PROXY` syntax.
const LOOPBACK_HOSTS: &str = "localhost,127.0.0.0/8,::1";

impl ProxyPolicy {
    /// The proxy of the environment, the convention of curl:
    /// `HTTPS_PROXY` / `https_proxy`, else `ALL_PROXY` / `all_proxy`, with
    /// `NO_PROXY` / `no_proxy`. `HTTP_PROXY` is not read: it is for plain
    /// `http://`, which only goes to loopback and never through a proxy.
    pub(crate) fn from_env() -> Self {
        let var = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
                .map(|value| (value, name))
        };
        let https = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
            .into_iter()
            .find_map(var);
        let no_proxy = var("NO_PROXY")
            .or_else(|| var("no_proxy"))
            .map(|(value, _)| value)
            .unwrap_or_default();
        Self { https, no_proxy }
    }

    /// `https://` requests through `proxy` (e.g. `http://proxy:3128`),
    /// except to loopback and to the hosts of `no_proxy`.
    #[cfg(test)]
    pub(crate) fn https_through(proxy: impl Into<String>, no_proxy: impl Into<String>) -> Self {
        Self {
            https: Some((proxy.into(), "the proxy")),
            no_proxy: no_proxy.into(),
        }
    }

    /// The reqwest proxy of this policy, `None` for none.
    fn to_reqwest(&self) -> Result<Option<reqwest::Proxy>, ServerError> {
        let Some((url, source)) = &self.https else {
            return Ok(None);
        };
        let unusable = || ServerError::Http {
            what: format!("{source} is not a proxy URL Tessera can use (http://HOST:PORT)"),
        };
        let url = proxy_url(url).ok_or_else(unusable)?;
        let proxy = reqwest::Proxy::https(url).map_err(|_| unusable())?;
        let direct = format!("{LOOPBACK_HOSTS},{}", self.no_proxy);
        Ok(Some(proxy.no_proxy(reqwest::NoProxy::from_string(&direct))))
    }
}

/// A proxy URL as curl reads it (`HOST:PORT` means `http://HOST:PORT`);
/// `None` unless it is `http://` or `https://` with a host.
fn proxy_url(text: &str) -> Option<Url> {
    let url = match Url::parse(text.trim()) {
        Ok(url) if url.has_host() => url,
        _ => Url::parse(&format!("http://{}", text.trim())).ok()?,
    };
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// Whether a proxy is set, never its URL (it may hold a password).
impl std::fmt::Debug for ProxyPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyPolicy")
            .field("https", &self.https.as_ref().map(|(_, source)| source))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl Http {
    /// A client with `options` and the proxy of the environment
    /// ([`ProxyPolicy::from_env`]).
    pub fn new(options: HttpOptions) -> Result<Self, ServerError> {
        Self::with_proxy(options, &ProxyPolicy::from_env())
    }

    /// A client with `options` and `proxy`. A proxy URL reqwest cannot use
    /// is an `Http` error naming where it came from.
    pub(crate) fn with_proxy(
        options: HttpOptions,
        proxy: &ProxyPolicy,
    ) -> Result<Self, ServerError> {
        let policy = redirect::Policy::custom(|attempt| {
            let same = attempt
                .previous()
                .first()
                .is_some_and(|first| same_origin(first, attempt.url()));
            if !same {
                attempt.stop()
            } else if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error("too many redirects")
            } else {
                attempt.follow()
            }
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .redirect(policy)
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if let Some(proxy) = proxy.to_reqwest()? {
            builder = builder.proxy(proxy);
        }
        let client = builder.build().map_err(|_| ServerError::Http {
            what: "the HTTP client could not be set up".to_owned(),
        })?;
        Ok(Self { client, options })
    }

    /// The limits in force.
    pub fn options(&self) -> HttpOptions {
        self.options
    }

    /// Sends `request` and reads the answer. A redirect to another origin
    /// is `RedirectRefused`; only loopback may be reached over `http://`.
    pub(crate) async fn send(&self, request: Request) -> Result<Answer, ServerError> {
        check_url(&request.url)?;
        // What is logged of a request: method and path, never the query,
        // headers or bodies (credentials travel there).
        let (method, path) = (request.method.clone(), request.url.path().to_owned());
        let origin = request.url.clone();
        let mut builder = self.client.request(request.method, request.url);
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ServerError::protocol(format!("invalid header name “{name}”")))?;
            let mut value = HeaderValue::from_str(value)
                .map_err(|_| ServerError::protocol(format!("invalid value for header “{name}”")))?;
            if name == reqwest::header::AUTHORIZATION || name == reqwest::header::COOKIE {
                value.set_sensitive(true);
            }
            headers.insert(name, value);
        }
        builder = builder.headers(headers);
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let mut response = builder.send().await.map_err(|e| {
            let error = self.transport(&e);
            tracing::debug!(%method, %path, %error, "server request failed");
            error
        })?;
        if response.status().is_redirection() {
            let to = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| response.url().join(l).ok())
                .map_or_else(|| "an unknown place".to_owned(), |u| origin_of(&u));
            if !same_origin(&origin, response.url()) || to != origin_of(&origin) {
                return Err(ServerError::RedirectRefused { to });
            }
            return Err(ServerError::protocol("a redirect that was not followed"));
        }
        let status = response.status().as_u16();
        tracing::debug!(%method, %path, status, "server request");
        let headers = response.headers().clone();
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        if response
            .content_length()
            .is_some_and(|n| n > self.options.max_body_bytes as u64)
        {
            return Err(ServerError::TooLarge {
                limit: self.options.max_body_bytes,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(&e))? {
            if body.len() + chunk.len() > self.options.max_body_bytes {
                return Err(ServerError::TooLarge {
                    limit: self.options.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            content_type,
            body,
        })
    }

    fn transport(&self, error: &reqwest::Error) -> ServerError {
        if error.is_timeout() {
            ServerError::Timeout {
                seconds: self.options.timeout.as_secs().max(1),
            }
        } else if error.is_redirect() {
            ServerError::protocol("too many redirects")
        } else if error.is_connect() {
            ServerError::Http {
                what: "the connection failed".to_owned(),
            }
        } else if error.is_body() || error.is_decode() {
            ServerError::Http {
                what: "the answer was cut off".to_owned(),
            }
        } else {
            ServerError::Http {
                what: "the request failed".to_owned(),
            }
        }
    }
}

/// Parses and checks a server's base URL: `https://`, or `http://` to
/// loopback only; no query, fragment or user info. The path is kept, with
/// a trailing `/`.
pub fn parse_base_url(text: &str) -> Result<Url, ServerError> {
    let mut url = Url::parse(text.trim()).map_err(|e| ServerError::InvalidUrl {
        reason: e.to_string(),
    })?;
    check_url(&url)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ServerError::InvalidUrl {
            reason: "a base URL cannot have a query or a fragment".to_owned(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ServerError::InvalidUrl {
            reason: "put credentials in the server's settings, not in the URL".to_owned(),
        });
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `base` without its trailing `/` + `/` + `path` without its leading `/`
/// (never resolved as a reference), staying within `base`'s origin.
pub(crate) fn join(base: &Url, path: &str) -> Result<Url, ServerError> {
    let text = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    let url = Url::parse(&text).map_err(|e| ServerError::InvalidUrl {
        reason: e.to_string(),
    })?;
    if !same_origin(base, &url) {
        return Err(ServerError::InvalidUrl {
            reason: "the profile's path leaves the server".to_owned(),
        });
    }
    Ok(url)
}

fn check_url(url: &Url) -> Result<(), ServerError> {
    let host = url.host_str().unwrap_or("");
    match url.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err(ServerError::InsecureUrl {
            host: host.to_owned(),
        }),
        other => Err(ServerError::InvalidUrl {
            reason: format!("unsupported scheme “{other}”: use https://"),
        }),
    }
}

/// `localhost`, 127.0.0.0/8 or `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn origin_of(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::{Http, HttpOptions, ProxyPolicy, Request, join, parse_base_url};
    use crate::core::server::ServerError;

    /// A TCP listener standing in for a proxy: it keeps the first line of
    /// every connection (`CONNECT host:port HTTP/1.1` for a tunnel) and
    /// closes it.
    struct FakeProxy {
        addr: std::net::SocketAddr,
        seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    }

    impl FakeProxy {
        fn start() -> Self {
            use std::io::BufRead;
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let kept = seen.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                    let mut first = String::new();
                    let _ = std::io::BufReader::new(stream).read_line(&mut first);
                    kept.lock().unwrap().push(first.trim_end().to_owned());
                }
            });
            Self { addr, seen }
        }

        fn url(&self) -> String {
            format!("http://{}", self.addr)
        }

        fn seen(&self) -> Vec<String> {
            self.seen.lock().unwrap().clone()
        }
    }

    /// Sends a GET to `url` through a client with `policy`; the outcome
    /// does not matter, only where the request went.
    fn get(policy: &ProxyPolicy, url: &str) {
        let options = HttpOptions {
            connect_timeout: std::time::Duration::from_secs(2),
            timeout: std::time::Duration::from_secs(2),
            max_body_bytes: 1024,
        };
        let http = Http::with_proxy(options, policy).unwrap();
        let request = Request {
            method: reqwest::Method::GET,
            url: url.parse().unwrap(),
            headers: vec![("Authorization".to_owned(), "Bearer t0ken".to_owned())],
            body: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = runtime.block_on(http.send(request));
    }

    #[test]
    fn https_to_another_host_goes_through_the_proxy_in_a_tunnel() {
        let proxy = FakeProxy::start();
        get(
            &ProxyPolicy::https_through(proxy.url(), ""),
            "https://tessera-proxy-check.invalid/api",
        );
        assert_eq!(
            proxy.seen(),
            ["CONNECT tessera-proxy-check.invalid:443 HTTP/1.1"]
        );
    }

    #[test]
    fn loopback_and_no_proxy_hosts_never_go_through_the_proxy() {
        let proxy = FakeProxy::start();
        let closed = closed_port();
        let policy = ProxyPolicy::https_through(proxy.url(), "direct.invalid");
        for url in [
            format!("https://127.0.0.1:{closed}/"),
            format!("https://localhost:{closed}/"),
            format!("https://[::1]:{closed}/"),
            format!("http://127.0.0.1:{closed}/"),
            format!("http://localhost:{closed}/"),
            "https://direct.invalid/".to_owned(),
        ] {
            get(&policy, &url);
        }
        assert_eq!(proxy.seen(), Vec::<String>::new());
    }

    #[test]
    fn an_unusable_proxy_url_is_an_error_without_the_url() {
        let policy = ProxyPolicy::https_through("ftp://user:hunter2@proxy:21", "");
        let error = Http::with_proxy(HttpOptions::default(), &policy).unwrap_err();
        assert!(matches!(error, ServerError::Http { .. }), "{error:?}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        assert!(!format!("{policy:?}").contains("hunter2"));
    }

    /// A loopback port nothing listens on (a moment ago).
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[test]
    fn base_urls() {
        assert!(parse_base_url("https://example.com").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080/x").is_ok());
        assert!(parse_base_url("http://[::1]:8080/").is_ok());
        assert!(parse_base_url("http://localhost/").is_ok());
        assert!(matches!(
            parse_base_url("http://example.com/"),
            Err(ServerError::InsecureUrl { host }) if host == "example.com"
        ));
        assert!(matches!(
            parse_base_url("ftp://example.com/"),
            Err(ServerError::InvalidUrl { .. })
        ));
        assert!(matches!(
            parse_base_url("https://u:p@example.com/"),
            Err(ServerError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn paths_are_appended_not_resolved() {
        let base = parse_base_url("https://host/laravel").unwrap();
        assert_eq!(
            join(&base, "/api/2fa/enable").unwrap().as_str(),
            "https://host/laravel/api/2fa/enable"
        );
        let base = parse_base_url("https://host/api/v2/").unwrap();
        assert_eq!(
            join(&base, "a/b/?x=1").unwrap().as_str(),
            "https://host/api/v2/a/b/?x=1"
        );
    }
}
