//! Reading a [`LiveError`] out of a CCE response: every error body style
//! CCE and its gateway use (the wire's `ErrorBody`).

use super::wire;
use super::{LiveError, Service};

impl LiveError {
    /// Builds an API error from a CCE response's status, body and
    /// `X-Request-Id`, accepting every error body style CCE and its gateway
    /// use. A body that is not a JSON error body is quoted, truncated.
    pub fn from_response(status: u16, body: &[u8], request_id: Option<String>) -> Self {
        Self::from_response_of(Service::Cce, status, body, request_id)
    }

    /// Like [`LiveError::from_response`], for a response of `service`.
    pub fn from_response_of(
        service: Service,
        status: u16,
        body: &[u8],
        request_id: Option<String>,
    ) -> Self {
        let parsed: Option<wire::ErrorBody> = serde_json::from_slice(body).ok();
        let code = parsed
            .as_ref()
            .and_then(|b| b.code())
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        let message = parsed
            .as_ref()
            .and_then(wire::ErrorBody::message)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| fallback_message(status, body));
        let request_id = request_id.filter(|id| !id.is_empty()).or_else(|| {
            parsed
                .and_then(|b| b.request_id)
                .filter(|id| !id.is_empty())
        });
        Self::Api {
            service,
            status,
            code,
            message,
            request_id,
        }
    }
}

/// The message of an error response without a JSON error body: its text,
/// trimmed and truncated, or the status's reason phrase when empty.
fn fallback_message(status: u16, body: &[u8]) -> String {
    const LIMIT: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no error message")
            .to_lowercase();
    }
    let mut quoted: String = text.chars().take(LIMIT).collect();
    if text.chars().count() > LIMIT {
        quoted.push('…');
    }
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cce_style_body() {
        let error = LiveError::from_response(
            404,
            br#"{"errorCode":"CCE.01404001","errorMessage":"Resource not found"}"#,
            Some("req-1".into()),
        );
        assert!(error.is_not_found());
        assert_eq!(
            error.to_string(),
            "CCE answered HTTP 404 CCE.01404001: Resource not found (request id req-1)"
        );
    }

    #[test]
    fn gateway_style_body_with_request_id_in_body() {
        let error = LiveError::from_response(
            401,
            br#"{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIG.0301","request_id":"gw-9"}"#,
            None,
        );
        assert_eq!(error.status(), Some(401));
        assert_eq!(error.code(), Some("APIG.0301"));
        assert_eq!(
            error.to_string(),
            "CCE answered HTTP 401 APIG.0301: Incorrect IAM authentication information: verify aksk signature fail (request id gw-9)"
        );
        assert!(error.hint().is_some_and(|h| h.contains("CLOUD_SDK_AK")));
    }

    #[test]
    fn mixed_style_body_prefers_snake_case_like_the_sdk() {
        let error = LiveError::from_response(
            400,
            br#"{"kind":"Status","errorCode":"CCE.01400001","errorMessage":"Invalid request.","error_code":"CCE_CM.0004","error_msg":"Request is invalid","message":"Eni subnetId and subnetCidr not matched"}"#,
            Some("r".into()),
        );
        assert_eq!(
            error.to_string(),
            "CCE answered HTTP 400 CCE_CM.0004: Request is invalid, Eni subnetId and subnetCidr not matched (request id r)"
        );
    }

    #[test]
    fn non_json_body_is_quoted_and_truncated() {
        let page = format!("<html>{}</html>", "x".repeat(500));
        let error = LiveError::from_response(502, page.as_bytes(), None);
        let text = error.to_string();
        assert!(
            text.starts_with("CCE answered HTTP 502: <html>xxx"),
            "{text}"
        );
        assert!(text.ends_with('…'), "{text}");
        assert!(text.len() < 300);
    }

    #[test]
    fn empty_body_uses_the_reason_phrase() {
        let error = LiveError::from_response(503, b"", Some("r2".into()));
        assert_eq!(
            error.to_string(),
            "CCE answered HTTP 503: service unavailable (request id r2)"
        );
    }

    #[test]
    fn cluster_wrapper_keeps_details_visible() {
        let inner = LiveError::from_response(
            404,
            br#"{"errorCode":"CCE.01404001","errorMessage":"cluster not found"}"#,
            Some("r3".into()),
        );
        let error = LiveError::Cluster {
            cluster: "prod".into(),
            cluster_id: "c-1".into(),
            error: Box::new(inner),
        };
        assert!(error.is_not_found());
        assert_eq!(
            error.to_string(),
            "cluster prod (c-1): CCE answered HTTP 404 CCE.01404001: cluster not found (request id r3)"
        );
    }
}
