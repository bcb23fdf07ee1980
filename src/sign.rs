//! The SDK-HMAC-SHA256 request signer of Huawei Cloud's API gateway, exactly
//! as the official SDKs implement it (`reference/cce-api.md` §9).
//!
//! Everything here is a pure function of its inputs, with no clock and no I/O,
//! so that the client signs with it and the simulator verifies with it: both
//! sides build the canonical request with the same code, and a mismatch can
//! only come from the inputs (wrong key, altered body, skewed date).

use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// The header carrying the signing time.
pub const DATE_HEADER: &str = "X-Sdk-Date";
/// The `strftime` format of [`DATE_HEADER`], e.g. `20261124T120000Z`.
pub const DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";
/// The header that replaces the payload hash for non-JSON bodies.
pub const CONTENT_SHA256_HEADER: &str = "X-Sdk-Content-Sha256";
/// The value of [`CONTENT_SHA256_HEADER`] the SDK sends.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Hex SHA-256 of the empty body.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// RFC 3986 unreserved characters stay as they are; everything else is
/// percent-encoded with uppercase hex, like the SDK's `urllib.parse.quote(safe="~")`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a path segment, query key or query value the way the
/// signer does.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// The canonical URI: the path percent-decoded, split on `/`, each segment
/// re-encoded, and always ending in `/`.
pub fn canonical_uri(path: &str) -> String {
    let decoded: Vec<u8> = percent_decode_str(path).collect();
    let mut uri = decoded
        .split(|byte| *byte == b'/')
        .map(|segment| percent_encoding::percent_encode(segment, UNRESERVED).to_string())
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical query string: pairs sorted by key, then value, both encoded,
/// joined with `&`. The SDK sends exactly this string as the URL query, and
/// so does poolform's client.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Splits a raw URL query (as received) into decoded pairs, the inverse of
/// [`canonical_query`]. A key without `=` has an empty value.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
            (decode(key), decode(value))
        })
        .collect()
}

/// The headers the signer covers: every header whose name has no `_`,
/// lowercased, sorted by name, values trimmed. Each entry is `(name, value)`.
pub fn signable_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, String)> {
    let mut signed: Vec<(String, String)> = headers
        .into_iter()
        .filter(|(name, _)| !name.contains('_'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    signed.sort();
    signed
}

/// The payload hash: `UNSIGNED-PAYLOAD` when that header was sent, otherwise
/// the hex SHA-256 of the exact body bytes.
pub fn payload_hash(headers: &[(String, String)], body: &[u8]) -> String {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(CONTENT_SHA256_HEADER))
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| hex::encode(Sha256::digest(body)))
}

/// Whether the SDK would add `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` for this
/// content type (anything but JSON and BSON).
pub fn needs_unsigned_payload(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        !value.starts_with("application/json") && !value.starts_with("application/bson")
    })
}

/// One request as the signer sees it.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalInput<'a> {
    /// Upper-case HTTP method.
    pub method: &'a str,
    /// The URL path as sent (may be percent-encoded).
    pub path: &'a str,
    /// Decoded query pairs, in any order.
    pub query: &'a [(String, String)],
    /// The signed headers, as returned by [`signable_headers`] (lowercase,
    /// sorted, trimmed). On the server side: the headers the client's
    /// `SignedHeaders` lists, taken from the request.
    pub signed_headers: &'a [(String, String)],
    /// Hex payload hash, see [`payload_hash`].
    pub payload_hash: &'a str,
}

/// `h1;h2;...` of the signed headers.
pub fn signed_header_names(signed_headers: &[(String, String)]) -> String {
    signed_headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

/// The canonical request (step 8 of the algorithm).
pub fn canonical_request(input: &CanonicalInput<'_>) -> String {
    let canonical_headers: String = input
        .signed_headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method,
        canonical_uri(input.path),
        canonical_query(input.query),
        canonical_headers,
        signed_header_names(input.signed_headers),
        input.payload_hash,
    )
}

/// The string to sign: algorithm, date, hex SHA-256 of the canonical request.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// Hex HMAC-SHA256 of the string to sign, keyed with the SK's UTF-8 bytes.
pub fn signature(secret_key: &str, string_to_sign: &str) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(secret_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("hmac takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `Authorization` header value.
pub fn authorization(access_key: &str, signed_header_names: &str, signature: &str) -> String {
    format!(
        "{ALGORITHM} Access={access_key}, SignedHeaders={signed_header_names}, Signature={signature}"
    )
}

/// Signs a request: the `Authorization` value for these inputs. `headers`
/// must already contain `Host` and `X-Sdk-Date`; `signed_headers` of the
/// input are taken from [`signable_headers`] of them.
pub fn sign(
    access_key: &str,
    secret_key: &str,
    sdk_date: &str,
    input: &CanonicalInput<'_>,
) -> String {
    let canonical = canonical_request(input);
    let to_sign = string_to_sign(sdk_date, &canonical);
    authorization(
        access_key,
        &signed_header_names(input.signed_headers),
        &signature(secret_key, &to_sign),
    )
}

/// The parts of a received `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    /// `Access=`: the AK.
    pub access_key: String,
    /// `SignedHeaders=`, split on `;`.
    pub signed_headers: Vec<String>,
    /// `Signature=`: hex.
    pub signature: String,
}

/// Parses `SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature=...`;
/// `None` when it is not that shape.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.trim().strip_prefix(ALGORITHM)?.trim_start();
    let mut access_key = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key {
            "Access" => access_key = Some(value.to_owned()),
            "SignedHeaders" => {
                signed_headers = Some(value.split(';').map(str::to_owned).collect());
            }
            "Signature" => signature = Some(value.to_owned()),
            _ => return None,
        }
    }
    Some(ParsedAuthorization {
        access_key: access_key?,
        signed_headers: signed_headers?,
        signature: signature?,
    })
}

/// Formats a time as an `X-Sdk-Date` value.
pub fn format_sdk_date(time: DateTime<Utc>) -> String {
    time.format(DATE_FORMAT).to_string()
}

/// Parses an `X-Sdk-Date` value; `None` when malformed.
pub fn parse_sdk_date(value: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(value.trim(), DATE_FORMAT)
        .ok()
        .map(|naive| naive.and_utc())
}

/// Compares two hex signatures in constant time, so a verifier does not leak
/// how many leading characters of a guess were right.
pub fn signatures_match(expected: &str, received: &str) -> bool {
    let (expected, received) = (expected.as_bytes(), received.as_bytes());
    expected.len() == received.len()
        && expected
            .iter()
            .zip(received)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "cce.ap-southeast-1.myhuaweicloud.com";
    const DATE: &str = "20261124T120000Z";

    fn standard_headers() -> Vec<(String, String)> {
        signable_headers([
            ("Content-Type", "application/json"),
            ("X-Project-Id", "p1"),
            ("X-Sdk-Date", DATE),
            ("Host", HOST),
        ])
    }

    fn hash_line(to_sign: &str) -> &str {
        to_sign.lines().nth(2).expect("three lines")
    }

    #[test]
    fn vector_1_get_with_query() {
        let headers = standard_headers();
        let query = vec![("x".to_owned(), "1".to_owned())];
        let input = CanonicalInput {
            method: "GET",
            path: "/api/v3/projects/p1/clusters/c1/nodepools",
            query: &query,
            signed_headers: &headers,
            payload_hash: &payload_hash(&headers, b""),
        };
        let canonical = canonical_request(&input);
        assert_eq!(
            canonical,
            "GET\n\
             /api/v3/projects/p1/clusters/c1/nodepools/\n\
             x=1\n\
             content-type:application/json\n\
             host:cce.ap-southeast-1.myhuaweicloud.com\n\
             x-project-id:p1\n\
             x-sdk-date:20261124T120000Z\n\
             \n\
             content-type;host;x-project-id;x-sdk-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            string_to_sign(DATE, &canonical),
            "SDK-HMAC-SHA256\n\
             20261124T120000Z\n\
             7934541814fe1c9c2b7ba3b6a5b4568a700cf7286ddfefb89765ceb8f5f14cd3"
        );
        assert_eq!(
            sign("AKTEST", "SKTEST", DATE, &input),
            "SDK-HMAC-SHA256 Access=AKTEST, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=2ca1dceb06b27da0a6d10c8f903fee7a4719686b60dd40e294415c6451e6319b"
        );
    }

    #[test]
    fn vector_2_post_with_body() {
        let body = br#"{"kind":"NodePool","apiVersion":"v3","spec":{"nodePoolID":"np1","nodeIDs":["n1"],"maxUnavailable":1,"force":false,"nodeTemplate":{"lifeCycle":{},"login":{"sshKey":"kp1"}}}}"#;
        assert_eq!(body.len(), 172);
        let headers = standard_headers();
        let hash = payload_hash(&headers, body);
        assert_eq!(
            hash,
            "b27cb55e3c2acc2994e62c4cf2c61fc9f5a849c7ac08af2aa466c273e6569c6a"
        );
        let input = CanonicalInput {
            method: "POST",
            path: "/api/v3/projects/p1/clusters/c1/nodepools/np1/operation/upgrade",
            query: &[],
            signed_headers: &headers,
            payload_hash: &hash,
        };
        let canonical = canonical_request(&input);
        assert_eq!(
            canonical,
            "POST\n\
             /api/v3/projects/p1/clusters/c1/nodepools/np1/operation/upgrade/\n\
             \n\
             content-type:application/json\n\
             host:cce.ap-southeast-1.myhuaweicloud.com\n\
             x-project-id:p1\n\
             x-sdk-date:20261124T120000Z\n\
             \n\
             content-type;host;x-project-id;x-sdk-date\n\
             b27cb55e3c2acc2994e62c4cf2c61fc9f5a849c7ac08af2aa466c273e6569c6a"
        );
        assert_eq!(
            hash_line(&string_to_sign(DATE, &canonical)),
            "9ee96510ef19d86afac1a09eb2a716d452c4aa8d07d3dc121e6830a411d27d37"
        );
        assert_eq!(
            sign("AKTEST", "SKTEST", DATE, &input),
            "SDK-HMAC-SHA256 Access=AKTEST, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=b0534e3d0d169fc764f9cf25dd71f56392e9c13ca23312300e2cf4f89222f27d"
        );
    }

    #[test]
    fn vector_3_query_sorting_and_encoding() {
        let headers = standard_headers();
        let query = vec![
            ("marker".to_owned(), "a b/c".to_owned()),
            ("limit".to_owned(), "50".to_owned()),
            ("advanceStatus".to_owned(), "true".to_owned()),
        ];
        assert_eq!(
            canonical_query(&query),
            "advanceStatus=true&limit=50&marker=a%20b%2Fc"
        );
        assert_eq!(
            canonical_uri("/api/v3/projects/p1/clusters/c1/nodes"),
            "/api/v3/projects/p1/clusters/c1/nodes/"
        );
        let input = CanonicalInput {
            method: "GET",
            path: "/api/v3/projects/p1/clusters/c1/nodes",
            query: &query,
            signed_headers: &headers,
            payload_hash: EMPTY_PAYLOAD_SHA256,
        };
        assert_eq!(
            hash_line(&string_to_sign(DATE, &canonical_request(&input))),
            "202cca1567173e4be787306ccdfb922444adee41eb7384338b03fc2b6daa0e58"
        );
        assert_eq!(
            sign("AKTEST", "SKTEST", DATE, &input),
            "SDK-HMAC-SHA256 Access=AKTEST, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=775a8cf4eca1d97a89b2ab5782b5d0d252538e696b99857dae016cac9ab52419"
        );
        // The server side re-canonicalises the query it received.
        assert_eq!(
            parse_query("advanceStatus=true&limit=50&marker=a%20b%2Fc"),
            vec![
                ("advanceStatus".to_owned(), "true".to_owned()),
                ("limit".to_owned(), "50".to_owned()),
                ("marker".to_owned(), "a b/c".to_owned()),
            ]
        );
    }

    #[test]
    fn vector_4_minimal_headers() {
        let headers = signable_headers([("X-Sdk-Date", DATE), ("Host", HOST)]);
        let input = CanonicalInput {
            method: "GET",
            path: "/api/v3/projects/p1/jobs/job-1",
            query: &[],
            signed_headers: &headers,
            payload_hash: EMPTY_PAYLOAD_SHA256,
        };
        assert_eq!(signed_header_names(&headers), "host;x-sdk-date");
        assert_eq!(
            hash_line(&string_to_sign(DATE, &canonical_request(&input))),
            "fe1007fe4f2ce96d09227c73280620f676635e5e72c749bd4dbe11aede90b203"
        );
        assert_eq!(
            sign("AKTEST", "SKTEST", DATE, &input),
            "SDK-HMAC-SHA256 Access=AKTEST, SignedHeaders=host;x-sdk-date, Signature=48e440d0ac00ce2e12dce429f8c348632727ad2af05c57d6fefa1f6dcd867ad7"
        );
    }

    #[test]
    fn headers_with_underscores_are_not_signed_and_values_are_trimmed() {
        let headers = signable_headers([
            ("X_Custom", "skipped"),
            ("User-Agent", "  poolform/0.1  "),
            ("Host", HOST),
        ]);
        assert_eq!(
            headers,
            vec![
                ("host".to_owned(), HOST.to_owned()),
                ("user-agent".to_owned(), "poolform/0.1".to_owned()),
            ]
        );
    }

    #[test]
    fn canonical_uri_reencodes_segments() {
        assert_eq!(canonical_uri("/a%20b/c~d/"), "/a%20b/c~d/");
        assert_eq!(canonical_uri("/a b/ü"), "/a%20b/%C3%BC/");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn unsigned_payload_replaces_the_body_hash() {
        assert!(needs_unsigned_payload(Some("text/plain")));
        assert!(!needs_unsigned_payload(Some(
            "application/json;charset=utf8"
        )));
        assert!(!needs_unsigned_payload(None));
        let headers = vec![(
            "x-sdk-content-sha256".to_owned(),
            UNSIGNED_PAYLOAD.to_owned(),
        )];
        assert_eq!(payload_hash(&headers, b"anything"), UNSIGNED_PAYLOAD);
    }

    #[test]
    fn authorization_parses_back() {
        let parsed = parse_authorization(
            "SDK-HMAC-SHA256 Access=AKTEST, SignedHeaders=host;x-sdk-date, Signature=48e4",
        )
        .expect("well formed");
        assert_eq!(parsed.access_key, "AKTEST");
        assert_eq!(parsed.signed_headers, vec!["host", "x-sdk-date"]);
        assert_eq!(parsed.signature, "48e4");
        assert_eq!(parse_authorization("Bearer abc"), None);
        assert_eq!(
            parse_authorization("SDK-HMAC-SHA256 Access=AK, Signature=x"),
            None
        );
    }

    #[test]
    fn sdk_date_round_trips() {
        let time = parse_sdk_date(DATE).expect("valid date");
        assert_eq!(format_sdk_date(time), DATE);
        assert_eq!(parse_sdk_date("2026-11-24"), None);
    }

    #[test]
    fn signature_comparison() {
        assert!(signatures_match("abcd", "abcd"));
        assert!(!signatures_match("abcd", "abce"));
        assert!(!signatures_match("abcd", "abc"));
    }
}
