//! The headers every answer carries so the browser helps keep the pages safe: a strict
//! Content-Security-Policy (pages may run only the scripts that carry the nonce Leptos gave
//! them, and the WebAssembly), no framing by any site, no guessing of content types, no
//! addresses leaked to other sites, HTTPS remembered when the request came over it, and no
//! copy of a signed-in page or answer kept in any cache.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;

/// The policy of a page whose inline scripts carry `nonce`: only those, the site's own script
/// files and the WebAssembly run, so an injected `<script>` or event handler never does.
/// (Not 'strict-dynamic': Leptos preloads its module without the nonce.)
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy of everything that is not a rendered page (data, files, plain error pages).
const OTHER_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Puts the page's policy, with the nonce of this render, on the answer. Called while a page
/// renders on the server (see [`crate::web::page`]).
pub fn set_page_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, policy);
    }
}

/// Whether the browser reached us over HTTPS, as a TLS-terminating proxy in front says.
pub fn came_over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// Adds the headers to every answer. Static files (`cacheable`) that were found may be cached;
/// everything else is personal or passing, so nothing keeps a copy.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let https = came_over_https(request.headers());
    let cacheable = super::is_file(request.uri().path());
    let mut response = next.run(request).await;
    let found = response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(headers, header::CONTENT_SECURITY_POLICY, OTHER_POLICY);
    }
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if https {
        set(headers, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    if !cacheable || !found {
        set(headers, header::CACHE_CONTROL, "no-store");
    } else if !headers.contains_key(header::CACHE_CONTROL) {
        // The icon: kept for a day (the site's hashed files say for how long themselves).
        set(headers, header::CACHE_CONTROL, "public, max-age=86400");
    }
    response
}
