//! IAM's password login, the one call of another service the simulator
//! serves.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::responses::json_response;
use super::shared::Shared;

/// IAM `POST /v3/auth/tokens` with the password method.
pub(super) async fn issue_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let keystone_error = |status: StatusCode, message: &str| {
        json_response(
            status,
            &json!({"error": {"code": status.as_u16(), "message": message, "title": status.canonical_reason()}}),
        )
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return keystone_error(StatusCode::BAD_REQUEST, "the request body is not JSON");
    };
    let user = &request["auth"]["identity"]["password"]["user"];
    let (Some(name), Some(password)) = (user["name"].as_str(), user["password"].as_str()) else {
        return keystone_error(
            StatusCode::BAD_REQUEST,
            "auth.identity.password.user needs a name and a password",
        );
    };
    let auth = &shared.config.auth;
    let accepted = if auth.enabled {
        auth.users.get(name).is_some_and(|p| p == password)
    } else {
        true
    };
    if !accepted {
        return keystone_error(
            StatusCode::UNAUTHORIZED,
            "The username or password is wrong.",
        );
    }
    let token = format!("sim-{}", uuid::Uuid::new_v4().simple());
    shared.lock().issued_tokens.insert(token.clone());
    let scope = &request["auth"]["scope"]["project"];
    let project_id = scope["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| shared.config.project_id.clone());
    let issued = chrono::Utc::now();
    let expires = issued + chrono::Duration::hours(24);
    let format = "%Y-%m-%dT%H:%M:%S%.6fZ";
    let mut response = json_response(
        StatusCode::CREATED,
        &json!({"token": {
            "methods": ["password"],
            "issued_at": issued.format(format).to_string(),
            "expires_at": expires.format(format).to_string(),
            "project": {"id": project_id, "name": scope["name"].as_str().unwrap_or_default()},
            "user": {"name": name, "domain": {"name": user["domain"]["name"].as_str().unwrap_or_default()}},
            "catalog": [],
            "roles": [],
        }}),
    );
    if let Ok(value) = HeaderValue::from_str(&token) {
        response.headers_mut().insert("x-subject-token", value);
    }
    response
}
