//! Retries with backoff around a [`Remote`]: a transient failure
//! (offline, timeout, 5xx, 429, a full disk) is tried again after a
//! delay that doubles (or what a 429 asked for, within a limit); any
//! other failure, and the last transient one, goes to the caller.
//!
//! Owns: [`RetryPolicy`] and [`Retrying`].
//!
//! Must never: retry a refusal (a conflict, denied access), or wait
//! without bound.

use std::time::Duration;

use super::backend::{Fetched, Listed, Remote, RemoteError, Version};

/// How often and how patiently to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all (at least 1).
    pub attempts: u32,
    /// The wait before the second try; it doubles after each.
    pub first_delay: Duration,
    /// The longest wait, also for a 429's `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// A remote whose transient failures are retried.
pub struct Retrying {
    inner: Box<dyn Remote>,
    policy: RetryPolicy,
}

impl Retrying {
    pub fn new(inner: Box<dyn Remote>, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    fn run<T>(
        &self,
        what: &str,
        op: impl Fn(&dyn Remote) -> Result<T, RemoteError>,
    ) -> Result<T, RemoteError> {
        let mut delay = self.policy.first_delay;
        let mut attempt = 1;
        loop {
            match op(self.inner.as_ref()) {
                Err(error) if error.is_transient() && attempt < self.policy.attempts.max(1) => {
                    let wait = error
                        .asked_wait()
                        .unwrap_or(delay)
                        .min(self.policy.max_delay);
                    tracing::info!(%error, attempt, wait_ms = wait.as_millis(), what, "sync remote failed; trying again");
                    std::thread::sleep(wait);
                    delay = (delay * 2).min(self.policy.max_delay);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

impl Remote for Retrying {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn list(&self, dir: &str) -> Result<Vec<Listed>, RemoteError> {
        self.run("list", |r| r.list(dir))
    }

    fn get(&self, path: &str) -> Result<Option<Fetched>, RemoteError> {
        self.run("get", |r| r.get(path))
    }

    fn create(&self, path: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        self.run("create", |r| r.create(path, bytes))
    }

    fn replace(&self, path: &str, bytes: &[u8], expected: &Version) -> Result<(), RemoteError> {
        self.run("replace", |r| r.replace(path, bytes, expected))
    }

    fn delete(&self, path: &str) -> Result<(), RemoteError> {
        self.run("delete", |r| r.delete(path))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A remote that fails `failures` times with `error()`, then answers
    /// an empty listing. Stands in for a flaky server in this unit test;
    /// the real server faults are in tests/sync.rs.
    struct Flaky {
        failures: Mutex<u32>,
        error: fn() -> RemoteError,
    }

    impl Remote for Flaky {
        fn describe(&self) -> String {
            "flaky".into()
        }
        fn list(&self, _: &str) -> Result<Vec<Listed>, RemoteError> {
            let mut left = self.failures.lock().unwrap();
            if *left > 0 {
                *left -= 1;
                return Err((self.error)());
            }
            Ok(Vec::new())
        }
        fn get(&self, _: &str) -> Result<Option<Fetched>, RemoteError> {
            Ok(None)
        }
        fn create(&self, _: &str, _: &[u8]) -> Result<(), RemoteError> {
            Ok(())
        }
        fn replace(&self, _: &str, _: &[u8], _: &Version) -> Result<(), RemoteError> {
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<(), RemoteError> {
            Ok(())
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            first_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        }
    }

    #[test]
    fn transient_failures_are_retried_up_to_the_limit() {
        let flaky = |failures, error| {
            Retrying::new(
                Box::new(Flaky {
                    failures: Mutex::new(failures),
                    error,
                }),
                policy(),
            )
        };
        assert!(
            flaky(2, || RemoteError::ServerFailed { status: 503 })
                .list("")
                .is_ok()
        );
        assert!(
            flaky(2, || RemoteError::RateLimited {
                retry_after: Some(Duration::from_mins(1))
            })
            .list("")
            .is_ok()
        );
        assert!(matches!(
            flaky(3, || RemoteError::Timeout { seconds: 1 }).list(""),
            Err(RemoteError::Timeout { .. })
        ));
        assert!(matches!(
            flaky(1, || RemoteError::Denied { what: "401".into() }).list(""),
            Err(RemoteError::Denied { .. })
        ));
    }
}
