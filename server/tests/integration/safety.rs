//! What an attacker or a careless user can do over HTTP, and what stops them: markup that
//! cannot escape `<title>` or `<textarea>`, redirects that stay on the site, a sign-in throttle
//! that holds under concurrency, bounded password hashing and bounded storage for signed-out
//! requests, the safety headers, status codes a person can act on, and answers that speak of
//! the signed-in account only. Each test fails without the fix it names.

use crate::common;

use std::time::Duration;

use app::account::AuthOutcome;
use app::catch_up::{AwaitProjection, WorkerHealth};
use app::error::{AppError, BODY_LIMIT, CommandOutcome};
use app::events::{ContactCreated, Event, InteractionRecorded, NextMeetingScheduled};
use app::routes::contacts::AddContact;
use app::routes::sign_in::SignIn;
use app::url::contact_path;
use app::views::{CatchUp, HealthView};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use common::{PASSWORD, TestDb, call, page, send};
use leptos::server_fn::ServerFn;
use scraper::{Html, Selector};
use server::accounts::{self, throttle};

fn select<'a>(document: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    document.select(&Selector::parse(css).unwrap()).collect()
}

fn text(element: &scraper::ElementRef<'_>) -> String {
    element.text().collect()
}

/// A post of a form, as a browser without JavaScript sends it, from this site.
fn plain_post(path: &str, body: &str, token: Option<&str>) -> Request<Body> {
    let mut request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header("sec-fetch-site", "same-origin");
    if let Some(token) = token {
        request = request.header(header::COOKIE, format!("kith_session={token}"));
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

fn location(response: &Response<Body>) -> String {
    response.headers()[header::LOCATION].to_str().unwrap().to_owned()
}

async fn body_text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn names_and_notes_cannot_end_the_title_or_a_textarea() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let name = "</title><script data-injected>alert(1)</script><b data-injected>Eve</b>";
    let hostile = "</textarea><img data-injected src=x onerror=alert(2)> &lt;kept&gt;";
    let created = ContactCreated {
        name: name.into(),
        description: hostile.into(),
        contact_method: None,
    };
    db.accept(session.actor, &Event::from(created)).await;
    let recorded = InteractionRecorded {
        contact: name.into(),
        occurred_on: "2026-11-30".parse().unwrap(),
        kind: "coffee".into(),
        note: hostile.into(),
    };
    db.accept(session.actor, &Event::from(recorded)).await;
    let meeting = NextMeetingScheduled {
        contact: name.into(),
        meeting_on: "2030-01-02".parse().unwrap(),
        meeting_time: "09:30:00".parse().unwrap(),
        time_zone: "UTC".into(),
        notes: hostile.into(),
    };
    db.accept(session.actor, &Event::from(meeting)).await;
    db.dispatcher().run_until_caught_up().await.unwrap();

    let (status, html) = page(&db, &contact_path(name), &session.token).await;
    assert_eq!(status, StatusCode::OK);
    let document = Html::parse_document(&html);
    assert_eq!(select(&document, "[data-injected]").len(), 0, "{html}");
    let titles = select(&document, "title");
    assert_eq!(titles.len(), 1);
    assert_eq!(text(&titles[0]), format!("{name} · Kith"));
    let textareas: Vec<String> = select(&document, "textarea").iter().map(text).collect();
    assert_eq!(
        textareas.iter().filter(|t| *t == hostile).count(),
        3,
        "the description, the note and the notes hold the text as it was: {textareas:?}"
    );

    // A link naming a contact that does not exist puts its name in the title too.
    let link = "/contacts/%3C%2Ftitle%3E%3Cscript%20data-injected%3Efetch('%2Fapi')%3C%2Fscript%3E";
    let (status, html) = page(&db, link, &session.token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let document = Html::parse_document(&html);
    assert_eq!(select(&document, "[data-injected]").len(), 0, "{html}");
    assert_eq!(
        text(&select(&document, "title")[0]),
        "</title><script data-injected>fetch('/api')</script> · Kith"
    );
}

#[tokio::test]
async fn heavy_notes_are_rendered_when_shown_never_by_the_listeners() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let _listeners = db.dispatcher().start(Duration::from_millis(50));
    let created = ContactCreated {
        name: "Bob".into(),
        description: String::new(),
        contact_method: None,
    };
    db.accept(session.actor, &Event::from(created)).await;
    let notes = format!("Ask about **Postgres**\n\n{}deep", "> ".repeat(9_900));
    let meeting = NextMeetingScheduled {
        contact: "Bob".into(),
        meeting_on: "2030-01-02".parse().unwrap(),
        meeting_time: "09:30:00".parse().unwrap(),
        time_zone: "UTC".into(),
        notes,
    };
    db.accept(session.actor, &Event::from(meeting)).await;
    // In a debug build, rendering on the writer thread (where the listeners run) panics.
    db.wait_until_caught_up("projected_contacts").await;
    db.wait_until_caught_up("projected_meeting_notes_emails").await;
    let (status, html) = page(&db, "/contacts/Bob", &session.token).await;
    assert_eq!(status, StatusCode::OK);
    let document = Html::parse_document(&html);
    let notes = select(&document, ".notes");
    assert_eq!(notes.len(), 1, "{html}");
    assert!(notes[0].html().contains("<strong>Postgres</strong>"));
    assert_eq!(
        select(&document, ".notes blockquote").len(),
        server::meetings::markdown::MAX_DEPTH
    );
}

/// Signs in through the plain form with `next`, and answers where the browser goes.
async fn signed_in_to(db: &TestDb, next: &str) -> String {
    let body = format!(
        "email=ada%40example.com&password={}&next={}",
        urlencoding::encode(PASSWORD),
        urlencoding::encode(next)
    );
    let response = send(db, plain_post(SignIn::PATH, &body, None)).await;
    assert!(
        response.status().is_redirection(),
        "{next:?}: {}",
        response.status()
    );
    assert!(
        response.headers().contains_key(header::SET_COOKIE),
        "{next:?} signed in"
    );
    location(&response)
}

#[tokio::test]
async fn after_signing_in_the_browser_stays_on_this_site_and_control_characters_do_no_harm() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/.//evil.example",
        "/%2e//evil.example",
    ] {
        let to = signed_in_to(&db, next).await;
        assert_eq!(to, "/contacts", "{next:?}");
    }
    assert_eq!(
        signed_in_to(&db, "/contacts/Bob\nSet-Cookie: x=1").await,
        "/contacts/BobSet-Cookie:%20x=1",
        "line breaks are dropped as a browser drops them, and nothing reaches a header"
    );
    assert_eq!(
        signed_in_to(&db, "/events?contact=Bob").await,
        "/events?contact=Bob"
    );
    // Every sign-in above opened exactly one session, whose cookie went out.
    assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, 13);

    // With JavaScript, the answer names where to go.
    let body = format!(
        "email=ada%40example.com&password={}&next=%2F%09%2Fevil.example",
        urlencoding::encode(PASSWORD)
    );
    let (_, answer) = call::<AuthOutcome>(&db, SignIn::PATH, "", &body).await;
    match answer {
        Ok(AuthOutcome::SignedIn { next }) => assert_eq!(next, "/contacts"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn forty_guesses_at_once_get_only_the_free_password_checks() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    let now = chrono::Utc::now();
    let guesses = (0..40).map(|n| {
        let store = db.store().clone();
        let password = if n == 20 {
            PASSWORD.to_owned()
        } else {
            format!("guess {n}")
        };
        tokio::spawn(async move { accounts::sign_in(&store, "ada@example.com", &password, now).await })
    });
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap().unwrap() {
            Ok(_) => checked += 1,
            Err(rejection) if rejection.for_field("password").is_some() => checked += 1,
            Err(rejection) => assert!(
                rejection
                    .for_field("email")
                    .unwrap()
                    .starts_with("Too many failed sign-ins"),
                "{rejection}"
            ),
        }
    }
    assert!(
        checked <= throttle::FREE_FAILURES,
        "{checked} passwords were checked of 40 guesses at once"
    );
    assert!(checked >= 1);
}

#[tokio::test]
async fn guesses_at_many_addresses_cannot_flush_one_that_must_wait() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    let now = chrono::Utc::now();
    for _ in 0..throttle::FREE_FAILURES {
        accounts::sign_in(db.store(), "ada@example.com", "guess", now)
            .await
            .unwrap()
            .unwrap_err();
    }
    // A moment later (within the second the address must wait), failures at twenty other
    // addresses, beyond a cap of ten.
    let later = now + chrono::Duration::milliseconds(200);
    let mut tx = db.store().writer().begin_write().await.unwrap();
    for n in 0..20 {
        throttle::reserve_sign_in(tx.conn(), &format!("other{n}@example.com"), later)
            .await
            .unwrap()
            .unwrap();
    }
    throttle::forget_old_failures(tx.conn(), later, 10, 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.count("SELECT COUNT(*) FROM sign_in_failures").await, 11);
    let refused = accounts::sign_in(db.store(), "ada@example.com", PASSWORD, later)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        refused
            .for_field("email")
            .unwrap()
            .starts_with("Too many failed sign-ins")
    );
}

#[tokio::test]
async fn an_account_keeps_a_bounded_number_of_sessions() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    let start = chrono::Utc::now();
    for n in 0..accounts::SESSIONS_KEPT + 5 {
        let at = start + chrono::Duration::seconds(n);
        accounts::sign_in(db.store(), "ada@example.com", PASSWORD, at)
            .await
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        db.count("SELECT COUNT(*) FROM sessions").await,
        accounts::SESSIONS_KEPT
    );
}

#[tokio::test]
async fn addresses_fold_alike_beyond_ascii_on_either_database() {
    let db = TestDb::new().await;
    let session = db.sign_up("Émile@Example.com").await;
    let signed_in = accounts::sign_in(db.store(), "ÉMILE@example.COM", PASSWORD, chrono::Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(signed_in.actor, session.actor);
    let form = app::account::SignUpForm {
        email: "émile@example.com".into(),
        password: PASSWORD.into(),
        ..Default::default()
    };
    let checked = form.check(server::accounts::settings::is_time_zone).unwrap();
    let refused = accounts::sign_up(db.store(), checked).await.unwrap().unwrap_err();
    assert!(
        refused
            .for_field("email")
            .unwrap()
            .starts_with("There is already an account")
    );
}

#[tokio::test]
async fn sign_ups_are_limited_per_address_and_overall() {
    let db = TestDb::new().await;
    let limits = throttle::SignUpLimits {
        per_address: 2,
        overall: 3,
    };
    let now = chrono::Utc::now();
    let db = &db;
    let reserve = |client: &str| {
        let client = client.parse().ok();
        async move {
            let mut tx = db.store().writer().begin_write().await.unwrap();
            let outcome = throttle::reserve_sign_up(tx.conn(), client, limits, now)
                .await
                .unwrap();
            tx.commit().await.unwrap();
            outcome
        }
    };
    assert!(reserve("2001:db8:1:2::10").await.is_ok());
    // Another host of the same IPv6 /64 counts as the same client.
    assert!(reserve("2001:db8:1:2::99").await.is_ok());
    let refused = reserve("2001:db8:1:2:aaaa::1").await.unwrap_err();
    assert!(
        refused.for_field("form").unwrap().contains("from your network"),
        "{refused}"
    );
    assert!(reserve("192.0.2.2").await.is_ok());
    let refused = reserve("192.0.2.3").await.unwrap_err();
    assert!(
        refused
            .for_field("form")
            .unwrap()
            .starts_with("Many accounts were created in the last hour")
    );
    // Refused attempts leave no row behind: at most one per sign-up let through, and the total.
    assert_eq!(db.count("SELECT COUNT(*) FROM sign_up_attempts").await, 3);
}

#[tokio::test]
async fn password_hashing_runs_a_few_at_a_time_however_many_sign_in_at_once() {
    let db = TestDb::new().await;
    db.sign_up("ada@example.com").await;
    let now = chrono::Utc::now();
    let attempts: Vec<_> = (0..24)
        .map(|n| {
            let store = db.store().clone();
            // Different addresses, so the throttle stops none of them.
            tokio::spawn(async move {
                accounts::sign_in(&store, &format!("nobody{n}@example.com"), "guess", now).await
            })
        })
        .collect();
    for attempt in attempts {
        let refused = attempt.await.unwrap().unwrap().unwrap_err();
        assert!(refused.for_field("password").is_some(), "{refused}");
    }
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    assert!(
        accounts::hashing_peak() <= cpus,
        "{} hashes ran at once on {cpus} CPUs",
        accounts::hashing_peak()
    );
}

#[tokio::test]
async fn what_signed_out_requests_leave_behind_is_bounded() {
    let db = TestDb::new().await;
    let huge = "a".repeat(400_000);
    // A failed sign-in with an enormous address is refused by name, and stores nothing.
    let refused = accounts::sign_in(
        db.store(),
        &format!("{huge}@example.com"),
        "guess",
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(
        refused.for_field("email").unwrap().contains("too long"),
        "{refused}"
    );
    // A failure is kept under a key of fixed length, whatever was typed.
    accounts::sign_in(
        db.store(),
        &format!("{}@example.com", "b".repeat(200)),
        "guess",
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(
        db.count("SELECT CAST(MAX(LENGTH(email)) AS BIGINT) FROM sign_in_failures")
            .await,
        64
    );
    // A refused signed-out form keeps at most a few hundred characters of each value.
    let body = format!(
        "email={}&password=short&display_name={}&time_zone=",
        "c".repeat(200_000),
        "d".repeat(200_000)
    );
    let response = send(&db, plain_post(app::routes::sign_up::SignUp::PATH, &body, None)).await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert!(
        db.count("SELECT CAST(MAX(LENGTH(echo)) AS BIGINT) FROM form_refusals")
            .await
            < 2_000,
        "the kept echo is small"
    );
    // And only so many are kept at once, the newest.
    for _ in 0..server::refusals::SIGNED_OUT_KEPT + 5 {
        server::refusals::keep(db.store(), None, &app::form_echo::FormEcho::default())
            .await
            .unwrap();
    }
    let kept = db
        .count("SELECT COUNT(*) FROM form_refusals WHERE session IS NULL")
        .await;
    assert_eq!(kept, server::refusals::SIGNED_OUT_KEPT);
}

#[tokio::test]
async fn pages_and_answers_carry_the_safety_headers() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let request = Request::get("/contacts")
        .header(header::COOKIE, format!("kith_session={}", session.token))
        .header(header::ACCEPT, "text/html")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let response = send(&db, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    let policy = header("content-security-policy").expect("a policy");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("'wasm-unsafe-eval'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_owned();
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("referrer-policy").as_deref(), Some("same-origin"));
    assert_eq!(header("cache-control").as_deref(), Some("no-store"));
    assert!(
        header("strict-transport-security")
            .unwrap()
            .starts_with("max-age=")
    );
    // Every script of the page carries this render's nonce.
    let html = body_text(response).await;
    let document = Html::parse_document(&html);
    let scripts = select(&document, "script");
    assert!(!scripts.is_empty());
    for script in scripts {
        assert_eq!(
            script.value().attr("nonce"),
            Some(nonce.as_str()),
            "{}",
            script.html()
        );
    }

    // Over plain HTTP, no HSTS; server function answers are never cached either.
    let (status, _) = call::<CatchUp>(
        &db,
        AwaitProjection::PATH,
        &session.token,
        "projection=projected_contacts&event_id=1&wait_ms=0",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let request = Request::post(WorkerHealth::PATH)
        .header(header::COOKIE, format!("kith_session={}", session.token))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let response = send(&db, request).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(!response.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn mistakes_get_a_status_and_a_message_a_person_can_act_on() {
    let db = TestDb::new().await;
    let session = db.sign_up("ada@example.com").await;
    let error = |answer: Result<CommandOutcome, AppError>| answer.expect_err("a refusal");

    // Signed out.
    let (status, answer) = call(
        &db,
        AddContact::PATH,
        "not-a-session",
        "name=Bob&description=&contact_method=",
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error(answer), AppError::SignedOut);

    // A missing or malformed argument names what is wrong.
    let (status, answer) = call(
        &db,
        AddContact::PATH,
        &session.token,
        "description=&contact_method=",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = error(answer).to_string();
    assert!(message.contains("name"), "{message}");
    let (status, _) = call::<CatchUp>(
        &db,
        AwaitProjection::PATH,
        &session.token,
        "projection=nope&event_id=x&wait_ms=0",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Bytes that are not UTF-8 are refused by field, never stored as U+FFFD.
    let (status, answer) = call(
        &db,
        AddContact::PATH,
        &session.token,
        "name=Bob&description=caf%E9&contact_method=",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error(answer).to_string().contains("“description”"));
    assert_eq!(
        db.count("SELECT COUNT(*) FROM events WHERE account_id IS NOT NULL")
            .await,
        1
    );

    // Too large: told at once from the declared length, or while reading a body without one.
    let big = format!("name=Bob&contact_method=&description={}", "x".repeat(BODY_LIMIT));
    let (status, answer) = call(&db, AddContact::PATH, &session.token, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error(answer), AppError::TooLarge);
    let declared = Request::post(AddContact::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, big.len())
        .header(header::COOKIE, format!("kith_session={}", session.token))
        .body(Body::from(big.clone()))
        .unwrap();
    assert_eq!(send(&db, declared).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let chunks = futures_stream(big.clone());
    let request = Request::post(AddContact::PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("kith_session={}", session.token))
        .body(chunks)
        .unwrap();
    assert_eq!(send(&db, request).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A plain form post hears it in words.
    let response = send(&db, plain_post(AddContact::PATH, &big, Some(&session.token))).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let html = body_text(response).await;
    assert!(html.contains("That is too much to send at once"), "{html}");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM events WHERE account_id IS NOT NULL")
            .await,
        1
    );
}

/// `text` as a request body sent in pieces, without a declared length.
fn futures_stream(text: String) -> Body {
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> = text
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    Body::from_stream(futures::stream::iter(pieces))
}

#[tokio::test]
async fn answers_speak_of_the_signed_in_account_only() {
    let db = TestDb::new().await;
    let ada = db.sign_up("ada@example.com").await;
    let eve = db.sign_up("eve@example.com").await;
    let created = |name: &str| {
        Event::from(ContactCreated {
            name: name.into(),
            description: String::new(),
            contact_method: None,
        })
    };
    let adas = db.accept(ada.actor, &created("Bob")).await;
    for n in 0..5 {
        db.accept(eve.actor, &created(&format!("Friend {n}"))).await;
    }
    db.dispatcher().run_until_caught_up().await.unwrap();
    let ask = |token: String, event: i64| {
        let db = &db;
        async move {
            let body = format!("projection=projected_contacts&event_id={event}&wait_ms=0");
            let (status, answer) = call::<CatchUp>(db, AwaitProjection::PATH, &token, &body).await;
            assert_eq!(status, StatusCode::OK);
            answer.unwrap()
        }
    };
    let own = ask(ada.token.clone(), adas.event_id).await;
    assert!(own.applied && own.known && own.behind == 0, "{own:?}");
    let head = db.store().head().await.unwrap();
    for event in [head, adas.event_id + 3, 1_000_000] {
        let other = ask(ada.token.clone(), event).await;
        assert!(
            !other.known && !other.applied && other.behind == 0,
            "{event}: {other:?}"
        );
    }
    let (status, answer) = call::<HealthView>(&db, WorkerHealth::PATH, &ada.token, "").await;
    assert_eq!(status, StatusCode::OK);
    let text = format!("{:?}", answer.unwrap());
    for secret in ["head", "checkpoint", "runner", "last_result", "pid "] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let (_, html) = page(
        &db,
        &format!("/processing?projection=projected_contacts&event={head}"),
        &ada.token,
    )
    .await;
    assert!(html.contains("None of your changes is event"), "{html}");
}

#[tokio::test]
async fn a_slow_or_idle_connection_is_closed_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDb::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let options = leptos::config::LeptosOptions::builder()
        .output_name("crm")
        .build();
    let backend = std::sync::Arc::new(server::backend::CrmBackend::new(db.dispatcher().clone()));
    let router = server::web::router(options, backend);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server::web::serve_on(
        listener,
        router,
        Duration::from_secs(1),
        async {
            let _ = stopped.await;
        },
    ));

    // One header byte every half second: cut off once the second is up.
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    let started = std::time::Instant::now();
    let mut closed = false;
    for byte in b"GET /sign-in HTTP/1.1\r\nHost: x\r\n" {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        let mut buffer = [0u8; 1024];
        let read = tokio::time::timeout(Duration::from_millis(500), slow.read(&mut buffer)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "the slow connection was still open after {:?}",
        started.elapsed()
    );

    // A kept-alive connection that goes quiet after its request is closed too.
    let mut idle = tokio::net::TcpStream::connect(address).await.unwrap();
    idle.write_all(b"GET /sign-in HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut answer)).await;
    assert!(ended.is_ok(), "the idle connection stayed open");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));

    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
}
