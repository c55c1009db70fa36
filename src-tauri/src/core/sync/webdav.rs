//! The `WebDAV` backend (Nextcloud, ownCloud, Apache `mod_dav`, rclone):
//! the group's files under one collection URL, through reqwest with
//! rustls. TLS is required except to loopback; the login is HTTP basic
//! auth, kept sealed in the vault; every write is conditional
//! (`If-None-Match: *` to create, `If-Match` on the `ETag` read to
//! replace), so two uploads never overwrite each other.
//!
//! Owns: the HTTP exchanges of [`Remote`] and the reading of `PROPFIND`
//! answers.
//!
//! Must never: send the login over plain HTTP to another host, follow a
//! redirect, read an unbounded body, go through a proxy to loopback, or
//! put the password or a body into an error or a log line.
//!
//! Blocking: each call runs the request on the backend's own
//! current-thread runtime, so call it from a blocking thread, never
//! from inside an async task.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};

use super::backend::{Fetched, Listed, MAX_FILE, Remote, RemoteError, Version};
use crate::core::secret::SecretString;
use crate::core::server::{is_loopback, parse_base_url};

/// Connect and whole-exchange timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            total: Duration::from_secs(30),
        }
    }
}

/// A `WebDAV` collection holding the group's files.
pub struct WebDav {
    base: Url,
    username: String,
    password: SecretString,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    timeouts: Timeouts,
}

impl std::fmt::Debug for WebDav {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebDav")
            .field("base", &self.base.as_str())
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop></d:propfind>"#;

impl WebDav {
    /// The collection at `url` (`https://`, or `http://` to loopback; no
    /// query, fragment or login in the URL), signed in as `username`.
    pub fn new(
        url: &str,
        username: &str,
        password: SecretString,
        timeouts: Timeouts,
    ) -> Result<Self, RemoteError> {
        let base = parse_base_url(url).map_err(|e| RemoteError::Protocol {
            what: e.to_string(),
        })?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Tessera/", env!("CARGO_PKG_VERSION")));
        if is_loopback(base.host_str().unwrap_or_default()) {
            builder = builder.no_proxy();
        }
        let unusable = |what: &str| RemoteError::Protocol {
            what: what.to_owned(),
        };
        let client = builder
            .build()
            .map_err(|_| unusable("the HTTP client could not be set up"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RemoteError::Io {
                what: "cannot start the network runtime".into(),
                source: e,
            })?;
        Ok(Self {
            base,
            username: username.to_owned(),
            password,
            client,
            runtime,
            timeouts,
        })
    }

    fn url(&self, path: &str, dir: bool) -> Result<Url, RemoteError> {
        let safe = path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        });
        if !safe && !path.is_empty() {
            return Err(RemoteError::Protocol {
                what: format!("unusable remote path {path:?}"),
            });
        }
        let mut text = format!("{}{path}", self.base.as_str());
        if dir && !text.ends_with('/') {
            text.push('/');
        }
        Url::parse(&text).map_err(|e| RemoteError::Protocol {
            what: e.to_string(),
        })
    }

    /// Sends one request and reads the whole answer (within [`MAX_FILE`]).
    fn send(
        &self,
        method: &Method,
        url: Url,
        headers: HeaderMap,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), RemoteError> {
        let path = url.path().to_owned();
        let request = self
            .client
            .request(method.clone(), url)
            .headers(headers)
            .basic_auth(&self.username, Some(self.password.expose()));
        let request = match body {
            Some(body) => request.body(body),
            None => request,
        };
        self.runtime.block_on(async {
            let mut response = request.send().await.map_err(|e| self.transport(&e))?;
            let status = response.status();
            tracing::debug!(%method, %path, status = status.as_u16(), "webdav request");
            let headers = response.headers().clone();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(&e))? {
                if body.len() + chunk.len() > MAX_FILE {
                    return Err(RemoteError::TooLarge {
                        path: path.clone(),
                        limit: MAX_FILE,
                    });
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, headers, body))
        })
    }

    fn transport(&self, error: &reqwest::Error) -> RemoteError {
        if error.is_timeout() {
            RemoteError::Timeout {
                seconds: self.timeouts.total.as_secs().max(1),
            }
        } else if error.is_connect() {
            RemoteError::Offline {
                what: "the connection failed".into(),
            }
        } else {
            RemoteError::Offline {
                what: "the connection was cut off".into(),
            }
        }
    }

    /// Creates the collections above `path` that are missing.
    fn make_parents(&self, path: &str) -> Result<(), RemoteError> {
        let parts: Vec<&str> = path.split('/').collect();
        for end in 1..parts.len() {
            let dir = parts[..end].join("/");
            let url = self.url(&dir, true)?;
            let method = Method::from_bytes(b"MKCOL").map_err(|_| protocol("MKCOL"))?;
            let (status, headers, _) = self.send(&method, url, HeaderMap::new(), None)?;
            match status.as_u16() {
                200..=299 | 405 => {}
                _ => return Err(failure(status, &headers, &dir)),
            }
        }
        Ok(())
    }

    fn put(
        &self,
        path: &str,
        bytes: &[u8],
        condition: (&'static str, &str),
    ) -> Result<(), RemoteError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            condition.0,
            HeaderValue::from_str(condition.1)
                .map_err(|_| protocol("an ETag that is not a header value"))?,
        );
        let mut made_parents = false;
        loop {
            let url = self.url(path, false)?;
            let (status, answer, _) =
                self.send(&Method::PUT, url, headers.clone(), Some(bytes.to_vec()))?;
            match status.as_u16() {
                200..=299 => return Ok(()),
                412 if condition.0 == "if-none-match" => {
                    return Err(RemoteError::AlreadyExists {
                        path: path.to_owned(),
                    });
                }
                412 => {
                    return Err(RemoteError::Changed {
                        path: path.to_owned(),
                    });
                }
                404 | 409 if !made_parents => {
                    self.make_parents(path)?;
                    made_parents = true;
                }
                _ => return Err(failure(status, &answer, path)),
            }
        }
    }
}

fn protocol(what: &str) -> RemoteError {
    RemoteError::Protocol {
        what: what.to_owned(),
    }
}

/// The error of an unexpected status.
fn failure(status: StatusCode, headers: &HeaderMap, path: &str) -> RemoteError {
    match status.as_u16() {
        401 | 403 => RemoteError::Denied {
            what: format!("HTTP {} for {path}", status.as_u16()),
        },
        429 => RemoteError::RateLimited {
            retry_after: headers
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
                .map(Duration::from_secs),
        },
        507 => RemoteError::NoSpace {
            what: format!("HTTP 507 for {path}"),
        },
        500..=599 => RemoteError::ServerFailed {
            status: status.as_u16(),
        },
        other => RemoteError::Protocol {
            what: format!("HTTP {other} for {path}"),
        },
    }
}

/// The entries of a `PROPFIND` (depth 1) answer for `dir_url`: names and
/// whether each is a collection; the collection itself is left out.
fn read_multistatus(body: &[u8], dir_url: &Url) -> Result<Vec<Listed>, RemoteError> {
    let text =
        std::str::from_utf8(body).map_err(|_| protocol("a PROPFIND answer that is not UTF-8"))?;
    let doc = roxmltree::Document::parse(text)
        .map_err(|_| protocol("a PROPFIND answer that is not XML"))?;
    let dav = |node: &roxmltree::Node<'_, '_>, name: &str| {
        node.is_element()
            && node.tag_name().name() == name
            && node.tag_name().namespace() == Some("DAV:")
    };
    let own = dir_url.path().trim_end_matches('/').to_owned();
    let mut out = Vec::new();
    for response in doc.descendants().filter(|n| dav(n, "response")) {
        let Some(href) = response
            .descendants()
            .find(|n| dav(n, "href"))
            .and_then(|n| n.text())
        else {
            continue;
        };
        let path = dir_url
            .join(href.trim())
            .map(|u| u.path().to_owned())
            .map_err(|_| protocol("a PROPFIND answer with a bad href"))?;
        let path = path.trim_end_matches('/');
        if path == own {
            continue;
        }
        let Some(name) = path.rsplit('/').next().filter(|n| !n.is_empty()) else {
            continue;
        };
        let is_dir = response.descendants().any(|n| dav(&n, "collection"));
        out.push(Listed {
            name: name.to_owned(),
            is_dir,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

impl Remote for WebDav {
    fn describe(&self) -> String {
        format!("WebDAV {}", self.base)
    }

    fn list(&self, dir: &str) -> Result<Vec<Listed>, RemoteError> {
        let url = self.url(dir, true)?;
        let mut headers = HeaderMap::new();
        headers.insert("depth", HeaderValue::from_static("1"));
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        );
        let method = Method::from_bytes(b"PROPFIND").map_err(|_| protocol("PROPFIND"))?;
        let (status, answer, body) = self.send(
            &method,
            url.clone(),
            headers,
            Some(PROPFIND_BODY.as_bytes().to_vec()),
        )?;
        match status.as_u16() {
            207 => read_multistatus(&body, &url),
            404 => Ok(Vec::new()),
            _ => Err(failure(status, &answer, dir)),
        }
    }

    fn get(&self, path: &str) -> Result<Option<Fetched>, RemoteError> {
        let url = self.url(path, false)?;
        let (status, headers, bytes) = self.send(&Method::GET, url, HeaderMap::new(), None)?;
        match status.as_u16() {
            200 => {
                let etag = headers
                    .get(reqwest::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        protocol("a file without an ETag (conditional writes need one)")
                    })?;
                Ok(Some(Fetched {
                    bytes,
                    version: Version(etag.to_owned()),
                }))
            }
            404 => Ok(None),
            _ => Err(failure(status, &headers, path)),
        }
    }

    fn create(&self, path: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        self.put(path, bytes, ("if-none-match", "*"))
    }

    /// A weak `ETag` (Apache gives one for a file changed within the last
    /// second) never matches `If-Match`: wait until the file is a second
    /// old and use its strong `ETag`, if the file is still the one read.
    fn replace(&self, path: &str, bytes: &[u8], expected: &Version) -> Result<(), RemoteError> {
        let Some(weak) = expected.0.strip_prefix("W/") else {
            return self.put(path, bytes, ("if-match", &expected.0));
        };
        std::thread::sleep(Duration::from_millis(1100));
        match self.get(path)? {
            Some(now) if now.version.0 == weak => self.put(path, bytes, ("if-match", weak)),
            _ => Err(RemoteError::Changed {
                path: path.to_owned(),
            }),
        }
    }

    fn delete(&self, path: &str) -> Result<(), RemoteError> {
        let url = self.url(path, false)?;
        let (status, headers, _) = self.send(&Method::DELETE, url, HeaderMap::new(), None)?;
        match status.as_u16() {
            200..=299 | 404 => Ok(()),
            _ => Err(failure(status, &headers, path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multistatus_answers_of_apache_and_nextcloud_read_alike() {
        let dir = Url::parse("http://127.0.0.1:8080/dav/group/devices/").unwrap();
        let apache = r#"<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:ns0="DAV:">
<D:response><D:href>/dav/group/devices/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:propstat></D:response>
<D:response><D:href>/dav/group/devices/0f8c2e4a-7b1d-4c3e-9a5f-2d6b8e1c4a70/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:propstat></D:response>
<D:response><D:href>http://127.0.0.1:8080/dav/group/devices/head</D:href><D:propstat><D:prop><D:resourcetype/></D:prop></D:propstat></D:response>
</D:multistatus>"#;
        let nextcloud = apache.replace("D:", "d:").replace("xmlns:D=", "xmlns:d=");
        for body in [apache.to_owned(), nextcloud] {
            let listed = read_multistatus(body.as_bytes(), &dir).unwrap();
            assert_eq!(
                listed,
                [
                    Listed {
                        name: "0f8c2e4a-7b1d-4c3e-9a5f-2d6b8e1c4a70".into(),
                        is_dir: true
                    },
                    Listed {
                        name: "head".into(),
                        is_dir: false
                    },
                ]
            );
        }
        assert!(read_multistatus(b"<not xml", &dir).is_err());
    }

    #[test]
    fn plain_http_is_refused_but_for_loopback() {
        let password = || SecretString::from("pw");
        assert!(
            WebDav::new(
                "http://dav.example.com/x/",
                "u",
                password(),
                Timeouts::default()
            )
            .is_err()
        );
        assert!(
            WebDav::new(
                "http://127.0.0.1:9/x/",
                "u",
                password(),
                Timeouts::default()
            )
            .is_ok()
        );
        assert!(
            WebDav::new(
                "https://dav.example.com/x/",
                "u",
                password(),
                Timeouts::default()
            )
            .is_ok()
        );
        let dav = WebDav::new(
            "https://dav.example.com/x/",
            "u",
            password(),
            Timeouts::default(),
        )
        .unwrap();
        assert!(!format!("{dav:?}").contains("pw"));
        assert!(dav.url("../etc", false).is_err());
    }
}
