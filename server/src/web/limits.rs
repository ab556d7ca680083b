//! What a request may carry: at most [`BODY_LIMIT`] bytes, arriving within [`BODY_TIME`], and
//! form fields in valid UTF-8 without NULs.
//!
//! A larger request is answered 413 before it is read any further; a form field whose bytes
//! are not UTF-8 is answered 400 naming the field, instead of being stored with U+FFFD in
//! place of what was sent. The hydrated app gets the error as data and shows its message; a
//! form posted without JavaScript gets a page that says the same in words.

use app::error::{AppError, BODY_LIMIT};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::server_fn::ContentType;
use leptos::server_fn::error::{FromServerFnError, SERVER_FN_ERROR_HEADER};

/// How long a request's body may take to arrive once its headers have.
const BODY_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether reading a body failed because it was longer than the limit.
fn is_too_long(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// Reads the body of every request that may carry one, within the limit and in time, and
/// checks a form's fields before anything else sees them.
pub async fn bounded_bodies(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT as u64) {
        return refuse(request.headers(), AppError::TooLarge);
    }
    let (parts, body) = request.into_parts();
    let bytes = match tokio::time::timeout(BODY_TIME, axum::body::to_bytes(body, BODY_LIMIT)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) if is_too_long(&error) => return refuse(&parts.headers, AppError::TooLarge),
        Ok(Err(_)) => {
            let error = AppError::BadRequest("the request broke off before its end".into());
            return refuse(&parts.headers, error);
        }
        Err(_) => {
            let error = AppError::BadRequest(format!(
                "the request took longer than {} s to arrive",
                BODY_TIME.as_secs()
            ));
            return refuse(&parts.headers, error);
        }
    };
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if is_form && let Some(field) = field_not_in_utf8(&bytes) {
        let error = AppError::BadRequest(format!("the field “{field}” is not valid text"));
        return refuse(&parts.headers, error);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The name of the first field of a form body (`a=1&b=x%20y`) whose name or value, once
/// percent-decoded, is not UTF-8 or holds a NUL (which neither database keeps in text).
fn field_not_in_utf8(body: &[u8]) -> Option<String> {
    body.split(|&b| b == b'&').find_map(|pair| {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let (name, value) = (decoded(name), decoded(value));
        let valid = std::str::from_utf8(&name).is_ok()
            && std::str::from_utf8(&value).is_ok()
            && !value.contains(&0)
            && !name.contains(&0);
        (!valid).then(|| String::from_utf8_lossy(&name).into_owned())
    })
}

/// A form field's bytes, `+` as a space and percent-escapes decoded.
fn decoded(bytes: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = bytes.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    urlencoding::decode_binary(&spaced).into_owned()
}

/// The answer to a request refused before any server function ran: the error as data for
/// the hydrated app (which shows its message), a page in words for a plain form post.
pub fn refuse(headers: &HeaderMap, error: AppError) -> Response {
    let status = error.status();
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        let page = error_page(status, &error.to_string());
        return (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    }
    let content_type = <<AppError as FromServerFnError>::Encoder as ContentType>::CONTENT_TYPE;
    let body = error.ser();
    let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    response
        .headers_mut()
        .insert(SERVER_FN_ERROR_HEADER, HeaderValue::from_static("refused"));
    response
}

/// A small page of its own for an error met before the app could render: `message` is the
/// app's own text, escaped all the same.
pub fn error_page(status: StatusCode, message: &str) -> String {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let title = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Too much to send",
        StatusCode::BAD_REQUEST => "The form could not be read",
        status => status.canonical_reason().unwrap_or("Something went wrong"),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Kith</title><link rel=\"stylesheet\" href=\"{stylesheet}\"></head>\
         <body><main id=\"main\"><div class=\"page narrow\"><section class=\"card\">\
         <h1>{title}</h1><p>{escaped}</p>\
         <p>Go back to the form with your browser's Back button, or <a href=\"/contacts\">to your contacts</a>.</p>\
         </section></div></main></body></html>\n",
        stylesheet = super::files::stylesheet(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_body_that_never_ends_is_cut_off() {
        use tower::ServiceExt;
        let router = axum::Router::new()
            .route("/api/x", axum::routing::post(|| async { "read" }))
            .layer(axum::middleware::from_fn(bounded_bodies));
        let body = Body::from_stream(futures::stream::pending::<Result<Vec<u8>, std::io::Error>>());
        let request = Request::post("/api/x").body(body).unwrap();
        let response = router.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let text = axum::body::to_bytes(response.into_body(), 10_000).await.unwrap();
        assert!(String::from_utf8_lossy(&text).contains("took longer than 30 s"));
    }

    #[test]
    fn the_field_holding_bytes_that_are_not_utf8_is_named() {
        assert_eq!(field_not_in_utf8(b"name=Ada&description=fine"), None);
        assert_eq!(field_not_in_utf8(b"name=%C3%89mile+Zola&x=%E2%80%9C"), None);
        assert_eq!(
            field_not_in_utf8(b"name=%C3%89mile+Zola&x=%E2%80"),
            Some("x".into())
        );
        assert_eq!(
            field_not_in_utf8(b"name=Ada&description=caf%E9"),
            Some("description".into())
        );
        assert_eq!(field_not_in_utf8(b"name=%C3%89mile"), None);
        assert_eq!(field_not_in_utf8(b"name=Bob%00"), Some("name".into()));
        assert_eq!(field_not_in_utf8(b""), None);
    }
}
