//! The clock check: how far this machine's clock is from a server's, read
//! from the HTTP `Date` header of one answer (RFC 9110 §6.6.1), for the
//! clock offset setting.
//!
//! Owns: parsing the `Date` header and turning it, with the local times the
//! request left and the answer came back, into an offset and its
//! uncertainty.
//!
//! Must never: send credentials (the request is a bare `GET` of the URL),
//! or change a setting itself (the caller offers the offset to the user).

use reqwest::Method;

use super::error::ServerError;
use super::http::{Http, Request, parse_base_url};
use crate::core::clock::{Clock, Timestamp};

/// A `Date` header has whole seconds; the server's true time lies anywhere
/// in the second it names, so its middle is taken.
const HALF_SECOND_MS: u64 = 500;

/// What one clock check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockReading {
    /// `server - local` in milliseconds: the clock offset that makes this
    /// machine read the server's time.
    pub offset_ms: i64,
    /// How far the true offset may be from `offset_ms`: half a second (the
    /// header's resolution) plus half the round trip.
    pub uncertainty_ms: u64,
    /// The time the server's `Date` header named.
    pub server_date: Timestamp,
    /// How long the exchange took, in milliseconds.
    pub round_trip_ms: u64,
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete
/// RFC 850 and asctime forms).
///
/// # Errors
/// `Protocol` naming the text when it is not an HTTP date or lies before
/// 1970.
pub fn parse_http_date(text: &str) -> Result<Timestamp, ServerError> {
    let time = httpdate::parse_http_date(text.trim()).map_err(|_| {
        ServerError::protocol(format!(
            "the “Date” header “{}” is not an HTTP date",
            text.trim()
        ))
    })?;
    Ok(Timestamp::from(time))
}

/// The offset found when a request left at local time `sent`, its answer
/// came back at `received`, and the server's `Date` header named `date`:
/// the server's time (the middle of the named second) against the local
/// time halfway through the exchange.
pub fn measure(sent: Timestamp, received: Timestamp, date: Timestamp) -> ClockReading {
    let (sent, received) = if received < sent {
        (received, sent)
    } else {
        (sent, received)
    };
    let round_trip_ms = received.unix_millis() - sent.unix_millis();
    let midpoint = Timestamp::from_unix_millis(sent.unix_millis() + round_trip_ms / 2);
    let server = Timestamp::from_unix_millis(date.unix_millis().saturating_add(HALF_SECOND_MS));
    ClockReading {
        offset_ms: server.millis_since(midpoint),
        uncertainty_ms: HALF_SECOND_MS + round_trip_ms.div_ceil(2),
        server_date: date,
        round_trip_ms,
    }
}

/// Asks the server at `url` for the time: one `GET` (whatever the status;
/// a 404 carries a `Date` too), timed with `clock`, which should be this
/// machine's clock without any offset.
///
/// # Errors
/// `InvalidUrl`/`InsecureUrl` for a URL that cannot be used, the transport
/// errors of [`Http`], and `Protocol` when the answer has no usable `Date`.
pub async fn check_clock(
    http: &Http,
    url: &str,
    clock: &dyn Clock,
) -> Result<ClockReading, ServerError> {
    let url = parse_base_url(url)?;
    let sent = clock.now();
    let answer = http
        .send(Request {
            method: Method::GET,
            url,
            headers: vec![("Cache-Control".to_owned(), "no-cache".to_owned())],
            body: None,
        })
        .await?;
    let received = clock.now();
    let date = answer
        .headers
        .get(reqwest::header::DATE)
        .ok_or_else(|| ServerError::protocol("the answer has no “Date” header"))?
        .to_str()
        .map_err(|_| ServerError::protocol("the “Date” header is not text"))?;
    Ok(measure(sent, received, parse_http_date(date)?))
}

#[cfg(test)]
mod tests {
    use super::{measure, parse_http_date};
    use crate::core::clock::Timestamp;
    use crate::core::server::ServerError;

    /// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110's example) in Unix seconds.
    const EXAMPLE: u64 = 784_111_777;

    #[test]
    fn parses_the_three_http_date_forms() {
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT\r\n",
        ] {
            assert_eq!(
                parse_http_date(text).unwrap(),
                Timestamp::from_unix_seconds(EXAMPLE),
                "{text:?}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_an_http_date() {
        for text in [
            "",
            "yesterday",
            "2024-01-01T00:00:00Z",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            let error = parse_http_date(text).unwrap_err();
            assert!(matches!(error, ServerError::Protocol { .. }), "{text:?}");
            assert!(error.to_string().contains("not an HTTP date"), "{error}");
        }
    }

    #[test]
    fn offset_is_the_servers_mid_second_against_the_local_midpoint() {
        let date = Timestamp::from_unix_seconds(EXAMPLE);
        // Local clock 10 s behind: the request left at server time
        // 37.100, came back at 37.300 (local 27.100 .. 27.300).
        let sent = Timestamp::from_unix_millis((EXAMPLE - 10) * 1000 + 100);
        let received = Timestamp::from_unix_millis((EXAMPLE - 10) * 1000 + 300);
        let reading = measure(sent, received, date);
        assert_eq!(reading.offset_ms, 10_300);
        assert_eq!(reading.round_trip_ms, 200);
        assert_eq!(reading.uncertainty_ms, 600);
        assert_eq!(reading.server_date, date);
        // A true offset of 10 s lies within the stated uncertainty.
        assert!((reading.offset_ms - 10_000).unsigned_abs() <= reading.uncertainty_ms);
    }

    #[test]
    fn a_clock_ahead_gives_a_negative_offset() {
        let date = Timestamp::from_unix_seconds(EXAMPLE);
        let at = Timestamp::from_unix_millis((EXAMPLE + 90) * 1000 + 500);
        let reading = measure(at, at, date);
        assert_eq!(reading.offset_ms, -90_000);
        assert_eq!(reading.uncertainty_ms, 500);
        // Times given the wrong way round are taken in order.
        let later = Timestamp::from_unix_millis(at.unix_millis() + 40);
        assert_eq!(measure(later, at, date).round_trip_ms, 40);
    }
}
