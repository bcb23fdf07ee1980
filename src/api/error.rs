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

use crate::model::EndpointProblem;

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
    // The problem is both quoted and the source: `Display` has always named
    // it, and callers print `Display` alone (logs, `Cluster`'s inline form).
    #[error("malformed {what} from CCE: {source}")]
    Decode {
        /// Which response, e.g. `ListNodes response`.
        what: String,
        /// What was wrong (parser position, missing field).
        #[source]
        source: DecodeProblem,
    },
    /// A request body could not be encoded as JSON (a bug, not bad input).
    #[error("could not encode the {what} request body: {source}")]
    Encode {
        /// Which request, e.g. `CreateNodePool`.
        what: String,
        /// The encoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// Credentials are missing, incomplete, or could not be exchanged for a
    /// token. The reason names the environment variables involved, never
    /// their values.
    #[error("authentication failed: {reason}")]
    Auth {
        /// What is wrong and how to fix it.
        reason: AuthProblem,
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
        /// Why the outcome is not known.
        reason: UnknownOutcome,
    },
    /// The configured endpoint cannot be used.
    #[error("invalid CCE endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint as configured.
        endpoint: String,
        /// Why it is refused, and what to do instead.
        reason: EndpointRefusal,
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

/// What was wrong with a response body ([`LiveError::Decode`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeProblem {
    /// Not the documented JSON: the parser's message names the position or
    /// the missing field.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A list's `nextMarker` came back a second time: following it would
    /// loop forever.
    #[error("pagination does not advance: nextMarker {marker:?} was already returned")]
    PaginationStuck {
        /// The marker seen twice.
        marker: String,
    },
    /// An answer that must carry a job id carried none.
    #[error("no jobid in the answer")]
    NoJobId,
}

/// Why credentials could not be used ([`LiveError::Auth`]). Names the
/// environment variables involved, never their values. The names are
/// written out here (this module knows nothing of `live`); a test in
/// `live::auth` checks them against the constants the client reads.
///
/// Every case is closed: a refusal by IAM itself is [`LiveError::Api`] with
/// [`Service::Iam`], which quotes IAM's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthProblem {
    /// No credentials of any kind in the environment.
    #[error(
        "no credentials found: set CLOUD_SDK_AK and CLOUD_SDK_SK (plus CLOUD_SDK_SECURITY_TOKEN for temporary keys), or POOLFORM_AUTH_TOKEN, or CLOUD_SDK_IAM_USER, CLOUD_SDK_IAM_PASSWORD and CLOUD_SDK_IAM_DOMAIN"
    )]
    NoCredentials,
    /// One variable of the AK/SK pair (or the security token) is set, and
    /// `missing` are not.
    #[error("{set} is set but {} not", names_are(missing))]
    KeyIncomplete {
        /// The variable that is set.
        set: &'static str,
        /// The variables it needs besides.
        missing: Vec<&'static str>,
    },
    /// Some of the IAM password login's variables are set, `missing` are
    /// not.
    #[error(
        "the IAM password login is partly configured but {} not",
        names_are(missing)
    )]
    PasswordLoginIncomplete {
        /// The login's variables that are not set.
        missing: Vec<&'static str>,
    },
    /// Neither `[cloud] project_id` nor the environment names the project.
    #[error("no project id: set [cloud] project_id or CLOUD_SDK_PROJECT_ID")]
    NoProjectId,
    /// A password login without an IAM endpoint to ask.
    #[error(
        "the IAM password login needs the IAM endpoint: set CLOUD_SDK_IAM_ENDPOINT or [cloud] region"
    )]
    NoIamEndpoint,
    /// A token was asked for, but the credentials are not a password login.
    #[error("no IAM password login configured")]
    NoPasswordLogin,
    /// IAM answered the login with success but without the token.
    #[error("IAM accepted the password login but sent no X-Subject-Token header")]
    NoSubjectToken,
    /// A header name that HTTP cannot carry.
    #[error("invalid header name {name}")]
    InvalidHeaderName {
        /// The header.
        name: String,
    },
    /// A header value (a credential, say) with characters HTTP headers
    /// cannot carry. Only the header is named: the value may be a secret.
    #[error("the value for header {name} contains characters HTTP headers cannot carry")]
    InvalidHeaderValue {
        /// The header.
        name: String,
    },
}

/// `A is`, `A and B are`.
fn names_are(names: &[&str]) -> String {
    format!(
        "{} {}",
        names.join(" and "),
        if names.len() > 1 { "are" } else { "is" }
    )
}

/// Why a write's outcome is unknown ([`LiveError::OutcomeUnknown`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnknownOutcome {
    /// No answer within the request timeout.
    #[error("timed out after {}", humantime::format_duration(*after))]
    TimedOut {
        /// The timeout that expired.
        after: Duration,
    },
    /// The connection broke once the request may have been sent.
    #[error("the connection broke after the request was sent")]
    ConnectionLost,
}

/// Why an endpoint is refused ([`LiveError::InvalidEndpoint`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointRefusal {
    /// The explicit endpoint breaks the endpoint rule the config layer
    /// checks too.
    #[error(transparent)]
    Unusable(#[from] EndpointProblem),
    /// Neither a region nor an endpoint is configured.
    #[error(
        "neither [cloud] region nor [cloud] endpoint is set; set region (e.g. \"ap-southeast-1\") or an explicit endpoint"
    )]
    NotConfigured,
    /// The region cannot be part of a host name.
    #[error("a region is lowercase words and digits joined by '-', such as \"ap-southeast-1\"")]
    BadRegion,
    /// The CCE endpoint URL cannot take path segments (never the case for
    /// the `http(s)` URLs the endpoint rule admits).
    #[error("the endpoint cannot carry a path")]
    CannotCarryPath,
    /// The same for the IAM endpoint.
    #[error("the IAM endpoint cannot have a path")]
    IamCannotCarryPath,
    /// A fleet of no clusters: nothing to connect to.
    #[error("there is no cluster to connect to")]
    NoCluster,
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

    /// The message the API gave (`errorMessage` / `error_msg`), for API
    /// errors.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Api { message, .. } => Some(message),
            Self::Cluster { error, .. } => error.message(),
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
            Self::Decode { .. } => Some(
                "CCE, or a proxy in front of it, answered with a body that is not the documented JSON; try again, and if it persists, report it with the operation named above",
            ),
            Self::Encode { .. } => Some(
                "this is a bug in poolform, not in the configuration: please report it with the command that failed",
            ),
            Self::Auth {
                reason: AuthProblem::InvalidHeaderValue { .. },
            } => Some(
                "a credential in the environment contains a line break or another character HTTP headers cannot carry; set it again without it",
            ),
            Self::Auth {
                reason: AuthProblem::NoSubjectToken,
            } => Some(
                "check CLOUD_SDK_IAM_ENDPOINT: it must reach IAM itself, not a proxy that drops response headers",
            ),
            _ => None,
        }
    }
}

// Written by hand rather than derived: the code of an API error depends on
// the service that answered (IAM or CCE), which the derive's one code per
// variant cannot say, and `Cluster` takes its inner error's code and help.
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

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// The typed reasons print exactly the text the strings they replaced
    /// held, so messages, logs and snapshots do not change.
    #[test]
    fn reasons_print_the_text_they_replaced() {
        let cases: [(&dyn fmt::Display, &str); 8] = [
            (
                &UnknownOutcome::TimedOut {
                    after: Duration::from_secs(90),
                },
                "timed out after 1m 30s",
            ),
            (
                &UnknownOutcome::ConnectionLost,
                "the connection broke after the request was sent",
            ),
            (
                &EndpointRefusal::NotConfigured,
                "neither [cloud] region nor [cloud] endpoint is set; set region (e.g. \"ap-southeast-1\") or an explicit endpoint",
            ),
            (
                &EndpointRefusal::BadRegion,
                "a region is lowercase words and digits joined by '-', such as \"ap-southeast-1\"",
            ),
            (
                &EndpointRefusal::Unusable(EndpointProblem::NoHost),
                "the URL has no host",
            ),
            (
                &DecodeProblem::PaginationStuck {
                    marker: "m1".into(),
                },
                "pagination does not advance: nextMarker \"m1\" was already returned",
            ),
            (
                &AuthProblem::InvalidHeaderValue {
                    name: "x-auth-token".into(),
                },
                "the value for header x-auth-token contains characters HTTP headers cannot carry",
            ),
            (
                &AuthProblem::KeyIncomplete {
                    set: "CLOUD_SDK_AK",
                    missing: vec!["CLOUD_SDK_SK"],
                },
                "CLOUD_SDK_AK is set but CLOUD_SDK_SK is not",
            ),
        ];
        for (reason, expected) in cases {
            assert_eq!(reason.to_string(), expected);
        }
    }

    /// A malformed body keeps the parser's error as its source, and its
    /// message still quotes it.
    #[test]
    fn decode_keeps_the_parser_error() {
        let parse = serde_json::from_slice::<serde_json::Value>(b"{").unwrap_err();
        let expected = format!("malformed ListNodes response from CCE: {parse}");
        let error = LiveError::Decode {
            what: "ListNodes response".into(),
            source: DecodeProblem::Json(parse),
        };
        assert_eq!(error.to_string(), expected);
        let source = error.source().expect("a source");
        assert!(source.downcast_ref::<DecodeProblem>().is_some());
        assert_eq!(
            miette::Diagnostic::code(&error).map(|c| c.to_string()),
            Some("poolform::live::decode".to_owned())
        );
    }

    /// The stable codes did not move when the reasons became types.
    #[test]
    fn codes_are_stable() {
        // Any serde_json error will do as the encoder's.
        let encode = serde_json::from_slice::<u8>(b"x").unwrap_err();
        let cases = [
            (
                LiveError::Auth {
                    reason: AuthProblem::NoProjectId,
                },
                "poolform::live::auth",
            ),
            (
                LiveError::OutcomeUnknown {
                    operation: "POST x".into(),
                    reason: UnknownOutcome::ConnectionLost,
                },
                "poolform::live::outcome_unknown",
            ),
            (
                LiveError::InvalidEndpoint {
                    endpoint: String::new(),
                    reason: EndpointRefusal::NotConfigured,
                },
                "poolform::live::endpoint",
            ),
            (
                LiveError::Encode {
                    what: "CreateNodePool".into(),
                    source: encode,
                },
                "poolform::live::encode",
            ),
        ];
        for (error, code) in cases {
            assert_eq!(
                miette::Diagnostic::code(&error).map(|c| c.to_string()),
                Some(code.to_owned()),
                "{error}"
            );
        }
    }

    /// The front door's `?` into `miette::Report` needs these bounds.
    #[test]
    fn live_error_is_a_sendable_diagnostic() {
        fn check<E: miette::Diagnostic + Send + Sync + 'static>() {}
        check::<LiveError>();
    }
}
