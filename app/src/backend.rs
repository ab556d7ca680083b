//! The server side of the contract: what server functions may ask of the back end, and who
//! is asking.
//!
//! The `server` crate implements [`Backend`] over its event store and projections and puts it
//! into the Leptos context; server functions reach it with [`backend`]. The web server resolves
//! the session cookie before any server function runs and leaves a [`SignedIn`] in the
//! request's extensions; [`current_actor`] reads it from there and from nowhere else, so no
//! client input can choose the account. Only built with `ssr`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header, request::Parts};

use crate::account::SignUp;
use crate::error::{AppError, CommandOutcome, Rejection};
use crate::events::{AccountSettings, Event};
use crate::form_echo::FormEcho;
use crate::receipt::EventId;
use crate::views::{
    CatchUp, ContactView, ContactsView, EventQuery, EventsView, HealthView, ListQuery, ProjectionName,
    SettingsView,
};

/// Whoever causes an event: the entity recorded with it, acting for an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub entity_id: i64,
    pub account_id: i64,
}

/// The signed-in account of a request, as the web server found it from the session cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    pub actor: Actor,
    /// The address the account signs in with.
    pub email: String,
    /// The SHA-256 of the session token: identifies the browser session, never the token itself.
    pub session: String,
}

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "kith_session";
/// How long a session lasts without signing in again.
pub const SESSION_DAYS: i64 = 30;

/// The session token a request's cookies carry, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The `Set-Cookie` header that keeps `token` in the browser: HttpOnly so scripts cannot read
/// it, SameSite=Lax so other sites cannot post with it, and Secure (sent over HTTPS only) when
/// the request reached us over HTTPS through a proxy that says so.
pub fn session_cookie(token: &str, headers: &HeaderMap) -> HeaderValue {
    let max_age = SESSION_DAYS * 24 * 60 * 60;
    let secure = if came_over_https(headers) { "; Secure" } else { "" };
    let cookie =
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).expect("session tokens are hex")
}

/// Whether a TLS-terminating proxy in front of the server says the browser used HTTPS.
fn came_over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// The `Set-Cookie` header that removes the session cookie.
pub fn cleared_session_cookie() -> HeaderValue {
    HeaderValue::from_static("kith_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// What happened to a sign-up or sign-in: a new session (its token, for the cookie) or why not.
pub type SessionOutcome = Result<String, Rejection>;

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Creates the account, its credentials and its first session, and appends its
    /// registration event, all at once; unless too many sign-ups came from `client` (the
    /// address the request came from, when known) or from everyone in the last hour.
    async fn sign_up(&self, sign_up: SignUp, client: Option<IpAddr>) -> Result<SessionOutcome, AppError>;

    /// Checks the password (slowing down repeated failures for one address) and opens a session.
    async fn sign_in(&self, email: &str, password: &str) -> Result<SessionOutcome, AppError>;

    /// The signed-in account behind a session cookie's token, unless the session has ended.
    async fn session(&self, token: &str) -> Result<Option<SignedIn>, AppError>;

    /// Ends the session whose token hashes to `session`.
    async fn sign_out(&self, session: &str) -> Result<(), AppError>;

    /// Validates `event` against its schema and the account's current contacts and appends it.
    /// Returns once the event is durably stored.
    async fn execute(&self, actor: Actor, event: Event) -> Result<CommandOutcome, AppError>;

    async fn contacts(&self, account_id: i64, query: ListQuery) -> Result<ContactsView, AppError>;

    async fn contact(&self, account_id: i64, name: &str) -> Result<ContactView, AppError>;

    /// A page of the account's own events, newest first (the event browser).
    async fn events(&self, account_id: i64, query: EventQuery) -> Result<EventsView, AppError>;

    async fn settings(&self, signed_in: &SignedIn) -> Result<SettingsView, AppError>;

    /// The account's settings as last projected (for commands that need its time zone).
    async fn account_settings(&self, account_id: i64) -> Result<Option<AccountSettings>, AppError>;

    /// Whether `name` is an IANA time zone the server knows.
    fn is_time_zone(&self, name: &str) -> bool;

    /// Waits up to `wait` for `projection` to have applied `event_id`, if that is one of the
    /// account's events; answers in terms of the account's own events.
    async fn catch_up(
        &self,
        account_id: i64,
        projection: ProjectionName,
        event_id: EventId,
        wait: Duration,
    ) -> Result<CatchUp, AppError>;

    /// How the background workers are doing, as far as the account's own events go.
    async fn health(&self, account_id: i64) -> Result<HealthView, AppError>;

    /// Keeps the refusal of a plain form post for the page it returns to, for this browser
    /// session only (`None` when signed out); returns its token.
    async fn keep_refusal(&self, session: Option<&str>, echo: &FormEcho) -> Result<String, AppError>;

    /// The refusal kept under `token` for this browser session, while it is kept.
    async fn refusal(&self, session: Option<&str>, token: &str) -> Result<Option<FormEcho>, AppError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// The signed-in account of the current request, if any.
pub fn signed_in() -> Option<SignedIn> {
    leptos::prelude::use_context::<Parts>()?
        .extensions
        .get::<SignedIn>()
        .cloned()
}

/// The address the current request came from (the peer of its connection), when known.
pub fn client_address() -> Option<IpAddr> {
    leptos::prelude::use_context::<Parts>()?
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// The account the current request acts for, from its session only.
pub fn current_actor() -> Result<Actor, AppError> {
    signed_in().map(|s| s.actor).ok_or(AppError::SignedOut)
}

/// Runs a command for the account of the current request: appends `event`, or hands back the
/// refusal its input got.
pub async fn execute(event: Result<Event, Rejection>) -> Result<CommandOutcome, AppError> {
    let actor = current_actor()?;
    match event {
        Ok(event) => backend()?.execute(actor, event).await,
        Err(rejection) => Ok(rejection.into()),
    }
}

/// The back end of the running server, from the request's context.
pub fn backend() -> Result<SharedBackend, AppError> {
    leptos::prelude::use_context::<SharedBackend>().ok_or_else(|| AppError::failure(&MissingBackend))
}

/// The web server did not put the back end into the request's context.
#[derive(Debug, thiserror::Error)]
#[error("the back end is missing from the request context")]
struct MissingBackend;
