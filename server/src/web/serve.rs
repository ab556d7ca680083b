//! Accepting connections: HTTP/1.1 with a deadline for each request's headers, which is also
//! how long a kept-alive connection may sit idle, at most [`MAX_CONNECTIONS`] at once, and the
//! peer's address handed to every request (for the sign-up throttle).
//!
//! `axum::serve` sets no timer, so a client sending one header byte every few seconds kept a
//! connection (and its task) forever. hyper's header-read deadline starts as soon as the
//! connection is ready for a request, so it bounds both the slow sender and the idle one.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long open connections get to finish once the server is told to stop.
const DRAIN: Duration = Duration::from_secs(10);

/// Connections served at once; more wait in the listener's backlog until one closes.
pub const MAX_CONNECTIONS: usize = 1024;

/// Serves `router` on `listener` until `stop` completes, then lets open connections finish
/// (for up to [`DRAIN`]). A connection that takes longer than `header_timeout` to send a
/// request's headers, or sits idle that long between requests, is closed.
pub async fn serve_on(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let graceful = GracefulShutdown::new();
    let open = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(stop);
    loop {
        let room = tokio::select! {
            room = open.clone().acquire_owned() => room.expect("the semaphore is never closed"),
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _room = room;
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("some connections were still open when the server stopped");
    }
    Ok(())
}

/// Serves `router` on `address` until Ctrl-C or SIGTERM.
pub async fn serve(router: Router, address: SocketAddr, header_timeout: Duration) -> std::io::Result<()> {
    let listener = TcpListener::bind(address).await?;
    tracing::info!("listening on http://{address}");
    serve_on(listener, router, header_timeout, shutdown()).await
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
