//! Error bodies, in any of the styles CCE and its gateway use.

use serde::{Deserialize, Serialize};

/// An error body in any of the styles CCE and its gateway use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// CCE style code.
    #[serde(default, rename = "errorCode", skip_serializing_if = "Option::is_none")]
    pub error_code_camel: Option<String>,
    /// CCE style message.
    #[serde(
        default,
        rename = "errorMessage",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message_camel: Option<String>,
    /// Gateway / CCE_CM style code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Gateway / CCE_CM style message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// Kubernetes Status message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Gateway request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ErrorBody {
    /// The code, preferring `error_code` like the official SDK.
    pub fn code(&self) -> Option<&str> {
        self.error_code
            .as_deref()
            .or(self.error_code_camel.as_deref())
    }

    /// The message, preferring `error_msg`, with `message` appended when it
    /// says something else, like the official SDK.
    pub fn message(&self) -> Option<String> {
        let base = self
            .error_msg
            .as_deref()
            .or(self.error_message_camel.as_deref());
        match (base, self.message.as_deref()) {
            (Some(base), Some(extra)) if extra != base => Some(format!("{base}, {extra}")),
            (Some(base), _) => Some(base.to_owned()),
            (None, Some(extra)) => Some(extra.to_owned()),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_reads_both_styles() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"kind":"Status","code":400,"errorCode":"CCE.01400001","errorMessage":"Invalid request.","error_code":"CCE_CM.0004","error_msg":"Request is invalid","message":"Eni subnetId and subnetCidr not matched"}"#,
        )
        .expect("valid json");
        assert_eq!(body.code(), Some("CCE_CM.0004"));
        assert_eq!(
            body.message().as_deref(),
            Some("Request is invalid, Eni subnetId and subnetCidr not matched")
        );
        let camel: ErrorBody =
            serde_json::from_str(r#"{"errorCode":"CCE.01404001","errorMessage":"not found"}"#)
                .expect("valid json");
        assert_eq!(camel.code(), Some("CCE.01404001"));
        assert_eq!(camel.message().as_deref(), Some("not found"));
    }
}
