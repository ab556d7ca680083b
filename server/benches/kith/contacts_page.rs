//! The server-rendered `/contacts` page for an account with 10,000 contacts: requests per
//! second and latency from a load generator on loopback, each request a new connection, as a
//! browser's first visit is.

use std::sync::Arc;
use std::time::{Duration, Instant};

use leptos::config::LeptosOptions;
use server::backend::CrmBackend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{Error, append_stream, fresh_database, quantile_ms};

pub struct PageLoad {
    pub requests_per_second: f64,
    pub p50: f64,
    pub p99: f64,
}

/// Fills an account with `contacts` contacts (and two events more for each), serves the app on
/// a free port, and has `clients` clients ask for `/contacts` for `duration`.
pub async fn measure(contacts: u64, clients: usize, duration: Duration) -> Result<PageLoad, Error> {
    let fresh = fresh_database().await?;
    let kith = &fresh.kith;
    append_stream(&fresh, contacts * 3, contacts).await?;
    kith.dispatcher.run_until_caught_up().await?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let options = LeptosOptions::builder().output_name("crm").build();
    let router = server::web::router(options, Arc::new(CrmBackend::new(kith.dispatcher.clone())));
    let serving = tokio::spawn(async move { axum::serve(listener, router.into_make_service()).await });

    let request = Arc::new(format!(
        "GET /contacts HTTP/1.1\r\nHost: {address}\r\nCookie: kith_session={}\r\nConnection: close\r\n\r\n",
        fresh.session
    ));
    let started = Instant::now();
    let loaders: Vec<_> = (0..clients)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while started.elapsed() < duration {
                    let sent = Instant::now();
                    let page = get(&address.to_string(), &request).await?;
                    samples.push(sent.elapsed());
                    if !page.starts_with("HTTP/1.1 200") || !page.contains("Person 000000") {
                        let head: String = page.chars().take(300).collect();
                        return Err(format!("/contacts did not answer with the contacts: {head}").into());
                    }
                }
                Ok::<_, Error>(samples)
            })
        })
        .collect();
    let mut samples = Vec::new();
    for loader in loaders {
        samples.extend(loader.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    serving.abort();
    Ok(PageLoad {
        requests_per_second: samples.len() as f64 / elapsed,
        p50: quantile_ms(&mut samples, 0.5),
        p99: quantile_ms(&mut samples, 0.99),
    })
}

/// Sends `request` on a new connection and reads the whole answer.
async fn get(address: &str, request: &str) -> Result<String, Error> {
    let mut stream = TcpStream::connect(address).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}
