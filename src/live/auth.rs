//! Credentials for the CCE API, and where poolform finds them.
//!
//! Three kinds, tried in this order by [`Credentials::from_env`]:
//!
//! | kind | variables | sent as |
//! |---|---|---|
//! | IAM token | `POOLFORM_AUTH_TOKEN` | `X-Auth-Token` |
//! | AK/SK (permanent or temporary) | `CLOUD_SDK_AK`, `CLOUD_SDK_SK`, optional `CLOUD_SDK_SECURITY_TOKEN` | SDK-HMAC-SHA256 signature; `X-Security-Token` for temporary keys |
//! | IAM password | `CLOUD_SDK_IAM_USER`, `CLOUD_SDK_IAM_PASSWORD`, `CLOUD_SDK_IAM_DOMAIN`, optional `CLOUD_SDK_IAM_ENDPOINT` | exchanged once per run for a token (`POST {iam}/v3/auth/tokens`), then `X-Auth-Token` |
//!
//! The project id comes from `[cloud] project_id`, else `CLOUD_SDK_PROJECT_ID`.
//! The `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`,
//! `HUAWEICLOUD_SDK_SECURITY_TOKEN` and `HUAWEICLOUD_SDK_PROJECT_ID` names of
//! the official SDKs' environment provider are read as fallbacks.
//! Empty variables count as unset.
//!
//! Secrets are held in [`Secret`], whose `Debug` prints `<redacted>` and which
//! has no `Display`, so that neither a log line nor an error can show one.

use std::fmt;
use std::time::Duration;

use serde_json::json;
use url::Url;

use super::{AuthProblem, EndpointRefusal, LiveError, Service};

/// `X-Auth-Token`: an IAM token.
pub const ENV_AUTH_TOKEN: &str = "POOLFORM_AUTH_TOKEN";
/// The access key id.
pub const ENV_AK: &str = "CLOUD_SDK_AK";
/// The secret access key.
pub const ENV_SK: &str = "CLOUD_SDK_SK";
/// The security token of temporary AK/SK credentials.
pub const ENV_SECURITY_TOKEN: &str = "CLOUD_SDK_SECURITY_TOKEN";
/// The project id, when the config does not give one.
pub const ENV_PROJECT_ID: &str = "CLOUD_SDK_PROJECT_ID";
/// IAM user name for the password flow.
pub const ENV_IAM_USER: &str = "CLOUD_SDK_IAM_USER";
/// IAM password for the password flow.
pub const ENV_IAM_PASSWORD: &str = "CLOUD_SDK_IAM_PASSWORD";
/// The account (domain) name the IAM user belongs to.
pub const ENV_IAM_DOMAIN: &str = "CLOUD_SDK_IAM_DOMAIN";
/// IAM endpoint; derived from the region when unset.
pub const ENV_IAM_ENDPOINT: &str = "CLOUD_SDK_IAM_ENDPOINT";

/// Fallback names used by the official SDKs' environment provider.
const FALLBACKS: &[(&str, &str)] = &[
    (ENV_AK, "HUAWEICLOUD_SDK_AK"),
    (ENV_SK, "HUAWEICLOUD_SDK_SK"),
    (ENV_SECURITY_TOKEN, "HUAWEICLOUD_SDK_SECURITY_TOKEN"),
    (ENV_PROJECT_ID, "HUAWEICLOUD_SDK_PROJECT_ID"),
];

/// A secret string. `Debug` redacts it and there is no `Display`; read it
/// with [`Secret::expose`] only where it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for signing or a header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How poolform authenticates to CCE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// AK/SK request signing; with a security token for temporary keys.
    AkSk {
        /// The access key id.
        access_key: Secret,
        /// The secret access key.
        secret_key: Secret,
        /// `X-Security-Token` of temporary credentials.
        security_token: Option<Secret>,
    },
    /// An IAM token, sent as `X-Auth-Token`.
    Token(Secret),
    /// An IAM user and password, exchanged for a token on first use.
    Password(IamPassword),
}

/// The IAM password flow's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamPassword {
    /// IAM user name.
    pub user: String,
    /// Its password.
    pub password: Secret,
    /// The account (domain) name.
    pub domain: String,
    /// IAM endpoint; `None` to derive it from the region.
    pub endpoint: Option<String>,
}

impl Credentials {
    /// AK/SK credentials.
    pub fn ak_sk(access_key: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self::AkSk {
            access_key: Secret::new(access_key),
            secret_key: Secret::new(secret_key),
            security_token: None,
        }
    }

    /// Token credentials.
    pub fn token(token: impl Into<String>) -> Self {
        Self::Token(Secret::new(token))
    }

    /// Reads credentials from the process environment (see the module docs
    /// for the variables and their order).
    pub fn from_env() -> Result<Self, LiveError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads credentials through `lookup`, which maps a variable name to its
    /// value: the environment in production, a map in tests.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, LiveError> {
        let get = |name: &str| env_value(&lookup, name);
        if let Some(token) = get(ENV_AUTH_TOKEN) {
            return Ok(Self::Token(Secret::new(token)));
        }
        let ak = get(ENV_AK);
        let sk = get(ENV_SK);
        let security_token = get(ENV_SECURITY_TOKEN);
        match (ak, sk) {
            (Some(ak), Some(sk)) => {
                return Ok(Self::AkSk {
                    access_key: Secret::new(ak),
                    secret_key: Secret::new(sk),
                    security_token: security_token.map(Secret::new),
                });
            }
            (Some(_), None) => return Err(key_incomplete(ENV_AK, vec![ENV_SK])),
            (None, Some(_)) => return Err(key_incomplete(ENV_SK, vec![ENV_AK])),
            (None, None) if security_token.is_some() => {
                return Err(key_incomplete(ENV_SECURITY_TOKEN, vec![ENV_AK, ENV_SK]));
            }
            (None, None) => {}
        }
        let user = get(ENV_IAM_USER);
        let password = get(ENV_IAM_PASSWORD);
        let domain = get(ENV_IAM_DOMAIN);
        if user.is_none() && password.is_none() && domain.is_none() {
            return Err(LiveError::Auth {
                reason: AuthProblem::NoCredentials,
            });
        }
        match (user, password, domain) {
            (Some(user), Some(password), Some(domain)) => Ok(Self::Password(IamPassword {
                user,
                password: Secret::new(password),
                domain,
                endpoint: get(ENV_IAM_ENDPOINT),
            })),
            (user, password, domain) => {
                let missing: Vec<&'static str> = [
                    (ENV_IAM_USER, user.is_none()),
                    (ENV_IAM_PASSWORD, password.is_none()),
                    (ENV_IAM_DOMAIN, domain.is_none()),
                ]
                .into_iter()
                .filter_map(|(name, is_absent)| is_absent.then_some(name))
                .collect();
                Err(LiveError::Auth {
                    reason: AuthProblem::PasswordLoginIncomplete { missing },
                })
            }
        }
    }

    /// A short description for logs, never containing a secret.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AkSk {
                security_token: None,
                ..
            } => "AK/SK",
            Self::AkSk { .. } => "temporary AK/SK",
            Self::Token(_) => "IAM token",
            Self::Password(_) => "IAM password",
        }
    }
}

/// Reads the project id from the environment through `lookup`.
pub fn project_id_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    env_value(&lookup, ENV_PROJECT_ID)
}

/// A variable's value, falling back to the official SDKs' name; empty
/// values count as unset.
fn env_value(lookup: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    let non_empty = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    non_empty(name).or_else(|| {
        FALLBACKS
            .iter()
            .find(|(primary, _)| *primary == name)
            .and_then(|(_, fallback)| non_empty(fallback))
    })
}

fn key_incomplete(set: &'static str, missing: Vec<&'static str>) -> LiveError {
    LiveError::Auth {
        reason: AuthProblem::KeyIncomplete { set, missing },
    }
}

/// The IAM endpoint of a Huawei Cloud region (the EU sovereign region has its
/// own domain).
pub fn iam_endpoint_for_region(region: &str) -> String {
    if region == "eu-west-101" {
        format!("https://iam.{region}.myhuaweicloud.eu")
    } else {
        format!("https://iam.{region}.myhuaweicloud.com")
    }
}

/// The body of `POST /v3/auth/tokens` for a password login scoped to the
/// project.
pub fn iam_token_request_body(login: &IamPassword, project_id: &str) -> serde_json::Value {
    json!({
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": login.user,
                        "password": login.password.expose(),
                        "domain": { "name": login.domain }
                    }
                }
            },
            "scope": { "project": { "id": project_id } }
        }
    })
}

/// The header IAM returns the token in.
pub const SUBJECT_TOKEN_HEADER: &str = "X-Subject-Token";

/// Exchanges an IAM user and password for a project-scoped token.
pub(crate) async fn request_iam_token(
    http: &reqwest::Client,
    iam: &Url,
    login: &IamPassword,
    project_id: &str,
    timeout: Duration,
) -> Result<Secret, LiveError> {
    let mut url = iam.clone();
    url.path_segments_mut()
        .map_err(|()| LiveError::InvalidEndpoint {
            endpoint: iam.to_string(),
            reason: EndpointRefusal::IamCannotCarryPath,
        })?
        .pop_if_empty()
        .extend(["v3", "auth", "tokens"]);
    url.set_query(Some("nocatalog=true"));
    // Only IAM is asked here: its errors name IAM and the endpoint asked,
    // so that a wrong password is not taken for a CCE problem.
    let service = Service::Iam {
        endpoint: iam.as_str().trim_end_matches('/').into(),
    };
    let operation = "POST /v3/auth/tokens (password login)".to_owned();
    let body = serde_json::to_vec(&iam_token_request_body(login, project_id)).map_err(|error| {
        LiveError::Encode {
            what: "IAM token".to_owned(),
            source: error,
        }
    })?;
    let send = http
        .post(url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/json;charset=utf8",
        )
        .body(body)
        .send();
    let response = match tokio::time::timeout(timeout, send).await {
        Err(_) => {
            return Err(LiveError::Timeout {
                service,
                operation,
                after: timeout,
            });
        }
        Ok(Err(source)) => {
            return Err(LiveError::Connect {
                service,
                operation,
                source,
            });
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    let request_id = response
        .headers()
        .get("X-Request-Id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let token = response
        .headers()
        .get(SUBJECT_TOKEN_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if !status.is_success() {
        let body = response.bytes().await.unwrap_or_default();
        return Err(iam_error(service, status.as_u16(), &body, request_id));
    }
    token
        .filter(|token| !token.is_empty())
        .map(Secret::new)
        .ok_or(LiveError::Auth {
            reason: AuthProblem::NoSubjectToken,
        })
}

/// IAM errors come as `{"error":{"code","message","title"}}` (Keystone) or in
/// the gateway style; both become [`LiveError::Api`] of `service`.
fn iam_error(service: Service, status: u16, body: &[u8], request_id: Option<String>) -> LiveError {
    #[derive(serde::Deserialize)]
    struct Keystone {
        error: KeystoneError,
    }
    #[derive(serde::Deserialize)]
    struct KeystoneError {
        #[serde(default)]
        message: String,
        #[serde(default)]
        title: String,
    }
    match serde_json::from_slice::<Keystone>(body) {
        Ok(keystone) => LiveError::Api {
            service,
            status,
            code: (!keystone.error.title.is_empty()).then_some(keystone.error.title),
            message: format!("password login failed: {}", keystone.error.message),
            request_id,
        },
        Err(_) => LiveError::from_response_of(service, status, body, request_id),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn ak_sk_with_security_token() {
        let credentials = Credentials::from_lookup(lookup(&[
            (ENV_AK, "AK1"),
            (ENV_SK, "SK1"),
            (ENV_SECURITY_TOKEN, "ST1"),
        ]))
        .expect("complete");
        assert_eq!(
            credentials,
            Credentials::AkSk {
                access_key: Secret::new("AK1"),
                secret_key: Secret::new("SK1"),
                security_token: Some(Secret::new("ST1")),
            }
        );
        assert_eq!(credentials.kind(), "temporary AK/SK");
    }

    #[test]
    fn token_wins_over_ak_sk() {
        let credentials = Credentials::from_lookup(lookup(&[
            (ENV_AUTH_TOKEN, "tok"),
            (ENV_AK, "AK1"),
            (ENV_SK, "SK1"),
        ]))
        .expect("complete");
        assert_eq!(credentials, Credentials::token("tok"));
    }

    #[test]
    fn official_sdk_names_are_fallbacks_and_empty_is_unset() {
        let credentials = Credentials::from_lookup(lookup(&[
            (ENV_AK, ""),
            ("HUAWEICLOUD_SDK_AK", "AK2"),
            ("HUAWEICLOUD_SDK_SK", "SK2"),
            (ENV_AUTH_TOKEN, "  "),
        ]))
        .expect("complete");
        assert_eq!(credentials, Credentials::ak_sk("AK2", "SK2"));
        assert_eq!(
            project_id_from_lookup(lookup(&[("HUAWEICLOUD_SDK_PROJECT_ID", "p9")])),
            Some("p9".to_owned())
        );
    }

    #[test]
    fn incomplete_credentials_name_the_missing_variable() {
        let error = Credentials::from_lookup(lookup(&[(ENV_AK, "AK1")])).expect_err("no SK");
        assert_eq!(
            error.to_string(),
            "authentication failed: CLOUD_SDK_AK is set but CLOUD_SDK_SK is not"
        );
        let error = Credentials::from_lookup(lookup(&[(ENV_IAM_USER, "u")])).expect_err("partial");
        assert_eq!(
            error.to_string(),
            "authentication failed: the IAM password login is partly configured but CLOUD_SDK_IAM_PASSWORD and CLOUD_SDK_IAM_DOMAIN are not"
        );
        let error = Credentials::from_lookup(lookup(&[])).expect_err("none");
        assert!(
            error.to_string().contains("no credentials found"),
            "{error}"
        );
    }

    /// `AuthProblem` spells the variable names out (`api` knows nothing of
    /// this module); each text must be the one built from the constants the
    /// credentials are read by, as it was before the reasons were typed.
    #[test]
    fn auth_problems_name_the_variables_read() {
        let cases = [
            (
                AuthProblem::NoCredentials,
                format!(
                    "no credentials found: set {ENV_AK} and {ENV_SK} (plus {ENV_SECURITY_TOKEN} for temporary keys), or {ENV_AUTH_TOKEN}, or {ENV_IAM_USER}, {ENV_IAM_PASSWORD} and {ENV_IAM_DOMAIN}"
                ),
            ),
            (
                AuthProblem::KeyIncomplete {
                    set: ENV_SECURITY_TOKEN,
                    missing: vec![ENV_AK, ENV_SK],
                },
                format!("{ENV_SECURITY_TOKEN} is set but {ENV_AK} and {ENV_SK} are not"),
            ),
            (
                AuthProblem::PasswordLoginIncomplete {
                    missing: vec![ENV_IAM_DOMAIN],
                },
                format!("the IAM password login is partly configured but {ENV_IAM_DOMAIN} is not"),
            ),
            (
                AuthProblem::NoProjectId,
                format!("no project id: set [cloud] project_id or {ENV_PROJECT_ID}"),
            ),
            (
                AuthProblem::NoIamEndpoint,
                format!(
                    "the IAM password login needs the IAM endpoint: set {ENV_IAM_ENDPOINT} or [cloud] region"
                ),
            ),
            (
                AuthProblem::NoSubjectToken,
                format!(
                    "IAM accepted the password login but sent no {SUBJECT_TOKEN_HEADER} header"
                ),
            ),
        ];
        for (problem, expected) in cases {
            assert_eq!(problem.to_string(), expected);
        }
    }

    #[test]
    fn password_login() {
        let credentials = Credentials::from_lookup(lookup(&[
            (ENV_IAM_USER, "alice"),
            (ENV_IAM_PASSWORD, "hunter2-secret"),
            (ENV_IAM_DOMAIN, "acme"),
        ]))
        .expect("complete");
        let Credentials::Password(login) = &credentials else {
            panic!("expected a password login, got {credentials:?}");
        };
        let body = iam_token_request_body(login, "p1");
        assert_eq!(
            body["auth"]["identity"]["password"]["user"]["name"],
            "alice"
        );
        assert_eq!(body["auth"]["scope"]["project"]["id"], "p1");
        assert_eq!(
            body["auth"]["identity"]["password"]["user"]["domain"]["name"],
            "acme"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let all = [
            Credentials::AkSk {
                access_key: Secret::new("AKSECRETVALUE"),
                secret_key: Secret::new("SKSECRETVALUE"),
                security_token: Some(Secret::new("STSECRETVALUE")),
            },
            Credentials::token("TOKENSECRETVALUE"),
            Credentials::Password(IamPassword {
                user: "alice".into(),
                password: Secret::new("PASSWORDSECRETVALUE"),
                domain: "acme".into(),
                endpoint: None,
            }),
        ];
        for credentials in all {
            let shown = format!("{credentials:?} {credentials:#?}");
            assert!(!shown.contains("SECRETVALUE"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }

    #[test]
    fn iam_endpoints() {
        assert_eq!(
            iam_endpoint_for_region("ap-southeast-1"),
            "https://iam.ap-southeast-1.myhuaweicloud.com"
        );
        assert_eq!(
            iam_endpoint_for_region("eu-west-101"),
            "https://iam.eu-west-101.myhuaweicloud.eu"
        );
    }

    #[test]
    fn keystone_error_body() {
        let iam = Service::Iam {
            endpoint: "https://iam.ap-southeast-1.myhuaweicloud.com".into(),
        };
        let error = iam_error(
            iam.clone(),
            401,
            br#"{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}"#,
            Some("r".into()),
        );
        assert_eq!(
            error.to_string(),
            "IAM at https://iam.ap-southeast-1.myhuaweicloud.com answered HTTP 401 Unauthorized: password login failed: The username or password is wrong. (request id r)"
        );
        assert!(
            error
                .hint()
                .is_some_and(|h| h.contains("CLOUD_SDK_IAM_PASSWORD"))
        );
    }

    #[test]
    fn gateway_error_body_from_iam_names_iam() {
        let iam = Service::Iam {
            endpoint: "https://iam.example".into(),
        };
        let error = iam_error(
            iam,
            403,
            br#"{"error_msg":"The request is forbidden","error_code":"APIG.0201","request_id":"gw"}"#,
            None,
        );
        assert_eq!(
            error.to_string(),
            "IAM at https://iam.example answered HTTP 403 APIG.0201: The request is forbidden (request id gw)"
        );
    }
}
