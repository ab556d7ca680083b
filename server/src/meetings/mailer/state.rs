//! Where a meeting's morning email stands, as its contact's page shows it: from the email's
//! facts in `projected_contacts`, the account's zone and hour, and the time.

use app::views::MeetingEmailView;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::SendWindow;
use crate::time;
use engine::jobs::JobStatus;

/// What `projected_contacts` knows of the email for the meeting on `meeting_on`.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct EmailFacts {
    pub meeting_email_sent_at: Option<DateTime<Utc>>,
    pub meeting_email_failure: Option<String>,
    pub meeting_email_retry_at: Option<DateTime<Utc>>,
    pub meeting_email_given_up: bool,
}

/// The state at `now` of the email for the meeting at `meeting_at`, for an account in `zone`
/// whose email goes out at `hour`.
pub fn email_view(
    facts: &EmailFacts,
    meeting_at: DateTime<Utc>,
    zone: Tz,
    hour: u32,
    now: DateTime<Utc>,
) -> MeetingEmailView {
    let window = SendWindow::for_meeting(meeting_at, zone, hour);
    if let Some(at) = facts.meeting_email_sent_at {
        return MeetingEmailView::Sent {
            at: time::describe(at, zone),
        };
    }
    if let Some(reason) = facts.meeting_email_failure.clone() {
        return match facts.meeting_email_retry_at {
            _ if facts.meeting_email_given_up => MeetingEmailView::NotSent { reason },
            Some(retry_at) => MeetingEmailView::Retrying {
                reason,
                retry_at: time::describe(retry_at, zone),
            },
            None => MeetingEmailView::Failed {
                reason,
                can_send_again: now < window.closes,
            },
        };
    }
    if now >= window.closes {
        return MeetingEmailView::NotSent {
            reason: "The meeting's day is over and the notes were not emailed.".to_owned(),
        };
    }
    MeetingEmailView::Scheduled {
        at: time::describe(window.opens, zone),
        due: now >= window.opens,
    }
}

/// A warning for the page when the mailer is not running while an email waits for it.
pub fn mailer_warning(email: &MeetingEmailView, mailer: Option<&JobStatus>, zone: Tz) -> Option<String> {
    if !matches!(
        email,
        MeetingEmailView::Scheduled { .. } | MeetingEmailView::Retrying { .. }
    ) {
        return None;
    }
    match mailer {
        Some(job) if job.running => None,
        Some(JobStatus {
            last_run_at: Some(at),
            ..
        }) => Some(format!(
            "The mailer has not run since {}, so this email will not go out until it runs again.",
            time::describe(*at, zone)
        )),
        _ => Some("The mailer has not run yet, so this email will not go out until it does.".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> Tz {
        time::zone("Europe/Paris").unwrap()
    }

    /// 14:30 in Paris on Friday 27 November 2026.
    fn day() -> DateTime<Utc> {
        at("2026-11-27T13:30:00Z")
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn an_email_is_scheduled_then_due_then_missed() {
        let facts = EmailFacts::default();
        let before = email_view(&facts, day(), paris(), 7, at("2026-11-26T12:00:00Z"));
        assert_eq!(
            before,
            MeetingEmailView::Scheduled {
                at: "Friday 27 November 2026 at 07:00".into(),
                due: false
            }
        );
        let due = email_view(&facts, day(), paris(), 7, at("2026-11-27T06:30:00Z"));
        assert!(
            matches!(due, MeetingEmailView::Scheduled { due: true, .. }),
            "{due:?}"
        );
        let after = email_view(&facts, day(), paris(), 7, at("2026-11-27T23:00:00Z"));
        assert!(matches!(after, MeetingEmailView::NotSent { .. }), "{after:?}");
    }

    #[test]
    fn failures_say_whether_the_email_can_be_sent_again() {
        let failed = EmailFacts {
            meeting_email_failure: Some("refused".into()),
            ..EmailFacts::default()
        };
        let today = email_view(&failed, day(), paris(), 7, at("2026-11-27T10:00:00Z"));
        assert_eq!(
            today,
            MeetingEmailView::Failed {
                reason: "refused".into(),
                can_send_again: true
            }
        );
        let tomorrow = email_view(&failed, day(), paris(), 7, at("2026-11-28T10:00:00Z"));
        assert!(matches!(
            tomorrow,
            MeetingEmailView::Failed {
                can_send_again: false,
                ..
            }
        ));
        let retrying = EmailFacts {
            meeting_email_retry_at: Some(at("2026-11-27T06:05:00Z")),
            ..failed.clone()
        };
        assert_eq!(
            email_view(&retrying, day(), paris(), 7, at("2026-11-27T06:01:00Z")),
            MeetingEmailView::Retrying {
                reason: "refused".into(),
                retry_at: "Friday 27 November 2026 at 07:05".into()
            }
        );
    }

    #[test]
    fn a_stopped_mailer_is_named_only_while_an_email_waits_for_it() {
        let waiting = MeetingEmailView::Scheduled {
            at: "x".into(),
            due: true,
        };
        let stopped = JobStatus {
            name: "mailer".into(),
            runner: Some("pid 1".into()),
            last_run_at: Some(at("2026-11-27T06:03:00Z")),
            last_result: None,
            last_error: None,
            next_run_at: Some(at("2026-11-27T06:04:00Z")),
            running: false,
        };
        let warning = mailer_warning(&waiting, Some(&stopped), paris()).unwrap();
        assert!(
            warning.contains("since Friday 27 November 2026 at 07:03"),
            "{warning}"
        );
        assert!(
            mailer_warning(&waiting, None, paris())
                .unwrap()
                .contains("has not run yet")
        );
        let running = JobStatus {
            running: true,
            ..stopped.clone()
        };
        assert_eq!(mailer_warning(&waiting, Some(&running), paris()), None);
        let sent = MeetingEmailView::Sent { at: "x".into() };
        assert_eq!(mailer_warning(&sent, Some(&stopped), paris()), None);
    }
}
