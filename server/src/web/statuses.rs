//! The status codes of server functions that fail: Leptos answers every failure with 500, so
//! a signed-out call, a malformed argument and a body too large all looked like a crash of the
//! server. Here each gets the status its [`AppError`] says (401, 400, 413, 503); the body (the
//! error in postcard, which the hydrated app shows in words) is left as it was.

use app::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use leptos::server_fn::Decodes;
use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};

/// The most of an error's body read to find its status: errors are a sentence or two.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

pub async fn server_function_statuses(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let failed = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && response.headers().contains_key(SERVER_FN_ERROR_HEADER);
    if !failed {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = <<AppError as FromServerFnError>::Encoder as Decodes<AppError>>::decode(bytes.clone())
    {
        parts.status = error.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}
