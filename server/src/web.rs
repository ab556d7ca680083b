//! The web server: axum routes for the pages, the server functions and the static files,
//! with the back end provided to every request through the Leptos context.

use std::net::SocketAddr;

use app::backend::SharedBackend;
use app::{App, shell};
use axum::Router;
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
        .with_state(options)
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
