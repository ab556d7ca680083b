//! What goes over the wire: the site's files precompressed in the encoding the browser takes
//! and kept for a year under their hashed names; pages and answers compressed as they go,
//! and never kept by any cache.

use std::io::{Read, Write};
use std::sync::Arc;

use app::routes::contacts::ListContacts;
use app::views::ContactsView;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use server::backend::CrmBackend;
use server::web::IMMUTABLE;
use tower::ServiceExt;

use crate::common::{TestDb, send};

/// What the browser gets back, the body decoded from the encoding the answer names, with the
/// well-kept decoders (flate2 and brotli).
fn decoded(headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()) {
        None => out.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body).read_to_end(&mut out).unwrap();
        }
        Some("br") => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .unwrap();
        }
        Some(other) => panic!("an encoding the browser did not ask for: {other}"),
    }
    out
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn the_site_files_go_out_as_built_in_the_encoding_the_browser_takes_and_are_kept_a_year() {
    let db = TestDb::new().await;
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    // A bundle and the two copies the release build writes beside it.
    let bundle: Vec<u8> = (0..50_000u32).flat_map(|i| (i % 977).to_le_bytes()).collect();
    let name = "crm.x4Bz0l9-Qp2_s8Kd1mNf5w.wasm";
    std::fs::write(pkg.join(name), &bundle).unwrap();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&bundle).unwrap();
    std::fs::write(pkg.join(format!("{name}.gz")), gzip.finish().unwrap()).unwrap();
    let mut br = Vec::new();
    brotli::BrotliCompress(&mut bundle.as_slice(), &mut br, &Default::default()).unwrap();
    std::fs::write(pkg.join(format!("{name}.br")), &br).unwrap();
    let options = LeptosOptions::builder()
        .output_name("crm")
        .site_root(site.path().display().to_string())
        .hash_files(true)
        .build();
    let router = server::web::router(options, Arc::new(CrmBackend::new(db.dispatcher().clone())));

    for (accept, encoding) in [
        ("gzip, deflate, br, zstd", Some("br")),
        ("gzip", Some("gzip")),
        ("identity", None),
    ] {
        let request = Request::get(format!("/pkg/{name}"))
            .header(header::ACCEPT_ENCODING, accept)
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{accept}");
        let headers = response.headers().clone();
        assert_eq!(header(&headers, header::CONTENT_ENCODING), encoding, "{accept}");
        assert_eq!(header(&headers, header::CACHE_CONTROL), Some(IMMUTABLE));
        assert_eq!(header(&headers, header::CONTENT_TYPE), Some("application/wasm"));
        assert!(
            header(&headers, header::VARY)
                .is_some_and(|vary| vary.to_lowercase().contains("accept-encoding")),
            "caches must keep one copy per encoding: {headers:?}"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        if encoding.is_some() {
            assert!(body.len() < bundle.len() / 4, "{accept}: {} bytes", body.len());
        }
        assert_eq!(decoded(&headers, &body), bundle, "{accept}");
    }

    let missing = Request::get("/pkg/crm.AAAAAAAAAAAAAAAAAAAAAA.wasm")
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(missing).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_ne!(
        header(response.headers(), header::CACHE_CONTROL),
        Some(IMMUTABLE),
        "a missing file is not remembered as missing"
    );
}

#[tokio::test]
async fn pages_and_answers_are_compressed_as_they_go_and_kept_by_no_cache() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let cookie = format!("kith_session={}", session.token);
    for (accept, encoding) in [("br;q=1.0, gzip;q=0.8", "br"), ("gzip", "gzip")] {
        let request = Request::get("/contacts")
            .header(header::COOKIE, &cookie)
            .header(header::ACCEPT, "text/html")
            .header(header::ACCEPT_ENCODING, accept)
            .body(Body::empty())
            .unwrap();
        let response = send(&db, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(header(&headers, header::CONTENT_ENCODING), Some(encoding));
        assert_eq!(header(&headers, header::CACHE_CONTROL), Some("no-store"));
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let page = String::from_utf8(decoded(&headers, &body)).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"), "{page:.200}");
        assert!(
            page.contains("</html>"),
            "the whole page is there once decoded: …{}",
            &page[page.len().saturating_sub(200)..]
        );
        assert!(
            body.len() * 2 < page.len(),
            "{} bytes for a page of {}",
            body.len(),
            page.len()
        );
    }

    let request = Request::post(ListContacts::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::from("query="))
        .unwrap();
    let response = send(&db, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(header(&headers, header::CACHE_CONTROL), Some("no-store"));
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let answer: ContactsView = postcard::from_bytes(&decoded(&headers, &body)).unwrap();
    assert_eq!((answer.total, answer.contacts.len()), (0, 0), "{answer:?}");

    let plain = Request::get("/sign-in").body(Body::empty()).unwrap();
    let response = send(&db, plain).await;
    assert_eq!(
        header(response.headers(), header::CONTENT_ENCODING),
        None,
        "a client that asks for no encoding gets none"
    );
}

/// Crawlers (and Lighthouse's SEO audit) read `/robots.txt` without a session: it is the site's
/// file, not the sign-in page, and it lets them see the sign-in pages.
#[tokio::test]
async fn robots_txt_is_served_to_visitors_who_are_not_signed_in() {
    let db = TestDb::new().await;
    let options = LeptosOptions::builder()
        .output_name("crm")
        .site_root("../public")
        .build();
    let router = server::web::router(options, Arc::new(CrmBackend::new(db.dispatcher().clone())));
    let request = Request::get("/robots.txt").body(Body::empty()).unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        header(response.headers(), header::CONTENT_TYPE).is_some_and(|t| t.starts_with("text/plain")),
        "{:?}",
        response.headers()
    );
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let robot = texting_robots::Robot::new("Googlebot", &body).unwrap();
    assert!(robot.allowed("/sign-in") && robot.allowed("/sign-up"));
    assert!(!robot.allowed("/api/list_contacts"));
}
