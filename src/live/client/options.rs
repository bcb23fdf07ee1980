//! What a [`CceClient`](super::CceClient) is built from: the endpoint (from
//! an explicit URL or a region), the project, the credentials and the
//! limits.

use std::time::Duration;

use url::Url;

use super::super::auth::{self, Credentials};
use super::RetryPolicy;
use crate::api::{AuthProblem, EndpointRefusal, LiveError};
use crate::model::CloudSettings;

/// The default cap on requests in flight per endpoint (`[cloud]
/// max_concurrency`, `--max-concurrency`): what the adaptive limit may not
/// grow past. It starts lower ([`crate::live::limit::INITIAL_LIMIT`]); the cap is
/// above the start so that a large fleet read that meets no throttling is
/// not held to 64 round trips at a time (100 clusters are 200 requests).
pub const DEFAULT_MAX_CONCURRENCY: usize = 256;

/// Everything a [`CceClient`](super::CceClient) needs.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The CCE endpoint, e.g. `https://cce.ap-southeast-1.myhuaweicloud.com`.
    pub endpoint: Url,
    /// The project id (path segment and `X-Project-Id`).
    pub project_id: String,
    /// How to authenticate.
    pub credentials: Credentials,
    /// Timeout of each attempt, from sending to the last body byte.
    pub timeout: Duration,
    /// Retries.
    pub retry: RetryPolicy,
    /// `limit` of each ListNodes page, 1..=2000.
    pub page_limit: u32,
    /// The cap on requests in flight at once through this client; the
    /// client starts at this cap or [`crate::live::limit::INITIAL_LIMIT`],
    /// whichever is lower, and adapts below it.
    pub max_concurrency: usize,
}

impl ClientOptions {
    /// Options with the defaults: 30 s timeout, [`RetryPolicy::default`],
    /// pages of 1000 nodes, at most [`DEFAULT_MAX_CONCURRENCY`] requests at
    /// once.
    pub fn new(endpoint: Url, project_id: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            endpoint,
            project_id: project_id.into(),
            credentials,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            page_limit: 1000,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
        }
    }

    /// Options for a configuration's `[cloud]` table, with credentials and
    /// the project id from the process environment (see [`super::auth`]).
    pub fn from_settings(settings: &CloudSettings) -> Result<Self, LiveError> {
        Self::from_settings_with(settings, |name| std::env::var(name).ok())
    }

    /// Like [`ClientOptions::from_settings`], reading variables through
    /// `lookup`.
    pub fn from_settings_with(
        settings: &CloudSettings,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, LiveError> {
        let endpoint = endpoint_for(settings)?;
        let project_id = settings
            .project_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .or_else(|| auth::project_id_from_lookup(&lookup))
            .ok_or(LiveError::Auth {
                reason: AuthProblem::NoProjectId,
            })?;
        let mut credentials = Credentials::from_lookup(&lookup)?;
        if let Credentials::Password(login) = &mut credentials
            && login.endpoint.is_none()
        {
            login.endpoint = settings
                .region
                .as_deref()
                .map(auth::iam_endpoint_for_region);
        }
        Ok(Self::new(endpoint, project_id, credentials))
    }
}

/// The CCE endpoint of a configuration: the explicit `endpoint` if given
/// (checked by [`check_endpoint`]), else the one of the `region`.
pub fn endpoint_for(settings: &CloudSettings) -> Result<Url, LiveError> {
    match (&settings.endpoint, &settings.region) {
        (Some(endpoint), _) => check_endpoint(endpoint),
        (None, Some(region)) => region_endpoint(region),
        (None, None) => Err(LiveError::InvalidEndpoint {
            endpoint: String::new(),
            reason: EndpointRefusal::NotConfigured,
        }),
    }
}

/// `https://cce.{region}.myhuaweicloud.com`, or `.myhuaweicloud.eu` for the
/// EU sovereign region `eu-west-101`.
pub fn region_endpoint(region: &str) -> Result<Url, LiveError> {
    if !crate::model::is_region_name(region) {
        return Err(LiveError::InvalidEndpoint {
            endpoint: region.to_owned(),
            reason: EndpointRefusal::BadRegion,
        });
    }
    let domain = if region == "eu-west-101" {
        "myhuaweicloud.eu"
    } else {
        "myhuaweicloud.com"
    };
    check_endpoint(&format!("https://cce.{region}.{domain}"))
}

/// Parses and checks an explicit endpoint: `https://`, or plain `http://`
/// only to a loopback address (the simulator, a local proxy); no user info,
/// query or fragment. A path is kept as a prefix (for proxies).
pub fn check_endpoint(raw: &str) -> Result<Url, LiveError> {
    crate::model::parse_endpoint(raw).map_err(|problem| LiveError::InvalidEndpoint {
        endpoint: raw.to_owned(),
        reason: EndpointRefusal::Unusable(problem),
    })
}
