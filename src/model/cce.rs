//! Rules of CCE that both ends of the pipeline must apply identically: the
//! config layer when it validates, and the client when it connects or reads.
//!
//! A rule written once in each place drifts (validate accepted endpoints that
//! connecting refused), so each lives here, and the callers only word the
//! outcome for their audience.

use url::Url;

/// Kubernetes labels whose key contains this marker are added by CCE itself:
/// the config may not set them and the diff never compares them.
pub const SYSTEM_LABEL_MARKER: &str = "cce.cloud.com";

/// Why an explicit endpoint cannot be used. The `Display` text is the
/// client's reason; the config layer words each case as a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointProblem {
    /// Not a URL at all.
    #[error("not a URL ({0}); write it like https://cce.eu-de.otc.t-systems.com")]
    NotUrl(url::ParseError),
    /// A URL without a host, such as `mailto:x`.
    #[error("the URL has no host")]
    NoHost,
    /// `https://user:password@host`: credentials would be logged and sent
    /// where they do not belong.
    #[error(
        "credentials do not belong in the endpoint; put them in the environment (CLOUD_SDK_AK/CLOUD_SDK_SK)"
    )]
    Credentials,
    /// A `?query` or `#fragment`, which request paths cannot be joined to.
    #[error("an endpoint has no query or fragment")]
    QueryOrFragment,
    /// `http://` to a host that is not loopback: requests carry credentials.
    #[error(
        "plain http is refused except to loopback addresses (localhost, 127.0.0.1, ::1), because requests carry credentials; use https://"
    )]
    PlainHttp,
    /// Neither `https` nor `http`.
    #[error("unsupported scheme {0:?}; use https://")]
    Scheme(String),
}

/// Parses and checks an explicit CCE endpoint: `https://`, or plain
/// `http://` only to a loopback address (the simulator, a local proxy); no
/// user info, query or fragment. A path is kept as a prefix (for proxies).
pub fn parse_endpoint(raw: &str) -> Result<Url, EndpointProblem> {
    let url = Url::parse(raw.trim()).map_err(EndpointProblem::NotUrl)?;
    let Some(host) = url.host() else {
        return Err(EndpointProblem::NoHost);
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointProblem::Credentials);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(EndpointProblem::QueryOrFragment);
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(EndpointProblem::PlainHttp),
        other => return Err(EndpointProblem::Scheme(other.to_owned())),
    }
    Ok(url)
}

/// Whether a host is this machine, where plain http exposes nothing.
fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(address) => address.is_loopback(),
        url::Host::Ipv6(address) => address.is_loopback(),
    }
}

/// Whether `region` is a region name: lowercase words and digits joined by
/// `-`, such as `ap-southeast-1`. It becomes part of a host name.
pub fn is_region_name(region: &str) -> bool {
    !region.is_empty()
        && region.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use test_case::test_case;

    use super::*;

    #[test_case("https://cce.eu-de.otc.t-systems.com" ; "https")]
    #[test_case("https://proxy.example.com/cce/" ; "https with a path prefix")]
    #[test_case("http://127.0.0.1:8765" ; "ipv4 loopback")]
    #[test_case("http://127.1.2.3" ; "any of 127/8")]
    #[test_case("http://LOCALHOST:1" ; "localhost in capitals")]
    #[test_case("http://[::1]:9000" ; "ipv6 loopback")]
    #[test_case("  https://cce.example.com  " ; "surrounding blanks")]
    fn accepted(raw: &str) {
        assert!(parse_endpoint(raw).is_ok(), "{raw}");
    }

    #[test_case("not a url", "NotUrl" ; "not a url")]
    #[test_case("mailto:someone", "NoHost" ; "no host")]
    #[test_case("https://user:pw@cce.example.com", "Credentials" ; "credentials")]
    #[test_case("https://user@cce.example.com", "Credentials" ; "user name alone")]
    #[test_case("https://cce.example.com/?a=b", "QueryOrFragment" ; "query")]
    #[test_case("https://cce.example.com/#top", "QueryOrFragment" ; "fragment")]
    #[test_case("http://cce.example.com", "PlainHttp" ; "plain http")]
    #[test_case("http://localhost.example.com", "PlainHttp" ; "localhost look-alike")]
    #[test_case("ftp://x", "Scheme" ; "ftp")]
    fn refused(raw: &str, problem: &str) {
        let error = parse_endpoint(raw).expect_err(raw);
        assert!(
            format!("{error:?}").starts_with(problem),
            "{raw}: {error:?}"
        );
    }

    #[test_case("ap-southeast-1", true)]
    #[test_case("eu-west-101", true)]
    #[test_case("", false ; "empty")]
    #[test_case("AP-1", false ; "capitals")]
    #[test_case("eu--de", false ; "empty part")]
    #[test_case("eu.de", false ; "a dot")]
    fn region_names(region: &str, valid: bool) {
        assert_eq!(is_region_name(region), valid);
    }
}
