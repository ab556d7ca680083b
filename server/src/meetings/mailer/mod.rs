//! The mailer: the scheduled job that sends the morning email of meeting notes.
//!
//! Every run reads `projected_meeting_notes_emails` (with each account's settings from
//! `projected_accounts`) and, for each email whose time has come, claims it in
//! `meeting_notes_deliveries`, sends it, and appends "meeting notes email sent" (caused by the
//! mailer's own entity) in the transaction that marks it sent. The projection's listener then
//! removes the row.
//!
//! When: on the meeting's day in the account's time zone, from the account's morning hour
//! until that day's midnight there. An email whose time has come is
//! sent at the next run, even when the meeting was scheduled after the morning hour. An email
//! is never sent once its day is over: if Kith was not running (or every attempt failed) until
//! midnight, the email is given up with a "failed" event that says so, and the contact's page
//! shows it.
//!
//! Failures: a server that says "try later" or cannot be reached is tried again by itself
//! (1, 2, 4… up to 30 minutes apart); a refusal, and a conversation that broke off after it
//! began (the email may have arrived), wait for the account holder to ask again.
//!
//! The mailer acts only on projections that have caught up with the stream as it was when the
//! run began, so a projection being rebuilt never makes it send a cancelled or moved meeting.

mod message;
mod state;
mod transport;
mod window;

use std::sync::Arc;
use std::time::Duration;

use app::backend::Actor;
use app::events::{Event, MeetingNotesEmailFailed, MeetingNotesEmailSent};
use app::receipt::EventId;
use chrono::{DateTime, NaiveDate, Utc};
use lettre::message::Mailbox;

pub use message::{MorningEmail, message_id};
pub use state::{EmailFacts, email_view, mailer_warning};
pub use transport::{SendFailure, Transport, TransportError};
pub use window::SendWindow;

use crate::crm::{CrmError, EventStore, StoreError};
use crate::meetings::deliveries::{self, Claim, DeliveryKey, DeliveryState};
use crate::meetings::markdown;
use crate::time;
use engine::clock::Clock;
use engine::db::Conn;
use engine::jobs::{self, JobRun};
use engine::{on, on_pool};

/// The mailer's name as a job and as the entity that causes its events.
pub const JOB: &str = "mailer";

/// How the mailer is set up.
pub struct MailerSettings {
    /// Who the emails are from; its domain is also the Message-IDs'.
    pub from: Mailbox,
    /// How often the job runs.
    pub interval: Duration,
    /// Who runs it (shown in the health view), e.g. "pid 4242 on host".
    pub runner: String,
    /// How long a run waits for the projections it reads to catch up with the stream before
    /// it leaves its work to the next run.
    pub catch_up: Duration,
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    pub sent: usize,
    /// Failed attempts (to be tried again, or waiting for the account holder).
    pub failed: usize,
    /// Emails whose day ended before they could be sent.
    pub given_up: usize,
    /// Emails the run could not handle because of a store failure (they are tried next run).
    pub errors: usize,
    /// The run did nothing because the projections had not caught up with the stream.
    pub waited: bool,
}

impl RunReport {
    fn describe(&self) -> String {
        if self.waited {
            return "waited for the projections to catch up".to_owned();
        }
        format!(
            "sent {}, failed {}, given up {}, errors {}",
            self.sent, self.failed, self.given_up, self.errors
        )
    }
}

/// An email the projection holds, with the account's settings.
#[derive(sqlx::FromRow)]
struct PendingEmail {
    account_id: i64,
    contact_name: String,
    meeting_on: NaiveDate,
    meeting_at: DateTime<Utc>,
    notes: String,
    failed_at: Option<DateTime<Utc>>,
    retry_at: Option<DateTime<Utc>>,
    last_updated_at: DateTime<Utc>,
    display_name: String,
    notes_email: String,
    account_zone: String,
    morning_email_hour: i64,
}

impl PendingEmail {
    fn key(&self) -> DeliveryKey<'_> {
        DeliveryKey {
            account_id: self.account_id,
            contact: &self.contact_name,
            meeting_on: self.meeting_on,
        }
    }
}

/// What became of one email in a run.
enum Outcome {
    Sent,
    Failed,
    GivenUp,
    /// Not due, or left to another mailer, or already done.
    Nothing,
}

/// The morning email job.
pub struct Mailer {
    store: Arc<EventStore>,
    transport: Transport,
    settings: MailerSettings,
    clock: Arc<dyn Clock>,
    entity_id: i64,
    domain: String,
}

/// The longest a reason kept in an event may be, in characters (the schema allows 1,000).
const REASON_MAX: usize = 600;

fn shorten(reason: &str) -> String {
    if reason.chars().count() <= REASON_MAX {
        reason.to_owned()
    } else {
        let cut: String = reason.chars().take(REASON_MAX - 1).collect();
        format!("{cut}…")
    }
}

/// How long after attempt `attempt` failed the next one is: 1, 2, 4, 8, 16, then 30 minutes.
fn backoff(attempt: i64) -> chrono::Duration {
    let minutes = 1i64 << attempt.clamp(1, 6).saturating_sub(1);
    chrono::Duration::minutes(minutes.min(30))
}

/// The projections the mailer reads.
const READS: [&str; 2] = ["projected_meeting_notes_emails", "projected_accounts"];

impl Mailer {
    pub async fn new(
        store: Arc<EventStore>,
        transport: Transport,
        settings: MailerSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StoreError> {
        let entity_id = store.ensure_process(JOB).await?;
        let domain = settings.from.email.domain().to_owned();
        Ok(Self {
            store,
            transport,
            settings,
            clock,
            entity_id,
            domain,
        })
    }

    /// Where the emails go, for people.
    pub fn destination(&self) -> String {
        self.transport.describe()
    }

    /// Runs the job every interval, for ever, recording each run for the health view.
    pub fn start(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(self.settings.interval);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                // A failed run is logged and recorded; the next one comes all the same.
                let _ = self.tick().await;
            }
        })
    }

    /// One run at the clock's time, logged and recorded in `jobs` for the health view.
    pub async fn tick(&self) -> Result<RunReport, StoreError> {
        let started = self.clock.now();
        let outcome = self.run().await;
        let interval = chrono::Duration::from_std(self.settings.interval).unwrap_or_default();
        let next_run_at = (started + interval).max(self.clock.now());
        let run = JobRun {
            name: JOB,
            runner: &self.settings.runner,
            ran_at: started,
            result: match &outcome {
                Ok(report) => report.describe(),
                Err(_) => "failed".to_owned(),
            },
            error: outcome.as_ref().err().map(ToString::to_string),
            next_run_at,
        };
        if let Err(error) = &outcome {
            tracing::error!(%error, "the mailer's run failed; it runs again at {next_run_at}");
        }
        if let Err(error) = jobs::record(self.store.writer(), &run).await {
            tracing::error!(%error, "could not record the mailer's run");
        }
        outcome
    }

    /// Whether the projections the mailer reads have applied every event up to `head`,
    /// waiting up to the settings' `catch_up` for them.
    async fn caught_up(&self, head: EventId) -> Result<bool, StoreError> {
        let deadline = tokio::time::Instant::now() + self.settings.catch_up;
        loop {
            let slowest: EventId = on_pool!(self.store.reader(), p => sqlx::query_scalar(
                "SELECT COALESCE(MIN(last_event_id), 0) FROM projections WHERE name IN ($1, $2)",
            )
            .bind(READS[0])
            .bind(READS[1])
            .fetch_one(p)
            .await)?;
            if slowest >= head {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends (or gives up) every email whose time has come.
    pub async fn run(&self) -> Result<RunReport, StoreError> {
        let head = self.store.head().await?;
        if !self.caught_up(head).await? {
            tracing::info!(head, "the mailer waits for its projections to catch up");
            return Ok(RunReport {
                waited: true,
                ..RunReport::default()
            });
        }
        // Every zone's today is within a day of UTC's; later meetings cannot be due yet.
        let latest_day = self.clock.now().date_naive() + chrono::Days::new(1);
        let pending: Vec<PendingEmail> = on_pool!(self.store.reader(), p => sqlx::query_as(
            "SELECT e.account_id, e.contact_name, e.meeting_on, e.meeting_at, e.notes, \
                 e.failed_at, e.retry_at, e.last_updated_at, a.display_name, a.notes_email, \
                 a.time_zone AS account_zone, a.morning_email_hour \
             FROM projected_meeting_notes_emails e JOIN projected_accounts a ON a.account_id = e.account_id \
             WHERE e.meeting_on <= $1 ORDER BY e.meeting_on, e.account_id, e.contact_name",
        )
        .bind(latest_day)
        .fetch_all(p)
        .await)?;
        let mut report = RunReport::default();
        for email in &pending {
            // One email's failure never holds up the others.
            match self.handle(email).await {
                Ok(Outcome::Sent) => report.sent += 1,
                Ok(Outcome::Failed) => report.failed += 1,
                Ok(Outcome::GivenUp) => report.given_up += 1,
                Ok(Outcome::Nothing) => {}
                Err(error) => {
                    tracing::error!(account = email.account_id, %error, "the mailer could not handle an email");
                    report.errors += 1;
                }
            }
        }
        Ok(report)
    }

    /// Sends, gives up or leaves one email, at the clock's time now.
    async fn handle(&self, email: &PendingEmail) -> Result<Outcome, StoreError> {
        let Some(zone) = time::zone(&email.account_zone) else {
            return Err(CrmError::UnknownTimeZone {
                what: format!("account {}", email.account_id),
                zone: email.account_zone.clone(),
            }
            .into());
        };
        let hour = u32::try_from(email.morning_email_hour).unwrap_or(7).min(23);
        let window = SendWindow::for_meeting(email.meeting_at, zone, hour);
        let now = self.clock.now();
        if now < window.opens {
            return Ok(Outcome::Nothing);
        }
        if now >= window.closes {
            return self.give_up(email, window, zone, now).await;
        }
        if email.failed_at.is_some() && email.retry_at.is_none_or(|at| at > now) {
            return Ok(Outcome::Nothing);
        }
        self.attempt(email, window, zone, now).await
    }

    fn actor(&self, account_id: i64) -> Actor {
        Actor {
            entity_id: self.entity_id,
            account_id,
        }
    }

    /// Appends a mailer event inside the caller's transaction.
    async fn append(&self, tx: Conn<'_>, account_id: i64, event: Event) -> Result<EventId, StoreError> {
        let receipt = self
            .store
            .append_in(tx, self.actor(account_id), &event)
            .await?
            .map_err(|rejection| CrmError::OwnEventRefused {
                event_type: event.event_type().to_string(),
                rejection,
            })?;
        Ok(receipt.event_id)
    }

    fn failed(
        contact: &str,
        meeting_on: NaiveDate,
        reason: &str,
        retry_at: Option<DateTime<Utc>>,
        given_up: bool,
    ) -> Event {
        Event::from(MeetingNotesEmailFailed {
            contact: contact.to_owned(),
            meeting_on,
            reason: shorten(reason),
            retry_at,
            given_up,
        })
    }

    /// Whether the projection still holds `email` as it was read (not moved, re-noted or
    /// cancelled since), read inside the claim's transaction.
    async fn unchanged(tx: Conn<'_>, email: &PendingEmail) -> Result<bool, StoreError> {
        let now: Option<DateTime<Utc>> = on!(tx, c => sqlx::query_scalar(
            "SELECT last_updated_at FROM projected_meeting_notes_emails WHERE account_id = $1 AND contact_name = $2",
        )
        .bind(email.account_id)
        .bind(&email.contact_name)
        .fetch_optional(c)
        .await)?;
        Ok(now == Some(email.last_updated_at))
    }

    /// Claims, sends and records one email.
    async fn attempt(
        &self,
        email: &PendingEmail,
        window: SendWindow,
        zone: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<Outcome, StoreError> {
        let key = email.key();
        let first_id = message_id(
            email.account_id,
            &email.contact_name,
            email.meeting_on,
            &self.domain,
        );
        let lease = chrono::Duration::from_std(self.transport.limit()).unwrap_or_default()
            + chrono::Duration::minutes(1);
        let mut tx = self.store.writer().begin_write().await?;
        if !Self::unchanged(tx.conn(), email).await? {
            tx.rollback().await?;
            return Ok(Outcome::Nothing);
        }
        let claim =
            deliveries::claim(tx.conn(), key, &first_id, &self.settings.runner, now, now + lease).await?;
        let (id, message_id, attempt, token) = match claim {
            Claim::Leave => {
                tx.rollback().await?;
                return Ok(Outcome::Nothing);
            }
            Claim::Interrupted { id } => {
                let reason = "Perhaps not sent: Kith stopped while it was sending this email, so it may or may \
                              not have arrived. Check your inbox, and send it again if it is not there.";
                deliveries::mark_failed(
                    tx.conn(),
                    id,
                    None,
                    "Kith stopped while it was sending this email",
                    now,
                )
                .await?;
                let event = Self::failed(&email.contact_name, email.meeting_on, reason, None, false);
                let event_id = self.append(tx.conn(), email.account_id, event).await?;
                tx.commit().await?;
                self.store.appended(event_id);
                return Ok(Outcome::Failed);
            }
            Claim::Send {
                id,
                message_id,
                attempt,
                token,
            } => (id, message_id, attempt, token),
        };
        tx.commit().await?;

        let notes_html = markdown::render_off_thread(email.notes.clone()).await;
        let built = MorningEmail {
            display_name: &email.display_name,
            to: &email.notes_email,
            contact: &email.contact_name,
            meeting_at: email.meeting_at,
            zone,
            notes: &email.notes,
            notes_html: &notes_html,
        }
        .build(&self.settings.from, &message_id, now);
        let outcome = match built {
            Ok(message) => self.transport.send(message).await,
            Err(bad) => Err(SendFailure::Refused(bad.to_string())),
        };

        let done_at = self.clock.now();
        let mut tx = self.store.writer().begin_write().await?;
        // The contact may have been renamed while the email was on its way.
        let contact = deliveries::contact_now(tx.conn(), id)
            .await?
            .unwrap_or_else(|| email.contact_name.clone());
        let event = match outcome {
            Ok(()) => {
                deliveries::mark_sent(tx.conn(), id, done_at).await?;
                Some(Event::from(MeetingNotesEmailSent {
                    contact,
                    meeting_on: email.meeting_on,
                    message_id: message_id.clone(),
                }))
            }
            Err(SendFailure::Retry(detail)) if done_at + backoff(attempt) < window.closes => {
                let retry_at = done_at + backoff(attempt);
                let reason = format!("Not sent yet: {detail}.");
                deliveries::mark_waiting(tx.conn(), id, &token, retry_at, &detail, done_at)
                    .await?
                    .then(|| Self::failed(&contact, email.meeting_on, &reason, Some(retry_at), false))
            }
            Err(SendFailure::Retry(detail)) => {
                let reason = format!(
                    "Not sent: {detail}, and there is no time left today to try again by itself. Send it \
                     again once the mail server is back."
                );
                deliveries::mark_failed(tx.conn(), id, Some(&token), &detail, done_at)
                    .await?
                    .then(|| Self::failed(&contact, email.meeting_on, &reason, None, false))
            }
            Err(SendFailure::Refused(detail)) => {
                let reason = format!(
                    "Not sent: {detail}. Check the address for notes in Settings (or the mail server's \
                     settings), then send the email again."
                );
                deliveries::mark_failed(tx.conn(), id, Some(&token), &detail, done_at)
                    .await?
                    .then(|| Self::failed(&contact, email.meeting_on, &reason, None, false))
            }
            Err(SendFailure::Uncertain(detail)) => {
                let reason = format!(
                    "Perhaps not sent: {detail}, so the email may or may not have arrived. Check your inbox, \
                     and send it again if it is not there."
                );
                deliveries::mark_failed(tx.conn(), id, Some(&token), &detail, done_at)
                    .await?
                    .then(|| Self::failed(&contact, email.meeting_on, &reason, None, false))
            }
        };
        let sent = matches!(event, Some(Event::MeetingNotesEmailSent(_)));
        let Some(event) = event else {
            // Another mailer took the claim over meanwhile and has already said how it stands.
            tx.rollback().await?;
            return Ok(Outcome::Nothing);
        };
        let event_id = self.append(tx.conn(), email.account_id, event).await?;
        tx.commit().await?;
        self.store.appended(event_id);
        if sent {
            tracing::info!(account = email.account_id, message_id = %message_id, "morning email sent");
            Ok(Outcome::Sent)
        } else {
            tracing::warn!(account = email.account_id, message_id = %message_id, "morning email failed");
            Ok(Outcome::Failed)
        }
    }

    /// The email's day is over before it went out: records that it will not be sent (unless
    /// it was sent after all, or another mailer still has it).
    async fn give_up(
        &self,
        email: &PendingEmail,
        window: SendWindow,
        zone: chrono_tz::Tz,
        now: DateTime<Utc>,
    ) -> Result<Outcome, StoreError> {
        let key = email.key();
        let mut tx = self.store.writer().begin_write().await?;
        let delivery = deliveries::find(tx.conn(), key).await?;
        let reason = match &delivery {
            None if email.last_updated_at >= window.closes => {
                "Not sent: the meeting was scheduled after its day had ended.".to_owned()
            }
            None => format!(
                "Not sent: the mailer did not send the notes between {} and midnight (it was not running), \
                 and Kith never sends them once the meeting's day is over.",
                time::describe(window.opens, zone)
            ),
            Some(d) => match d.state {
                DeliveryState::Sent | DeliveryState::GivenUp => {
                    tx.rollback().await?;
                    return Ok(Outcome::Nothing);
                }
                DeliveryState::Sending { lease_until } if lease_until > now => {
                    tx.rollback().await?;
                    return Ok(Outcome::Nothing);
                }
                DeliveryState::Sending { .. } => {
                    "Not sent: Kith stopped while it was sending this email, and the \
                     meeting's day is over. Check your inbox: it may have arrived."
                        .to_owned()
                }
                DeliveryState::Waiting { .. } | DeliveryState::Failed => format!(
                    "Not sent: the meeting's day ended before the email could be sent (the last problem: {}).",
                    d.last_error.as_deref().unwrap_or("unknown")
                ),
            },
        };
        let message_id = delivery.map(|d| d.message_id).unwrap_or_else(|| {
            message_id(
                email.account_id,
                &email.contact_name,
                email.meeting_on,
                &self.domain,
            )
        });
        deliveries::mark_given_up(tx.conn(), key, &message_id, &shorten(&reason), now).await?;
        let event = Self::failed(&email.contact_name, email.meeting_on, &reason, None, true);
        let event_id = self.append(tx.conn(), email.account_id, event).await?;
        tx.commit().await?;
        self.store.appended(event_id);
        tracing::warn!(
            account = email.account_id,
            "morning email given up: its day is over"
        );
        Ok(Outcome::GivenUp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_up_to_half_an_hour() {
        let minutes: Vec<i64> = (1..=8).map(|attempt| backoff(attempt).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn long_reasons_are_cut_to_fit_the_schema() {
        let long = "x".repeat(5000);
        assert_eq!(shorten(&long).chars().count(), REASON_MAX);
        assert_eq!(shorten("short"), "short");
    }
}
