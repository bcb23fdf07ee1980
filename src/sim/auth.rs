//! The simulator's side of API gateway authentication: verifying
//! SDK-HMAC-SHA256 (AK/SK) signatures and `X-Auth-Token` tokens.
//!
//! The canonicalisation is the client's own ([`crate::sign`]), so
//! signer and verifier cannot drift apart; both are checked against the
//! published test vectors of `reference/cce-api.md` §9 (the signer in its
//! module, the verifier here). The verifier re-canonicalises what it
//! received: the raw query is decoded and sorted again, the signed headers
//! are read from the request, the body hash is taken over the bytes that
//! arrived.

use std::collections::{BTreeMap, BTreeSet};

use axum::http;
use chrono::{DateTime, Utc};

use crate::sign;

/// The largest accepted difference between `X-Sdk-Date` and the server clock.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Which credentials the simulator accepts. `Debug` never shows a secret,
/// and it is deliberately not serialisable, so it never lands in a file.
#[derive(Clone, Default)]
pub struct SimAuth {
    /// When false every request is accepted (tests that do not care).
    pub enabled: bool,
    /// Accepted access keys and their secret keys.
    pub credentials: BTreeMap<String, String>,
    /// Accepted `X-Auth-Token` values.
    pub tokens: BTreeSet<String>,
    /// IAM users (`name` → password) that may obtain a token from
    /// `POST /v3/auth/tokens`. Empty with auth disabled means anyone may.
    pub users: BTreeMap<String, String>,
}

impl std::fmt::Debug for SimAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAuth")
            .field("enabled", &self.enabled)
            .field("access_keys", &self.credentials.keys().collect::<Vec<_>>())
            .field("tokens", &format_args!("<{} redacted>", self.tokens.len()))
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SimAuth {
    /// Accept every request, signed or not.
    pub fn none() -> Self {
        Self::default()
    }

    /// Accept requests signed with this AK/SK pair.
    pub fn with_aksk(mut self, ak: impl Into<String>, sk: impl Into<String>) -> Self {
        self.enabled = true;
        self.credentials.insert(ak.into(), sk.into());
        self
    }

    /// Accept this `X-Auth-Token`.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.enabled = true;
        self.tokens.insert(token.into());
        self
    }

    /// Let this IAM user obtain tokens with a password.
    pub fn with_user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.enabled = true;
        self.users.insert(name.into(), password.into());
        self
    }
}

/// Why a request was not authenticated. The messages are the gateway's own
/// words where known, and never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// Neither `Authorization` nor `X-Auth-Token` was sent.
    #[error("Incorrect IAM authentication information: the request carries no authentication")]
    Missing,
    /// `Authorization` is not `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
    #[error("Incorrect IAM authentication information: malformed Authorization header")]
    MalformedHeader,
    /// `X-Sdk-Date` is absent or not `%Y%m%dT%H%M%SZ`.
    #[error("Incorrect IAM authentication information: missing or malformed X-Sdk-Date")]
    MalformedDate,
    /// A header named in `SignedHeaders` was not sent.
    #[error("Incorrect IAM authentication information: signed header {header} is missing")]
    MissingSignedHeader {
        /// The header name.
        header: String,
    },
    /// The access key is unknown.
    #[error("Incorrect IAM authentication information: unknown access key")]
    UnknownAccessKey,
    /// The signature does not match.
    #[error("Incorrect IAM authentication information: verify aksk signature fail")]
    BadSignature,
    /// `X-Sdk-Date` is more than 15 minutes away from the server clock.
    #[error("Incorrect IAM authentication information: signature expired")]
    Expired,
    /// The token is unknown.
    #[error("Incorrect IAM authentication information: decrypt token fail")]
    BadToken,
}

impl AuthFailure {
    /// The API gateway error code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Expired => "APIG.0303",
            _ => "APIG.0301",
        }
    }
}

/// A request as the verifier sees it.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path as received (still percent-encoded).
    pub path: &'a str,
    /// The raw query as received, without `?`.
    pub query: Option<&'a str>,
    /// The request headers.
    pub headers: &'a http::HeaderMap,
    /// The exact body bytes.
    pub body: &'a [u8],
}

fn header_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

/// Verifies a request against `auth` at server time `now`: a known token in
/// `X-Auth-Token`, or a valid AK/SK signature within the allowed skew.
pub fn verify(
    auth: &SimAuth,
    issued_tokens: &BTreeSet<String>,
    request: SignedRequest<'_>,
    now: DateTime<Utc>,
) -> Result<(), AuthFailure> {
    if !auth.enabled {
        return Ok(());
    }
    if let Some(token) = header_value(request.headers, "x-auth-token") {
        return if auth.tokens.contains(&token) || issued_tokens.contains(&token) {
            Ok(())
        } else {
            Err(AuthFailure::BadToken)
        };
    }
    let authorization =
        header_value(request.headers, "authorization").ok_or(AuthFailure::Missing)?;
    let parsed = sign::parse_authorization(&authorization).ok_or(AuthFailure::MalformedHeader)?;
    let date =
        header_value(request.headers, sign::DATE_HEADER).ok_or(AuthFailure::MalformedDate)?;
    let signed_at = sign::parse_sdk_date(&date).ok_or(AuthFailure::MalformedDate)?;
    let secret_key = auth
        .credentials
        .get(&parsed.access_key)
        .ok_or(AuthFailure::UnknownAccessKey)?;
    // The headers the client says it signed, in its order, read from what
    // arrived; a header it names but did not send cannot be verified.
    let mut signed_headers = Vec::with_capacity(parsed.signed_headers.len());
    for name in &parsed.signed_headers {
        let name = name.to_ascii_lowercase();
        let value = header_value(request.headers, &name).ok_or_else(|| {
            AuthFailure::MissingSignedHeader {
                header: name.clone(),
            }
        })?;
        signed_headers.push((name, value.trim().to_owned()));
    }
    let received: Vec<(String, String)> = request
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let payload_hash = sign::payload_hash(&received, request.body);
    let query = sign::parse_query(request.query.unwrap_or_default());
    let canonical = sign::canonical_request(&sign::CanonicalInput {
        method: request.method,
        path: request.path,
        query: &query,
        signed_headers: &signed_headers,
        payload_hash: &payload_hash,
    });
    let expected = sign::signature(secret_key, &sign::string_to_sign(date.trim(), &canonical));
    if !sign::signatures_match(&expected, &parsed.signature) {
        return Err(AuthFailure::BadSignature);
    }
    // The signature is checked first so that a stale but otherwise valid
    // request is told "expired", the more useful diagnosis.
    if (now - signed_at).num_seconds().abs() > MAX_SKEW_SECONDS {
        return Err(AuthFailure::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "cce.ap-southeast-1.myhuaweicloud.com";
    const DATE: &str = "20261124T120000Z";
    const STANDARD_SIGNED: &str = "content-type;host;x-project-id;x-sdk-date";

    /// The request headers of the vectors (V1–V3; V4 has only the date and
    /// the host), with the vector's `Authorization`.
    fn headers(standard: bool, signature: &str) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        if standard {
            map.insert(
                "content-type",
                http::HeaderValue::from_static("application/json"),
            );
            map.insert("x-project-id", http::HeaderValue::from_static("p1"));
        }
        map.insert("x-sdk-date", http::HeaderValue::from_static(DATE));
        map.insert("host", http::HeaderValue::from_static(HOST));
        let signed = if standard {
            STANDARD_SIGNED
        } else {
            "host;x-sdk-date"
        };
        let authorization =
            format!("SDK-HMAC-SHA256 Access=AKTEST, SignedHeaders={signed}, Signature={signature}");
        map.insert(
            http::header::AUTHORIZATION,
            authorization.parse().expect("valid header value"),
        );
        map
    }

    fn at_vector_time() -> DateTime<Utc> {
        sign::parse_sdk_date(DATE).expect("valid date")
    }

    fn check(
        auth: &SimAuth,
        headers: &http::HeaderMap,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), AuthFailure> {
        let request = SignedRequest {
            method,
            path,
            query,
            headers,
            body,
        };
        verify(auth, &BTreeSet::new(), request, now)
    }

    fn vector_auth() -> SimAuth {
        SimAuth::none().with_aksk("AKTEST", "SKTEST")
    }

    const V2_BODY: &str = r#"{"kind":"NodePool","apiVersion":"v3","spec":{"nodePoolID":"np1","nodeIDs":["n1"],"maxUnavailable":1,"force":false,"nodeTemplate":{"lifeCycle":{},"login":{"sshKey":"kp1"}}}}"#;
    const V2_PATH: &str = "/api/v3/projects/p1/clusters/c1/nodepools/np1/operation/upgrade";
    const V2_SIGNATURE: &str = "b0534e3d0d169fc764f9cf25dd71f56392e9c13ca23312300e2cf4f89222f27d";

    #[test]
    fn accepts_the_four_reference_vectors() {
        let auth = vector_auth();
        let now = at_vector_time();
        let v1 = headers(
            true,
            "2ca1dceb06b27da0a6d10c8f903fee7a4719686b60dd40e294415c6451e6319b",
        );
        let v1_path = "/api/v3/projects/p1/clusters/c1/nodepools";
        assert_eq!(
            check(&auth, &v1, "GET", v1_path, Some("x=1"), b"", now),
            Ok(())
        );

        let v2 = headers(true, V2_SIGNATURE);
        let v2_body = V2_BODY.as_bytes();
        assert_eq!(
            check(&auth, &v2, "POST", V2_PATH, None, v2_body, now),
            Ok(())
        );

        // V3 as the SDK sends it, and with the raw query in another order:
        // the verifier canonicalises what it receives.
        let v3 = headers(
            true,
            "775a8cf4eca1d97a89b2ab5782b5d0d252538e696b99857dae016cac9ab52419",
        );
        let v3_path = "/api/v3/projects/p1/clusters/c1/nodes";
        for query in [
            "advanceStatus=true&limit=50&marker=a%20b%2Fc",
            "marker=a%20b%2Fc&limit=50&advanceStatus=true",
        ] {
            assert_eq!(
                check(&auth, &v3, "GET", v3_path, Some(query), b"", now),
                Ok(())
            );
        }

        let v4 = headers(
            false,
            "48e440d0ac00ce2e12dce429f8c348632727ad2af05c57d6fefa1f6dcd867ad7",
        );
        let v4_path = "/api/v3/projects/p1/jobs/job-1";
        assert_eq!(check(&auth, &v4, "GET", v4_path, None, b"", now), Ok(()));
    }

    #[test]
    fn rejects_tampering_wrong_keys_and_stale_dates() {
        let auth = vector_auth();
        let now = at_vector_time();
        let v2 = headers(true, V2_SIGNATURE);
        let tampered = V2_BODY.replace("\"n1\"", "\"n2\"");
        assert_eq!(
            check(&auth, &v2, "POST", V2_PATH, None, tampered.as_bytes(), now),
            Err(AuthFailure::BadSignature)
        );
        assert_eq!(
            check(&auth, &v2, "PUT", V2_PATH, None, V2_BODY.as_bytes(), now),
            Err(AuthFailure::BadSignature)
        );
        let wrong_sk = SimAuth::none().with_aksk("AKTEST", "OTHER");
        assert_eq!(
            check(
                &wrong_sk,
                &v2,
                "POST",
                V2_PATH,
                None,
                V2_BODY.as_bytes(),
                now
            ),
            Err(AuthFailure::BadSignature)
        );
        let other_ak = SimAuth::none().with_aksk("AKOTHER", "SKTEST");
        assert_eq!(
            check(
                &other_ak,
                &v2,
                "POST",
                V2_PATH,
                None,
                V2_BODY.as_bytes(),
                now
            ),
            Err(AuthFailure::UnknownAccessKey)
        );
        let later = now + chrono::Duration::minutes(16);
        assert_eq!(
            check(&auth, &v2, "POST", V2_PATH, None, V2_BODY.as_bytes(), later),
            Err(AuthFailure::Expired)
        );
        let earlier = now - chrono::Duration::minutes(14);
        assert_eq!(
            check(
                &auth,
                &v2,
                "POST",
                V2_PATH,
                None,
                V2_BODY.as_bytes(),
                earlier
            ),
            Ok(())
        );
        let mut without_project = v2.clone();
        without_project.remove("x-project-id");
        assert_eq!(
            check(
                &auth,
                &without_project,
                "POST",
                V2_PATH,
                None,
                V2_BODY.as_bytes(),
                now
            ),
            Err(AuthFailure::MissingSignedHeader {
                header: "x-project-id".to_owned()
            })
        );
        let mut garbled = v2.clone();
        garbled.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("Basic abc"),
        );
        assert_eq!(
            check(
                &auth,
                &garbled,
                "POST",
                V2_PATH,
                None,
                V2_BODY.as_bytes(),
                now
            ),
            Err(AuthFailure::MalformedHeader)
        );
    }

    #[test]
    fn tokens_and_missing_auth() {
        let auth = SimAuth::none().with_token("demo");
        let mut issued = BTreeSet::new();
        issued.insert("issued-1".to_owned());
        let mut headers = http::HeaderMap::new();
        let request = |headers: &http::HeaderMap| {
            verify(
                &auth,
                &issued,
                SignedRequest {
                    method: "GET",
                    path: "/",
                    query: None,
                    headers,
                    body: b"",
                },
                Utc::now(),
            )
        };
        assert_eq!(request(&headers), Err(AuthFailure::Missing));
        headers.insert("x-auth-token", http::HeaderValue::from_static("demo"));
        assert_eq!(request(&headers), Ok(()));
        headers.insert("x-auth-token", http::HeaderValue::from_static("issued-1"));
        assert_eq!(request(&headers), Ok(()));
        headers.insert("x-auth-token", http::HeaderValue::from_static("nope"));
        assert_eq!(request(&headers), Err(AuthFailure::BadToken));
    }

    #[test]
    fn debug_hides_secrets() {
        let auth = SimAuth::none()
            .with_aksk("AK1", "very-secret-sk")
            .with_token("secret-token")
            .with_user("alice", "hunter22");
        let shown = format!("{auth:?}");
        assert!(shown.contains("AK1"));
        for secret in ["very-secret-sk", "secret-token", "hunter22"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
