//! The web server: axum routes for the pages, the server functions and the static files,
//! with the back end provided to every request through the Leptos context.

use std::net::SocketAddr;

use app::backend::SharedBackend;
use app::{App, shell};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

/// The router serving the app with `backend` behind it.
pub fn router(options: LeptosOptions, backend: SharedBackend) -> Router {
    let routes = generate_route_list(App);
    let context = move || provide_context(backend.clone());
    Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(middleware::from_fn(same_origin_only))
        .with_state(options)
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

/// Serves `router` on `address` until Ctrl-C or SIGTERM.
pub async fn serve(router: Router, address: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!("listening on http://{address}");
    axum::serve(listener, router.into_make_service())
        .with_graceful_shutdown(shutdown())
        .await
}

async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
