//! The web boundary, over real HTTP requests to the router: sessions, forms posted without
//! JavaScript redirected the seed's way, forms posted from other sites refused.

use crate::common;

use app::catch_up::{AwaitProjection, WorkerHealth};
use app::error::{AppError, CommandOutcome};
use app::routes::contacts::{AddContact, ListContacts};
use app::routes::sign_in::SignIn;
use app::views::ContactsView;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use common::{PASSWORD, TestDb, call, page, send};
use leptos::server_fn::ServerFn;

fn cookie(token: &str) -> (&'static str, String) {
    ("cookie", format!("kith_session={token}"))
}

/// A post of a form, as a browser without JavaScript sends it.
fn plain_post(path: &str, body: &str, headers: &[(&str, String)]) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html,application/xhtml+xml");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

fn add_contact(name: &str, headers: &[(&str, String)]) -> Request<Body> {
    let body = format!(
        "name={}&description=Met+at+work&contact_method=",
        urlencoding::encode(name)
    );
    plain_post(AddContact::PATH, &body, headers)
}

fn location(response: &Response<Body>) -> String {
    response.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

fn set_cookie(response: &Response<Body>) -> Option<String> {
    response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn a_plain_form_post_goes_on_to_the_processing_page() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let response = send(
        &db,
        add_contact(
            "Ada Lovelace",
            &[("sec-fetch-site", "same-origin".into()), cookie(&session.token)],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        location(&response),
        "/processing?projection=projected_contacts&event=2&attempt=0",
        "event 1 is the account's registration"
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 2);
}

#[tokio::test]
async fn a_refused_plain_form_post_returns_to_the_form_with_what_was_typed_kept_for_that_session_only() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let other = db.sign_up("eve@example.com").await;
    send(&db, add_contact("Ada Lovelace", &[cookie(&session.token)])).await;
    let response = send(&db, add_contact("ADA LOVELACE", &[cookie(&session.token)])).await;
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

    let signed_in = server::accounts::session(db.store(), &session.token, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap();
    let echo = server::refusals::find(db.store(), Some(&signed_in.session), token)
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

    let eve = server::accounts::session(db.store(), &other.token, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap();
    for session in [Some(eve.session.as_str()), None] {
        let seen = server::refusals::find(db.store(), session, token).await.unwrap();
        assert_eq!(seen, None, "another session never sees the refusal");
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 3);
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_and_nothing_is_stored() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let before = db.count("SELECT COUNT(*) FROM events").await;
    for headers in [
        vec![("sec-fetch-site", "cross-site".to_owned())],
        vec![("sec-fetch-site", "same-site".to_owned())],
        vec![
            ("origin", "https://evil.example".to_owned()),
            ("host", "127.0.0.1:3000".to_owned()),
        ],
    ] {
        let mut headers = headers;
        headers.push(cookie(&session.token));
        let response = send(&db, add_contact("Mallory", &headers)).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, before);

    let same_origin = [
        ("origin", "http://127.0.0.1:3000".to_owned()),
        ("host", "127.0.0.1:3000".to_owned()),
        cookie(&session.token),
    ];
    let response = send(&db, add_contact("Alice", &same_origin)).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, before + 1);
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_commands_refuse_them() {
    let db = TestDb::new().await;
    for (page, to) in [
        ("/contacts", "/sign-in"),
        ("/", "/sign-in"),
        ("/settings", "/sign-in?next=%2Fsettings"),
        (
            "/contacts/Bob%20Smith",
            "/sign-in?next=%2Fcontacts%2FBob%2520Smith",
        ),
    ] {
        let response = send(&db, Request::get(page).body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(location(&response), to, "{page}");
    }
    let response = send(&db, Request::get("/sign-in").body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);

    // A forged or ended session is no session, and the browser is told to forget it.
    let forged = Request::get("/contacts")
        .header("cookie", "kith_session=00ff")
        .body(Body::empty())
        .unwrap();
    let response = send(&db, forged).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&response).unwrap().contains("Max-Age=0"));

    let (status, answer) = call::<CommandOutcome>(
        &db,
        AddContact::PATH,
        "",
        "name=Mallory&description=&contact_method=",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer, Err(AppError::SignedOut));
    assert_eq!(db.count("SELECT COUNT(*) FROM events").await, 0);
    // Not even how busy the stream is.
    for (path, body) in [
        (
            AwaitProjection::PATH,
            "projection=projected_contacts&event_id=1&wait_ms=0",
        ),
        (WorkerHealth::PATH, ""),
    ] {
        let (status, answer) = call::<()>(&db, path, "", body).await;
        assert_eq!(
            (status, answer),
            (StatusCode::UNAUTHORIZED, Err(AppError::SignedOut)),
            "{path}"
        );
    }
}

#[tokio::test]
async fn signing_in_sets_an_http_only_same_site_cookie_and_a_wrong_password_does_not() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    let body = format!(
        "email=ADA%40example.com&password={}&next=%2Fcontacts%2FBob",
        urlencoding::encode(PASSWORD)
    );
    let response = send(&db, plain_post(SignIn::PATH, &body, &[])).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), "/contacts/Bob");
    let cookie_header = set_cookie(&response).expect("a session cookie");
    for part in ["kith_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie_header.contains(part), "{cookie_header}");
    }
    assert!(
        !cookie_header.contains("Secure"),
        "plain HTTP on this machine: {cookie_header}"
    );
    let behind_https = [("x-forwarded-proto", "https".to_owned())];
    let response = send(&db, plain_post(SignIn::PATH, &body, &behind_https)).await;
    let secure = set_cookie(&response).expect("a session cookie");
    assert!(secure.ends_with("; Secure"), "behind an HTTPS proxy: {secure}");
    let token = cookie_header
        .strip_prefix("kith_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    let page = Request::get("/contacts")
        .header("cookie", format!("kith_session={token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&db, page).await.status(), StatusCode::OK);

    let body = "email=ada%40example.com&password=not+the+password&next=%2F%2Fevil.example";
    let response = send(&db, plain_post(SignIn::PATH, body, &[])).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(location(&response).starts_with("/sign-in?next=%2F%2Fevil.example&refused="));
    assert_eq!(set_cookie(&response), None);
    let kept: String =
        engine::on_pool!(db.store().reader(), p => sqlx::query_scalar("SELECT echo FROM form_refusals")
        .fetch_one(p)
        .await)
        .unwrap();
    assert!(
        !kept.contains("not the password"),
        "a password is never kept: {kept}"
    );

    // Signed in, a `next` that leads to another site is not followed.
    let body = format!(
        "email=ada%40example.com&password={}&next=%2F%2Fevil.example",
        urlencoding::encode(PASSWORD)
    );
    let response = send(&db, plain_post(SignIn::PATH, &body, &[])).await;
    assert_eq!(location(&response), "/contacts");
}

#[tokio::test]
async fn a_server_function_answers_the_hydrated_app_with_the_outcome() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let (status, outcome) = call::<CommandOutcome>(
        &db,
        AddContact::PATH,
        &session.token,
        "name=Bob&description=&contact_method=",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let outcome = outcome.unwrap();
    assert!(matches!(outcome, CommandOutcome::Accepted(_)), "{outcome:?}");
}

/// A failure of the database reaches the person as a plain message with a reference to quote,
/// on the answer and on the page; the driver's own text stays in the server's log.
#[tokio::test]
async fn a_database_failure_shows_a_reference_and_never_the_drivers_text() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let pool = TestDb::other_pool(&db.url()).await;
    engine::on_pool!(&pool, p => sqlx::query("DROP TABLE projected_contacts").execute(p).await.map(drop))
        .expect("the table goes");

    let (status, answer) = call::<ContactsView>(&db, ListContacts::PATH, &session.token, "query=").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let error = answer.expect_err("an error the app reads");
    let AppError::Storage { reference } = &error else {
        panic!("not a failure of the server: {error:?}")
    };
    let message = error.to_string();
    assert!(
        message.contains(reference.as_str()) && reference.len() >= 7,
        "{message}"
    );
    assert!(!message.contains("projected_contacts"), "{message}");

    let (status, html) = page(&db, "/contacts", &session.token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("quote reference"), "{html}");
    assert!(
        !html.contains("projected_contacts"),
        "the driver's text reached the page"
    );
}
