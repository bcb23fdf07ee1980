//! Responses as CCE and its API gateway write them, and request bodies as
//! CCE reads them.

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::sim::catalogue;
use crate::sim::state::ApiError;

pub(super) fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A CCE error body, in both styles the SDK reads.
pub(super) fn cce_error(status: u16, code: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(
        status,
        &json!({
            "errorCode": code,
            "errorMessage": message,
            "error_code": code,
            "error_msg": message,
        }),
    )
}

/// An API gateway error body.
pub(super) fn gateway_error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response {
    json_response(
        status,
        &json!({"error_msg": message, "error_code": code, "request_id": request_id}),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        cce_error(self.status, self.code, &self.message)
    }
}

pub(super) type ApiResult = Result<Response, ApiError>;

/// The keys of a request body its model does not have, which the service
/// ignored: handlers attach them to their response for the request log.
#[derive(Debug, Clone, Default)]
pub(super) struct IgnoredKeys(pub(super) Vec<String>);

/// Reads a request body as CCE does: JSON checked against the SDK model
/// `model` (see [`catalogue`]). Keys the model does not have are ignored
/// (and returned, to be logged); a value of the wrong type is a 400 naming
/// the field. Only then is the body read into the simulator's type, so an
/// ignored key can have no effect.
pub(super) fn read_body<T: DeserializeOwned>(
    model: &str,
    body: &Bytes,
) -> Result<(T, Vec<String>), ApiError> {
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not JSON: {e}")))?;
    let findings = catalogue::prune(model, &mut value);
    if let Some(mismatch) = findings.iter().find(|f| !f.is_ignored()) {
        return Err(ApiError::bad_request(format!(
            "invalid request body: {mismatch}"
        )));
    }
    let ignored = findings.into_iter().map(|f| f.path).collect();
    let read = serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    Ok((read, ignored))
}

/// A response that records the ignored keys for the request log.
pub(super) fn with_ignored(mut response: Response, ignored: Vec<String>) -> Response {
    if !ignored.is_empty() {
        response.extensions_mut().insert(IgnoredKeys(ignored));
    }
    response
}
