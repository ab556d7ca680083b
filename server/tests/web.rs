//! The web boundary, over real HTTP requests to the router: forms posted without JavaScript
//! are redirected the seed's way, and forms posted from other sites are refused.

mod common;

use std::sync::Arc;

use app::routes::contacts::AddContact;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use common::TestDb;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use server::backend::Crm;
use tower::ServiceExt;

async fn send(db: &TestDb, request: Request<Body>) -> Response<Body> {
    let options = LeptosOptions::builder().output_name("crm").build();
    let backend = Arc::new(Crm::new(db.dispatcher().clone(), db.local()));
    server::web::router(options, backend)
        .oneshot(request)
        .await
        .expect("the router answers")
}

/// A post of the add-contact form, as a browser without JavaScript sends it.
fn add_contact(name: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post(AddContact::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::REFERER, "http://127.0.0.1:3000/contacts");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = format!(
        "name={}&description=Met+at+work&contact_method=",
        urlencoding::encode(name)
    );
    request.body(Body::from(body)).unwrap()
}

fn location(response: &Response<Body>) -> String {
    response.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_plain_form_post_goes_on_to_the_processing_page() {
    let db = TestDb::new().await;
    let response = send(
        &db,
        add_contact("Ada Lovelace", &[("sec-fetch-site", "same-origin")]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        location(&response),
        "/processing?projection=projected_contacts&event=1&attempt=0"
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 1);
}

#[tokio::test]
async fn a_refused_plain_form_post_returns_to_the_form_with_what_was_typed_kept_on_the_server() {
    let db = TestDb::new().await;
    send(&db, add_contact("Ada Lovelace", &[])).await;
    let response = send(&db, add_contact("ADA LOVELACE", &[])).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let target = location(&response);
    let token = target
        .strip_prefix("/contacts?refused=")
        .expect("back to the form");
    assert!(
        token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()),
        "{token}"
    );
    assert!(!target.contains("ADA"), "nothing typed goes into the address");

    let echo = server::refusals::find(db.store(), token)
        .await
        .unwrap()
        .expect("the refusal is kept");
    let rejection = echo.rejection.clone().unwrap();
    assert_eq!(
        rejection.for_field("name"),
        Some("You already have a contact named “Ada Lovelace”. Choose another name.")
    );
    assert_eq!(echo.value("name").as_deref(), Some("ADA LOVELACE"));
    assert_eq!(echo.value("description").as_deref(), Some("Met at work"));
    assert_eq!(
        server::refusals::find(db.store(), "0123456789abcdef0123456789abcdef")
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 1);
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_and_nothing_is_stored() {
    let db = TestDb::new().await;
    for headers in [
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[("origin", "https://evil.example"), ("host", "127.0.0.1:3000")][..],
    ] {
        let response = send(&db, add_contact("Mallory", headers)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 0);

    let same_origin = [("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")];
    let response = send(&db, add_contact("Alice", &same_origin)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 1);
}
