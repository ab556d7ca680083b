//! The web server: axum routes for the pages, the server functions and the static files,
//! with the back end provided to every request through the Leptos context, the session cookie
//! resolved to the signed-in account before anything else runs, and signed-out visitors sent
//! to sign in. Around them: the safety headers (`headers`), the bounds on what a request may
//! carry (`limits`), the status codes of refused server function calls (`statuses`), the
//! site's own files (`files`), compression of every answer the browser can take compressed,
//! and the connection handling with its timeouts (`serve`).

mod files;
mod headers;
mod limits;
mod serve;
mod statuses;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use app::backend::{SharedBackend, cleared_session_cookie, session_token};
use app::{App, shell};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;

/// The app's routes, worked out once per process. Working them out renders the app with
/// resource loading suspended for the whole process (leptos-rs/leptos#4773), so doing it while
/// another request renders could leave that request waiting forever; the tests build a router
/// per test and saw exactly that.
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub use files::{IMMUTABLE, hashed_names};
pub use serve::{serve, serve_on};

/// The longest a request may take to be answered (a catch-up long-poll takes up to 2 s).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How hard pages and answers are compressed as they go out (brotli and gzip alike): a middle
/// level, since every request pays for it; the last few percent are not worth the time. The
/// site's files are compressed once, at build time, as hard as the tools go.
const COMPRESSION: CompressionLevel = CompressionLevel::Precise(4);

/// A page as the server renders it: the app's document, with this render's
/// Content-Security-Policy on the answer.
fn page(options: LeptosOptions) -> impl leptos::IntoView {
    headers::set_page_policy();
    shell(options)
}

/// The router serving the app with `backend` behind it.
pub fn router(options: LeptosOptions, backend: SharedBackend) -> Router {
    let routes = routes();
    let context = {
        let backend = backend.clone();
        let chunks = Arc::new(files::split_chunks(&options));
        move || {
            provide_context(backend.clone());
            provide_context(chunks.clone());
        }
    };
    files::remember_stylesheet(&options);
    // The first layer wraps the routes closest; each later one wraps all before it.
    Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || page(options.clone())
        })
        .nest("/pkg", files::pkg(&options))
        .fallback(leptos_axum::file_and_error_handler(page))
        .layer(CompressionLayer::new().quality(COMPRESSION))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(statuses::server_function_statuses))
        .layer(middleware::from_fn_with_state(backend, sessions))
        .layer(middleware::from_fn(limits::bounded_bodies))
        .layer(middleware::from_fn(same_origin_only))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(options)
}

/// Pages anyone may see; every other page needs a signed-in account.
const PUBLIC_PAGES: &[&str] = &["/sign-in", "/sign-up"];

/// Static files: the same for everyone, so no session is looked up for them.
fn is_file(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/robots.txt"
}

/// Server functions check the session themselves (and answer data, not pages).
fn is_server_function(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Resolves the session cookie into a [`app::backend::SignedIn`] in the request's extensions
/// (where server functions find it), sends signed-out visitors of a page to sign in, and
/// signed-in visitors of the sign-in pages to their contacts.
async fn sessions(State(backend): State<SharedBackend>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if is_file(&path) {
        return next.run(request).await;
    }
    let token = session_token(request.headers());
    let signed_in = match &token {
        Some(token) => match backend.session(token).await {
            Ok(found) => found,
            Err(error) => return (StatusCode::SERVICE_UNAVAILABLE, error.to_string()).into_response(),
        },
        None => None,
    };
    let reads_a_page = matches!(*request.method(), Method::GET | Method::HEAD) && !is_server_function(&path);
    let public = PUBLIC_PAGES.contains(&path.as_str());
    if reads_a_page && signed_in.is_none() && !public {
        let wanted = request.uri().path_and_query().map_or("/contacts", |p| p.as_str());
        let to = if matches!(wanted, "/" | "/contacts") {
            "/sign-in".to_owned()
        } else {
            format!("/sign-in?next={}", urlencoding::encode(wanted))
        };
        return see_other(&to, token.is_some());
    }
    if reads_a_page && signed_in.is_some() && public {
        return see_other("/contacts", false);
    }
    let stale_cookie = token.is_some() && signed_in.is_none();
    if let Some(signed_in) = signed_in {
        request.extensions_mut().insert(signed_in);
    }
    let mut response = next.run(request).await;
    if stale_cookie {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cleared_session_cookie());
    }
    response
}

fn see_other(to: &str, clear_cookie: bool) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    if clear_cookie {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cleared_session_cookie());
    }
    response
}

/// Refuses requests from other sites that would change something (cross-site request
/// forgery): any page on the web could otherwise post a form that deletes a contact here.
async fn same_origin_only(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && comes_from_another_site(request.headers()) {
        let message = "This form was sent from another site, so it was refused. Nothing was changed.";
        return (StatusCode::FORBIDDEN, message).into_response();
    }
    next.run(request).await
}

/// Browsers say where a request comes from in `Sec-Fetch-Site` or, failing that, `Origin`.
/// Clients that send neither (command-line tools) are not browsers and are let through.
fn comes_from_another_site(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return !matches!(site, "same-origin" | "none");
    }
    match (text(header::ORIGIN), text(header::HOST)) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}
