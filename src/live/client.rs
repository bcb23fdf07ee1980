//! [`CceClient`]: the reqwest (rustls) client of the CCE v3 API, implementing
//! [`crate::api::CceApi`].
//!
//! Every request carries `Content-Type: application/json`, `X-Project-Id` and
//! either an SDK-HMAC-SHA256 signature (AK/SK, see [`crate::sign`]) or an
//! `X-Auth-Token`; every attempt has a timeout. How many requests are in
//! flight at once is learnt per client (one client per endpoint): see
//! [`super::limit`]. Every attempt, retries included, waits for a slot, and
//! throttling and timeouts shrink the number of slots, so a throttled
//! server sees fewer requests rather than the same number retried. How fast
//! requests are sent is learnt too ([`super::pace`]): after a throttling
//! answer every attempt waits for leave to send, one probe goes while the
//! server refuses, and a throttled request has no backoff of its own.
//!
//! Retries, with exponential backoff and jitter ([`RetryPolicy`]):
//! - reads (GET): connection errors, timeouts, 429 and 5xx;
//! - writes (POST, PUT, DELETE): 429 only (CCE and its gateway answer 429
//!   before doing anything), and connection errors that happened before the
//!   request was sent.
//!
//! A write that timed out or lost its connection after being sent is never
//! re-sent: CCE may have carried it out. The client returns
//! [`LiveError::OutcomeUnknown`] and the caller re-reads the live state to
//! decide; for a sync, `live::fetch::sync_progress` tells from the batch's
//! nodes whether CCE started it. poolform chose this over re-reading inside
//! the client because only apply knows what it expected the nodes to look
//! like, and because a re-read right after the lost request can easily see
//! nothing yet while the reset is already queued: apply polls with its own
//! deadline instead.
//!
//! When retries run out, the last error is returned as it is, so that its
//! message names the status, code, message and request id of the final
//! answer; each retry is logged (tracing, `warn`) with its attempt number.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;
use url::Url;

use super::auth::{self, Credentials, Secret};
use super::limit::{AdaptiveLimit, Signal};
use super::pace::{Outcome, PaceState, Quota, SendRate};
use super::{LiveError, Service, wire};
use crate::model::ClusterId;
use crate::sign;

mod operations;
mod options;
mod retry;

pub use operations::protect_node_count;
pub use options::{
    ClientOptions, DEFAULT_MAX_CONCURRENCY, check_endpoint, endpoint_for, region_endpoint,
};
pub use retry::{
    RetryPolicy, THROTTLING_CODES, TransportFailure, is_throttling, retry_status, retry_transport,
};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("poolform/", env!("CARGO_PKG_VERSION"));
/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";
/// The largest `limit` ListNodes accepts.
pub const MAX_PAGE_LIMIT: u32 = 2000;

/// One HTTP request to the CCE API.
struct Call {
    method: Method,
    /// Path segments after `/api/v3/projects/{project_id}`.
    segments: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// The SDK's name of the operation, e.g. `ListNodes`.
    what: &'static str,
}

impl Call {
    fn new(method: Method, what: &'static str, segments: &[&str]) -> Self {
        Self {
            method,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: None,
            what,
        }
    }

    fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    fn json<T: Serialize>(mut self, body: &T) -> Result<Self, LiveError> {
        let bytes = serde_json::to_vec(body).map_err(|source| LiveError::Encode {
            what: self.what.to_owned(),
            source,
        })?;
        self.body = Some(bytes);
        Ok(self)
    }

    fn is_read(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }
}

/// A complete HTTP answer.
struct Answer {
    status: StatusCode,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// The CCE API client. Cheap to share behind a reference; one per run.
#[derive(Debug)]
pub struct CceClient {
    http: reqwest::Client,
    options: ClientOptions,
    /// The IAM token of a password login, fetched on first use.
    token: OnceCell<Secret>,
    limit: AdaptiveLimit,
    pace: SendRate,
}

impl CceClient {
    /// Builds a client. Fails only when the TLS backend cannot be set up.
    pub fn new(options: ClientOptions) -> Result<Self, LiveError> {
        let mut options = options;
        options.page_limit = options.page_limit.clamp(1, MAX_PAGE_LIMIT);
        options.retry.max_attempts = options.retry.max_attempts.max(1);
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            // A redirect would carry a signature for another URL, or the token
            // to another host: neither is wanted.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|source| LiveError::Client { source })?;
        let limit = AdaptiveLimit::new(options.max_concurrency);
        let pace = SendRate::from_state(
            PaceState::new(options.retry.base_delay, options.retry.max_delay)
                .with_renewal_cap(options.retry.retry_after_cap()),
        );
        Ok(Self {
            http,
            options,
            token: OnceCell::new(),
            limit,
            pace,
        })
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The adaptive limit on requests in flight (for progress and tests).
    pub fn limit(&self) -> &AdaptiveLimit {
        &self.limit
    }

    /// The learnt send rate (for progress and tests).
    pub fn pace(&self) -> &SendRate {
        &self.pace
    }

    /// ListNodePools (DefaultPool included) as CCE answered it, each pool
    /// the JSON object it was: for `poolform import`, which must see the
    /// fields the wire types do not keep, to say which of them the
    /// configuration cannot express.
    pub async fn list_pools_json(
        &self,
        cluster: &ClusterId,
    ) -> Result<Vec<serde_json::Value>, LiveError> {
        let call = Call::new(
            Method::GET,
            "ListNodePools",
            &["clusters", cluster.as_str(), "nodepools"],
        )
        .query("showDefaultNodePool", "true");
        let list: wire::List<serde_json::Value> = self.call_json(call).await?;
        Ok(list.items)
    }

    /// One page of ListNodes.
    pub async fn list_nodes_page(
        &self,
        cluster: &ClusterId,
        marker: Option<&str>,
    ) -> Result<wire::List<wire::Node>, LiveError> {
        let mut call = Call::new(
            Method::GET,
            "ListNodes",
            &["clusters", cluster.as_str(), "nodes"],
        )
        .query("limit", self.options.page_limit.to_string());
        if let Some(marker) = marker {
            call = call.query("marker", marker);
        }
        self.call_json(call).await
    }

    fn url(&self, call: &Call) -> Result<Url, LiveError> {
        let mut url = self.options.endpoint.clone();
        {
            let mut segments =
                url.path_segments_mut()
                    .map_err(|()| LiveError::InvalidEndpoint {
                        endpoint: self.options.endpoint.to_string(),
                        reason: super::EndpointRefusal::CannotCarryPath,
                    })?;
            segments
                .pop_if_empty()
                .extend(["api", "v3", "projects", self.options.project_id.as_str()])
                .extend(&call.segments);
        }
        // The signer canonicalises the query; sending that very string keeps
        // what is signed and what is sent identical, as the SDK does.
        let query = sign::canonical_query(&call.query);
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        Ok(url)
    }

    /// The authentication and standard headers of one attempt.
    async fn headers(&self, call: &Call, url: &Url) -> Result<HeaderMap, LiveError> {
        let mut pairs: Vec<(&str, String)> = vec![
            ("Content-Type", "application/json".to_owned()),
            ("User-Agent", USER_AGENT.to_owned()),
            ("X-Project-Id", self.options.project_id.clone()),
        ];
        match &self.options.credentials {
            Credentials::AkSk {
                access_key,
                secret_key,
                security_token,
            } => {
                let date = sign::format_sdk_date(chrono::Utc::now());
                pairs.push((sign::DATE_HEADER, date.clone()));
                if let Some(token) = security_token {
                    pairs.push(("X-Security-Token", token.expose().to_owned()));
                }
                // hyper sends `Host` as the URL's host plus any non-default
                // port; the url crate drops default ports the same way.
                let host = match (url.host_str(), url.port()) {
                    (Some(host), Some(port)) => format!("{host}:{port}"),
                    (Some(host), None) => host.to_owned(),
                    (None, _) => String::new(),
                };
                let mut signed_input: Vec<(&str, &str)> =
                    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                signed_input.push(("Host", host.as_str()));
                let signed = sign::signable_headers(signed_input);
                let body = call.body.as_deref().unwrap_or_default();
                let hash = sign::payload_hash(&signed, body);
                let authorization = sign::sign(
                    access_key.expose(),
                    secret_key.expose(),
                    &date,
                    &sign::CanonicalInput {
                        method: call.method.as_str(),
                        path: url.path(),
                        query: &call.query,
                        signed_headers: &signed,
                        payload_hash: &hash,
                    },
                );
                pairs.push(("Authorization", authorization));
            }
            Credentials::Token(token) => pairs.push(("X-Auth-Token", token.expose().to_owned())),
            Credentials::Password(_) => {
                let token = self.password_token().await?;
                pairs.push(("X-Auth-Token", token.expose().to_owned()));
            }
        }
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| LiveError::Auth {
                reason: super::AuthProblem::InvalidHeaderName {
                    name: name.to_owned(),
                },
            })?;
            // The value may be a secret: name only the header.
            let mut value = HeaderValue::from_str(&value).map_err(|_| LiveError::Auth {
                reason: super::AuthProblem::InvalidHeaderValue {
                    name: name.to_string(),
                },
            })?;
            if matches!(
                name.as_str(),
                "authorization" | "x-auth-token" | "x-security-token"
            ) {
                value.set_sensitive(true);
            }
            headers.insert(name, value);
        }
        Ok(headers)
    }

    async fn password_token(&self) -> Result<&Secret, LiveError> {
        let Credentials::Password(login) = &self.options.credentials else {
            return Err(LiveError::Auth {
                reason: super::AuthProblem::NoPasswordLogin,
            });
        };
        self.token
            .get_or_try_init(|| async {
                let endpoint = login.endpoint.as_deref().ok_or(LiveError::Auth {
                    reason: super::AuthProblem::NoIamEndpoint,
                })?;
                let iam = check_endpoint(endpoint)?;
                tracing::debug!(iam = %iam, user = %login.user, "requesting an IAM token");
                auth::request_iam_token(
                    &self.http,
                    &iam,
                    login,
                    &self.options.project_id,
                    self.options.timeout,
                )
                .await
            })
            .await
    }

    /// One attempt: send, read the whole answer, within the timeout.
    async fn attempt(
        &self,
        call: &Call,
        url: &Url,
        headers: HeaderMap,
    ) -> Result<Answer, (TransportFailure, Option<reqwest::Error>)> {
        let mut request = self
            .http
            .request(call.method.clone(), url.clone())
            .headers(headers);
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let exchange = async {
            let response = request.send().await.map_err(|error| {
                let failure = if error.is_connect() {
                    TransportFailure::Connect
                } else if error.is_timeout() {
                    TransportFailure::Timeout
                } else {
                    TransportFailure::Lost
                };
                (failure, Some(error))
            })?;
            let status = response.status();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned)
            };
            let request_id = header(REQUEST_ID_HEADER);
            let retry_after = header("Retry-After")
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(|secs| Duration::from_secs(secs).min(self.options.retry.retry_after_cap()));
            let body = response
                .bytes()
                .await
                .map_err(|error| (TransportFailure::Lost, Some(error)))?
                .to_vec();
            Ok(Answer {
                status,
                request_id,
                retry_after,
                body,
            })
        };
        match tokio::time::timeout(self.options.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err((TransportFailure::Timeout, None)),
        }
    }

    /// Sends a call with retries; returns the body of a 2xx answer.
    async fn call(&self, call: Call) -> Result<Vec<u8>, LiveError> {
        let url = self.url(&call)?;
        let operation = format!("{} ({} {})", call.what, call.method, url.path());
        let policy = self.options.retry;
        let mut attempt = 1;
        let mut throttled_since: Option<Instant> = None;
        loop {
            // Leave to send first (see `super::pace`): a retry of a
            // throttled request waits here with every other request.
            let (leave, permit) = loop {
                let leave = self.pace.acquire().await;
                // Signed after waiting for a slot, so the signature's date is
                // fresh; the slot is given back before any backoff, so waiting
                // out throttling takes nothing from other requests.
                let permit = self.limit.acquire().await;
                if leave.is_current() {
                    break (leave, permit);
                }
            };
            let started = Instant::now();
            let headers = self.headers(&call, &url).await?;
            let result = self.attempt(&call, &url, headers).await;
            let (retryable, retry_after, error) = match result {
                Ok(answer) if answer.status.is_success() => {
                    permit.release(Signal::Success);
                    leave.record(Outcome::Success);
                    tracing::debug!(
                        operation = %operation,
                        status = answer.status.as_u16(),
                        request_id = answer.request_id.as_deref().unwrap_or(""),
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        attempt,
                        "CCE request done"
                    );
                    return Ok(answer.body);
                }
                Ok(answer) => {
                    let error = LiveError::from_response(
                        answer.status.as_u16(),
                        &answer.body,
                        answer.request_id,
                    );
                    permit.release(if is_throttling(&error) {
                        Signal::Throttled
                    } else {
                        Signal::Ignore
                    });
                    (
                        retry_status(call.is_read(), answer.status.as_u16()),
                        answer.retry_after,
                        error,
                    )
                }
                Err((failure, source)) => {
                    permit.release(if failure == TransportFailure::Timeout {
                        Signal::Timeout
                    } else {
                        Signal::Ignore
                    });
                    (
                        retry_transport(call.is_read(), failure),
                        None,
                        self.transport_error(&call, &operation, failure, source),
                    )
                }
            };
            leave.record(if is_throttling(&error) {
                Outcome::Throttled {
                    retry_after,
                    quota: error.message().and_then(Quota::advertised_in),
                }
            } else {
                Outcome::Other
            });
            if error.status() == Some(429) {
                throttled_since.get_or_insert(started);
            } else {
                throttled_since = None;
            }
            let delay = if is_throttling(&error) {
                // The pace holds every request while the server refuses,
                // Retry-After included; a backoff of its own on top would
                // only leave the quota unused once it renews.
                Duration::ZERO
            } else {
                policy.delay(attempt, rand::random::<f64>(), retry_after)
            };
            let throttled_for = throttled_since.map(|since| since.elapsed());
            if !retryable || !policy.again(attempt, throttled_for, delay) {
                return Err(error);
            }
            tracing::warn!(
                operation = %operation,
                attempt,
                max_attempts = policy.max_attempts,
                delay_ms = delay.as_millis() as u64,
                error = %error,
                "CCE request failed; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    fn transport_error(
        &self,
        call: &Call,
        operation: &str,
        failure: TransportFailure,
        source: Option<reqwest::Error>,
    ) -> LiveError {
        let operation = operation.to_owned();
        let after = self.options.timeout;
        match (failure, source) {
            (TransportFailure::Connect, Some(source)) => LiveError::Connect {
                service: Service::Cce,
                operation,
                source,
            },
            (TransportFailure::Timeout, _) if call.is_read() => LiveError::Timeout {
                service: Service::Cce,
                operation,
                after,
            },
            (TransportFailure::Timeout, _) => LiveError::OutcomeUnknown {
                operation,
                reason: super::UnknownOutcome::TimedOut { after },
            },
            (TransportFailure::Lost, Some(source)) if call.is_read() => LiveError::Connect {
                service: Service::Cce,
                operation,
                source,
            },
            (TransportFailure::Lost | TransportFailure::Connect, _) => LiveError::OutcomeUnknown {
                operation,
                reason: super::UnknownOutcome::ConnectionLost,
            },
        }
    }

    async fn call_json<T: DeserializeOwned>(&self, call: Call) -> Result<T, LiveError> {
        let what = call.what;
        let body = self.call(call).await?;
        decode(what, &body)
    }
}

/// Decodes a JSON answer; a malformed one becomes [`LiveError::Decode`]
/// naming the operation and the parser's position, never a panic.
fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, LiveError> {
    serde_json::from_slice(body).map_err(|error| LiveError::Decode {
        what: format!("{what} response"),
        source: super::DecodeProblem::Json(error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::request;
    use crate::model::CloudSettings;

    fn settings(region: Option<&str>, endpoint: Option<&str>) -> CloudSettings {
        CloudSettings {
            region: region.map(str::to_owned),
            endpoint: endpoint.map(str::to_owned),
            project_id: Some("p1".to_owned()),
            max_concurrency: None,
            provider: None,
        }
    }

    #[test]
    fn endpoint_from_region() {
        assert_eq!(
            endpoint_for(&settings(Some("ap-southeast-1"), None))
                .expect("valid")
                .as_str(),
            "https://cce.ap-southeast-1.myhuaweicloud.com/"
        );
        assert_eq!(
            endpoint_for(&settings(Some("eu-west-101"), None))
                .expect("valid")
                .as_str(),
            "https://cce.eu-west-101.myhuaweicloud.eu/"
        );
    }

    #[test]
    fn explicit_endpoint_wins() {
        assert_eq!(
            endpoint_for(&settings(
                Some("ap-southeast-1"),
                Some("https://cce.eu-de.otc.t-systems.com")
            ))
            .expect("valid")
            .as_str(),
            "https://cce.eu-de.otc.t-systems.com/"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8765",
            "http://localhost:1",
            "http://[::1]:9000",
            "http://127.1.2.3",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        let error = check_endpoint("http://cce.example.com").expect_err("not loopback");
        assert!(
            error.to_string().contains("plain http is refused"),
            "{error}"
        );
        assert!(check_endpoint("ftp://x").is_err());
        assert!(check_endpoint("https://user:pw@x").is_err());
        assert!(check_endpoint("https://x/?a=b").is_err());
        assert!(check_endpoint("not a url").is_err());
    }

    #[test]
    fn missing_region_and_bad_region() {
        let error = endpoint_for(&settings(None, None)).expect_err("nothing set");
        assert!(
            error.to_string().contains("neither [cloud] region"),
            "{error}"
        );
        assert!(region_endpoint("AP_1").is_err());
        assert!(region_endpoint("ap-").is_err());
        assert!(region_endpoint("evil.com/x").is_err());
    }

    #[test]
    fn options_from_settings_and_environment() {
        let vars = |name: &str| match name {
            "CLOUD_SDK_AK" => Some("AK".to_owned()),
            "CLOUD_SDK_SK" => Some("SK".to_owned()),
            "CLOUD_SDK_PROJECT_ID" => Some("from-env".to_owned()),
            _ => None,
        };
        let mut cloud = settings(Some("ap-southeast-1"), None);
        let options = ClientOptions::from_settings_with(&cloud, vars).expect("complete");
        assert_eq!(options.project_id, "p1");
        assert_eq!(options.credentials, Credentials::ak_sk("AK", "SK"));
        cloud.project_id = None;
        let options = ClientOptions::from_settings_with(&cloud, vars).expect("complete");
        assert_eq!(options.project_id, "from-env");
        let error = ClientOptions::from_settings_with(&cloud, |_| None).expect_err("no project");
        assert!(error.to_string().contains("no project id"), "{error}");
    }

    #[test]
    fn password_login_gets_the_regions_iam_endpoint() {
        let vars = |name: &str| match name {
            "CLOUD_SDK_IAM_USER" => Some("u".to_owned()),
            "CLOUD_SDK_IAM_PASSWORD" => Some("pw".to_owned()),
            "CLOUD_SDK_IAM_DOMAIN" => Some("d".to_owned()),
            _ => None,
        };
        let options = ClientOptions::from_settings_with(&settings(Some("la-south-2"), None), vars)
            .expect("complete");
        let Credentials::Password(login) = options.credentials else {
            panic!("expected a password login");
        };
        assert_eq!(
            login.endpoint.as_deref(),
            Some("https://iam.la-south-2.myhuaweicloud.com")
        );
    }

    #[test]
    fn retry_classification() {
        // Reads: 429 and 5xx.
        assert!(retry_status(true, 429));
        assert!(retry_status(true, 500));
        assert!(retry_status(true, 503));
        assert!(!retry_status(true, 404));
        assert!(!retry_status(true, 401));
        // Writes: only 429, which means "not processed".
        assert!(retry_status(false, 429));
        assert!(!retry_status(false, 500));
        assert!(!retry_status(false, 409));
        // Transport: writes only when nothing was sent.
        assert!(retry_transport(true, TransportFailure::Timeout));
        assert!(retry_transport(true, TransportFailure::Lost));
        assert!(retry_transport(false, TransportFailure::Connect));
        assert!(!retry_transport(false, TransportFailure::Timeout));
        assert!(!retry_transport(false, TransportFailure::Lost));
    }

    #[test]
    fn throttling_is_ridden_out_past_a_one_minute_window() {
        let policy = RetryPolicy::default();
        // Every answer a 429 without Retry-After, the shortest jitter: the
        // client keeps trying for longer than the gateway's window.
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let delay = policy.delay(attempt, 0.0, None);
            if !policy.again(attempt, Some(waited), delay) {
                break;
            }
            waited += delay;
            attempt += 1;
        }
        assert!(waited > Duration::from_secs(60), "gave up after {waited:?}");
        assert!(waited <= policy.throttle_window);
        // A Retry-After longer than the usual cap is honoured.
        assert_eq!(
            policy.delay(1, 0.0, Some(Duration::from_secs(40))),
            Duration::from_secs(40)
        );
        // Other failures still stop at max_attempts.
        assert!(!policy.again(policy.max_attempts, None, Duration::ZERO));
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            throttle_window: Duration::ZERO,
        };
        assert_eq!(policy.delay(1, 0.0, None), Duration::from_millis(50));
        assert_eq!(policy.delay(1, 1.0, None), Duration::from_millis(100));
        assert_eq!(policy.delay(2, 1.0, None), Duration::from_millis(200));
        assert_eq!(policy.delay(3, 0.5, None), Duration::from_millis(300));
        assert_eq!(policy.delay(10, 1.0, None), Duration::from_millis(1000));
        assert_eq!(policy.delay(40, 1.0, None), Duration::from_millis(1000));
        assert_eq!(
            policy.delay(1, 0.0, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        assert_eq!(
            policy.delay(1, 0.0, Some(Duration::from_secs(60))),
            Duration::from_millis(1000)
        );
    }

    #[test]
    fn update_protects_the_node_count() {
        let unmanaged = request::NodePoolUpdate::default();
        assert!(
            protect_node_count(&unmanaged)
                .spec
                .ignore_initial_node_count
        );
        let mut managed = request::NodePoolUpdate::default();
        managed.spec.initial_node_count = Some(3);
        let protected = protect_node_count(&managed);
        assert!(!protected.spec.ignore_initial_node_count);
        assert_eq!(protected.spec.initial_node_count, Some(3));
    }

    #[test]
    fn urls_are_built_under_the_endpoint_and_encoded() {
        let endpoint = check_endpoint("https://proxy.example.com/cce/").expect("valid");
        let client = CceClient::new(ClientOptions::new(endpoint, "p1", Credentials::token("t")))
            .expect("client");
        let call = Call::new(Method::GET, "ListNodes", &["clusters", "c 1/x", "nodes"])
            .query("marker", "a b")
            .query("limit", "5");
        assert_eq!(
            client.url(&call).expect("url").as_str(),
            "https://proxy.example.com/cce/api/v3/projects/p1/clusters/c%201%2Fx/nodes?limit=5&marker=a%20b"
        );
    }

    #[test]
    fn malformed_body_is_a_decode_error() {
        let error = decode::<wire::Job>("ShowJob", b"{\"kind\": ").expect_err("truncated");
        assert!(
            error
                .to_string()
                .starts_with("malformed ShowJob response from CCE: EOF while parsing"),
            "{error}"
        );
        let error = decode::<wire::List<wire::Node>>("ListNodes", b"<html>").expect_err("html");
        assert!(matches!(error, LiveError::Decode { .. }));
    }
}
