//! [`LiveError`]: everything that can go wrong talking to CCE, as one typed
//! error that says what failed, and for API errors the HTTP status, the error
//! code, the message and the `X-Request-Id` to quote to support. Reading an
//! error out of a CCE response is the client's job (`live::error`).
//!
//! No variant ever holds a secret: credentials are redacted before they could
//! reach an error, and response bodies are only quoted when they are not JSON
//! error bodies (a gateway's HTML page, say), truncated.

use std::fmt;
use std::time::Duration;

/// A failed CCE call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// The API answered with an error status.
    #[error(
        "{service} answered HTTP {status}{}: {message}{}",
        code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
        request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default()
    )]
    Api {
        /// Who answered.
        service: Service,
        /// HTTP status.
        status: u16,
        /// `errorCode` / `error_code`.
        code: Option<String>,
        /// `errorMessage` / `error_msg`.
        message: String,
        /// `X-Request-Id` (or the gateway body's `request_id`).
        request_id: Option<String>,
    },
    /// No answer within the request timeout.
    #[error("{operation} to {service} timed out after {}", humantime::format_duration(*after))]
    Timeout {
        /// Who was asked.
        service: Service,
        /// What was being done, e.g. `GET /api/v3/projects/p/clusters/c/nodes`.
        operation: String,
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection could not be established or broke before an answer.
    #[error("could not reach {service} for {operation}")]
    Connect {
        /// Who was asked.
        service: Service,
        /// What was being done.
        operation: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A response body that is not what the API documents. Never a panic.
    #[error("malformed {what} from CCE: {detail}")]
    Decode {
        /// Which response, e.g. `ListNodes response`.
        what: String,
        /// What was wrong (parser position, missing field).
        detail: String,
    },
    /// A request body could not be encoded as JSON (a bug, not bad input).
    #[error("could not encode the {what} request body: {detail}")]
    Encode {
        /// Which request, e.g. `CreateNodePool`.
        what: String,
        /// The encoder's message.
        detail: String,
    },
    /// Credentials are missing, incomplete, or could not be exchanged for a
    /// token. The reason names the environment variables involved, never
    /// their values.
    #[error("authentication failed: {reason}")]
    Auth {
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// A write whose request may or may not have reached CCE: it timed out or
    /// the connection broke after it was sent. poolform never re-sends such a
    /// request blindly; the caller must re-read the affected objects (for a
    /// sync: the nodes of the batch, see `live::fetch::sync_progress`) and
    /// decide.
    #[error("outcome of {operation} is unknown ({reason}); re-read the live state before retrying")]
    OutcomeUnknown {
        /// What was being done.
        operation: String,
        /// `timed out after 30s`, `connection lost`.
        reason: String,
    },
    /// The configured endpoint cannot be used.
    #[error("invalid CCE endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as configured.
        endpoint: String,
        /// Why it is refused, and what to do instead.
        reason: String,
    },
    /// The HTTP client itself could not be set up (TLS backend and the like).
    #[error("could not set up the HTTP client")]
    Client {
        /// The builder's error.
        #[source]
        source: reqwest::Error,
    },
    /// An error while reading one cluster of the configuration.
    #[error("cluster {cluster} ({cluster_id}): {error}")]
    Cluster {
        /// The config key of the cluster.
        cluster: String,
        /// Its CCE id.
        cluster_id: String,
        /// What went wrong. Shown inline rather than as a source, so that
        /// plain `Display` still names the status, code and request id.
        error: Box<LiveError>,
    },
    /// A login password could not be salted for its request; nothing was
    /// sent.
    #[error("the login password could not be salted")]
    PasswordNotSalted,
}

/// The service a request went to. Most go to CCE; the password login asks
/// IAM for a token first, and an error there must say so, or a wrong IAM
/// password reads like a CCE problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Service {
    /// The CCE API at the configured endpoint.
    Cce,
    /// IAM's token issue (`POST /v3/auth/tokens`).
    Iam {
        /// The IAM endpoint asked (never holds credentials: endpoints with
        /// user info are refused). A `Box<str>` keeps every error that
        /// names a service small.
        endpoint: Box<str>,
    },
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cce => f.write_str("CCE"),
            Self::Iam { endpoint } => write!(f, "IAM at {endpoint}"),
        }
    }
}

impl LiveError {
    /// Whether the error is a 404 (the object does not exist).
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status == 404,
            Self::Cluster { error, .. } => error.is_not_found(),
            _ => false,
        }
    }

    /// Whether trying the same read again later may succeed: throttling,
    /// server errors, timeouts, broken connections and cut-short bodies.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout { .. } | Self::Connect { .. } | Self::Decode { .. } => true,
            Self::Cluster { error, .. } => error.is_transient(),
            _ => false,
        }
    }

    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::Cluster { error, .. } => error.status(),
            _ => None,
        }
    }

    /// The API error code (`CCE.01404001`, `APIG.0301`, ...), for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => code.as_deref(),
            Self::Cluster { error, .. } => error.code(),
            _ => None,
        }
    }

    /// Whether a write may or may not have happened (see
    /// [`LiveError::OutcomeUnknown`]).
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Self::OutcomeUnknown { .. } => true,
            Self::Cluster { error, .. } => error.is_outcome_unknown(),
            _ => false,
        }
    }

    /// The service the failed request went to, when the error came from one.
    pub fn service(&self) -> Option<&Service> {
        match self {
            Self::Api { service, .. }
            | Self::Timeout { service, .. }
            | Self::Connect { service, .. } => Some(service),
            Self::Cluster { error, .. } => error.service(),
            _ => None,
        }
    }

    /// A hint for the user, when the error has a usual cause.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Cluster { error, .. } => error.hint(),
            Self::Api {
                service: Service::Iam { .. },
                status: 400 | 401 | 403,
                ..
            } => Some(
                "check the IAM password login: CLOUD_SDK_IAM_USER, CLOUD_SDK_IAM_PASSWORD and CLOUD_SDK_IAM_DOMAIN (the account name the user belongs to), and the project id it asks a token for",
            ),
            Self::Timeout {
                service: Service::Iam { .. },
                ..
            }
            | Self::Connect {
                service: Service::Iam { .. },
                ..
            } => Some(
                "check the network path to IAM; CLOUD_SDK_IAM_ENDPOINT overrides the IAM endpoint derived from [cloud] region",
            ),
            Self::Api { status: 401, .. } => Some(
                "check the credentials: CLOUD_SDK_AK/CLOUD_SDK_SK (and CLOUD_SDK_SECURITY_TOKEN for temporary keys), or the token in POOLFORM_AUTH_TOKEN; the machine's clock must be within 15 minutes of the real time",
            ),
            Self::Api { status: 403, .. } => {
                Some("the credentials are valid but lack permission for this project or operation")
            }
            Self::Api { status: 404, .. } => {
                Some("check the cluster and project ids in the configuration")
            }
            Self::Api { status: 429, .. } => {
                Some("CCE is throttling requests; lower --parallelism or try again later")
            }
            Self::Timeout { .. } | Self::Connect { .. } => Some(
                "check the network path to the endpoint; [cloud] endpoint overrides the one derived from the region",
            ),
            Self::OutcomeUnknown { .. } => {
                Some("run `poolform plan` again: it re-reads the live state and shows what is left")
            }
            _ => None,
        }
    }
}

impl miette::Diagnostic for LiveError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let code = match self {
            Self::Cluster { error, .. } => return miette::Diagnostic::code(error.as_ref()),
            Self::Api {
                service: Service::Iam { .. },
                ..
            } => "poolform::live::iam",
            Self::Api { .. } => "poolform::live::api",
            Self::Timeout { .. } => "poolform::live::timeout",
            Self::Connect { .. } => "poolform::live::connect",
            Self::Decode { .. } => "poolform::live::decode",
            Self::Encode { .. } => "poolform::live::encode",
            Self::Auth { .. } => "poolform::live::auth",
            Self::OutcomeUnknown { .. } => "poolform::live::outcome_unknown",
            Self::InvalidEndpoint { .. } => "poolform::live::endpoint",
            Self::Client { .. } => "poolform::live::client",
            Self::PasswordNotSalted => "poolform::live::password",
        };
        Some(Box::new(code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.hint()
            .map(|hint| Box::new(hint) as Box<dyn fmt::Display + 'a>)
    }
}
