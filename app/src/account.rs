//! What makes sign-up, sign-in and account settings input valid, checked the same way in the
//! browser and on the server.

use serde::{Deserialize, Serialize};

use crate::error::{FieldError, Refusable, Rejection};
use crate::events::AccountSettings;

pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 12;
/// Long enough for any passphrase, short enough that hashing it costs nothing extra.
pub const PASSWORD_MAX: usize = 1024;
pub const DISPLAY_NAME_MAX: usize = 100;
/// The local hour the morning email goes out unless the account holder picks another.
pub const DEFAULT_MORNING_HOUR: u8 = 7;
/// The time zone of a new account until its holder picks one.
pub const DEFAULT_TIME_ZONE: &str = "UTC";

/// What a sign-up or sign-in returns: signed in (go on to `next`), or why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthOutcome {
    SignedIn { next: String },
    Rejected(Rejection),
}

impl Refusable for AuthOutcome {
    fn refusal(&self) -> Option<&Rejection> {
        match self {
            Self::SignedIn { .. } => None,
            Self::Rejected(rejection) => Some(rejection),
        }
    }
}

/// A sign-up form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignUpForm {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// The browser's time zone, when it said (empty without JavaScript).
    pub time_zone: String,
}

/// A checked sign-up: the email address to sign in with, the password and the first settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub settings: AccountSettings,
}

impl SignUpForm {
    /// The checked sign-up, or every problem with the form, by field. A time zone that
    /// `known_zone` does not know is replaced by UTC (it can be chosen in the settings).
    pub fn check(self, known_zone: impl Fn(&str) -> bool) -> Result<SignUp, Rejection> {
        let mut errors = Vec::new();
        let email = self.email.trim().to_owned();
        if let Err(message) = check_email(&email) {
            errors.push(FieldError::new("email", message));
        }
        let length = self.password.chars().count();
        if length < PASSWORD_MIN {
            errors.push(FieldError::new(
                "password",
                format!("Password must have at least {PASSWORD_MIN} characters (it has {length})."),
            ));
        } else if length > PASSWORD_MAX {
            errors.push(FieldError::new(
                "password",
                format!("Password must have at most {PASSWORD_MAX} characters."),
            ));
        }
        let display_name = match crate::names::normalize(&self.display_name) {
            name if name.is_empty() => email.split('@').next().unwrap_or_default().to_owned(),
            name => name,
        };
        check_display_name(&mut errors, &display_name);
        if !errors.is_empty() {
            return Err(Rejection { errors });
        }
        Ok(SignUp {
            settings: AccountSettings {
                display_name,
                notes_email: email.clone(),
                time_zone: if known_zone(&self.time_zone) {
                    self.time_zone
                } else {
                    DEFAULT_TIME_ZONE.to_owned()
                },
                morning_email_hour: DEFAULT_MORNING_HOUR,
            },
            email,
            password: self.password,
        })
    }

    /// What to show again after a refusal: never the password.
    pub fn typed(&self) -> [(&'static str, &str); 2] {
        [("email", &self.email), ("display_name", &self.display_name)]
    }
}

/// The settings form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsForm {
    pub display_name: String,
    pub notes_email: String,
    pub time_zone: String,
    pub morning_email_hour: String,
}

impl SettingsForm {
    pub fn from_settings(settings: &AccountSettings) -> Self {
        Self {
            display_name: settings.display_name.clone(),
            notes_email: settings.notes_email.clone(),
            time_zone: settings.time_zone.clone(),
            morning_email_hour: settings.morning_email_hour.to_string(),
        }
    }

    /// What was typed into the form before a refusal, field by field, or else `fallback`.
    pub fn from_echo(echo: &crate::form_echo::FormEcho, fallback: &SettingsForm) -> Self {
        Self {
            display_name: echo.value_or("display_name", &fallback.display_name),
            notes_email: echo.value_or("notes_email", &fallback.notes_email),
            time_zone: echo.value_or("time_zone", &fallback.time_zone),
            morning_email_hour: echo.value_or("morning_email_hour", &fallback.morning_email_hour),
        }
    }

    pub fn typed(&self) -> [(&'static str, &str); 4] {
        [
            ("display_name", &self.display_name),
            ("notes_email", &self.notes_email),
            ("time_zone", &self.time_zone),
            ("morning_email_hour", &self.morning_email_hour),
        ]
    }

    /// The checked settings. `known_zone` says whether a time zone name exists (the list of
    /// zones lives on the server only, to keep it out of the browser's download).
    pub fn check(self, known_zone: impl Fn(&str) -> bool) -> Result<AccountSettings, Rejection> {
        let mut errors = Vec::new();
        let display_name = crate::names::normalize(&self.display_name);
        check_display_name(&mut errors, &display_name);
        let notes_email = self.notes_email.trim().to_owned();
        if let Err(message) = check_email(&notes_email) {
            errors.push(FieldError::new("notes_email", message));
        }
        let time_zone = self.time_zone.trim().to_owned();
        if !known_zone(&time_zone) {
            errors.push(FieldError::new(
                "time_zone",
                "Choose a time zone from the list, such as Europe/Paris.",
            ));
        }
        let hour = self
            .morning_email_hour
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|h| *h < 24);
        if hour.is_none() {
            errors.push(FieldError::new(
                "morning_email_hour",
                "Choose an hour from 00:00 to 23:00.",
            ));
        }
        match hour {
            Some(morning_email_hour) if errors.is_empty() => Ok(AccountSettings {
                display_name,
                notes_email,
                time_zone,
                morning_email_hour,
            }),
            _ => Err(Rejection { errors }),
        }
    }
}

fn check_display_name(errors: &mut Vec<FieldError>, name: &str) {
    if name.is_empty() {
        errors.push(FieldError::new("display_name", "Display name is required."));
    } else if name.chars().count() > DISPLAY_NAME_MAX {
        errors.push(FieldError::new(
            "display_name",
            format!("Display name must have at most {DISPLAY_NAME_MAX} characters."),
        ));
    } else if let Some(problem) = crate::names::problem("Display name", name) {
        errors.push(FieldError::new("display_name", problem));
    }
}

/// Whether `email` is one mailbox address, `local@domain`: the local part dot-separated runs
/// of the characters RFC 5322 allows unquoted (letters beyond ASCII too, as RFC 6531 does),
/// the domain at least two labels of letters, digits and inner hyphens. No lists, names,
/// quotes, comments or brackets: what the mailer is given is exactly one address. Whether it
/// receives mail only sending can tell.
pub fn check_email(email: &str) -> Result<(), &'static str> {
    if email.is_empty() {
        return Err("Email address is required.");
    }
    if email.chars().count() > EMAIL_MAX {
        return Err("Email address is too long (at most 254 characters).");
    }
    let atom_char = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~".contains(c)
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let valid = match email.rsplit_once('@') {
        Some((local, domain)) => {
            local.len() <= 64
                && local
                    .split('.')
                    .all(|atom| !atom.is_empty() && atom.chars().all(atom_char))
                && domain.contains('.')
                && domain.split('.').all(label)
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err("Enter one email address, like name@example.com.")
    }
}

/// The email address folded for comparisons (sign-in throttling, uniqueness).
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A `next` page to go to after signing in: `next` read as a URL relative to this site, if it
/// stays on this site, as its path, query and fragment; otherwise `None`. The URL parser is the
/// one browsers follow (WHATWG), so whatever it drops or rewrites (tabs and line breaks,
/// backslashes) is dropped or rewritten here too, before the check; and its answer is written
/// percent-encoded, so it always makes a valid `Location` header.
#[cfg(feature = "ssr")]
pub fn local_path(next: &str) -> Option<String> {
    /// Longer is no page of this site, and would make a header of any length.
    const LONGEST: usize = 2048;
    if next.len() > LONGEST {
        return None;
    }
    // The host stands for this site's origin, whatever it is called; only the path is kept.
    let site = url::Url::parse("http://site.invalid/").expect("a valid URL");
    let target = site.join(next).ok()?;
    if target.origin() != site.origin() {
        return None;
    }
    let mut path = target.path().to_owned();
    // Dot segments can leave a path that starts with `//` (`/.//evil.example`): as a
    // `Location`, that names another host.
    if path.starts_with("//") || path.starts_with("/\\") {
        return None;
    }
    for (separator, part) in [('?', target.query()), ('#', target.fragment())] {
        if let Some(part) = part {
            path.push(separator);
            path.push_str(part);
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_up(email: &str, password: &str) -> Result<SignUp, Rejection> {
        SignUpForm {
            email: email.into(),
            password: password.into(),
            time_zone: "Mars/Olympus".into(),
            ..Default::default()
        }
        .check(|zone| zone == "Europe/Paris")
    }

    #[test]
    fn sign_up_needs_an_email_address_and_a_long_password() {
        let refused = sign_up("not an address", "short").unwrap_err();
        assert_eq!(
            refused.for_field("email"),
            Some("Enter one email address, like name@example.com.")
        );
        assert_eq!(
            refused.for_field("password"),
            Some("Password must have at least 12 characters (it has 5).")
        );
        for email in [
            "a@b",
            "@example.com",
            "a b@example.com",
            "a@example..com",
            "a@.com",
            "a,b@y.com",
            "a@x.com, b@y.com",
            "Ada <ada@example.com>",
            "\"a b\"@example.com",
            "a.@example.com",
            ".a@example.com",
            "a(comment)@example.com",
            "a@-x.com",
            "a@x_y.com",
            "a@[127.0.0.1]",
            "a@example.com\r\nBcc: eve@example.com",
            "javascript:alert(1)@x.com",
            "<script>@x.com",
        ] {
            assert!(sign_up(email, "correct horse battery").is_err(), "{email}");
        }
        let accepted = sign_up(" ada@example.com ", "correct horse battery").unwrap();
        assert_eq!(accepted.email, "ada@example.com");
        assert_eq!(accepted.settings.display_name, "ada");
        assert_eq!(accepted.settings.notes_email, "ada@example.com");
        assert_eq!(accepted.settings.morning_email_hour, 7);
        assert_eq!(
            accepted.settings.time_zone, "UTC",
            "an unknown zone falls back to UTC"
        );
        let in_paris = SignUpForm {
            email: "ada@example.com".into(),
            password: "correct horse battery".into(),
            time_zone: "Europe/Paris".into(),
            ..Default::default()
        };
        assert_eq!(
            in_paris
                .check(|zone| zone == "Europe/Paris")
                .unwrap()
                .settings
                .time_zone,
            "Europe/Paris"
        );
    }

    #[test]
    fn a_refused_sign_up_never_echoes_the_password() {
        let form = SignUpForm {
            email: "ada@example.com".into(),
            password: "secret secret".into(),
            display_name: "Ada".into(),
            time_zone: String::new(),
        };
        assert!(
            form.typed()
                .iter()
                .all(|(field, value)| *field != "password" && !value.contains("secret"))
        );
    }

    #[test]
    fn settings_name_every_wrong_field() {
        let form = SettingsForm {
            display_name: " ".into(),
            notes_email: "nope".into(),
            time_zone: "Mars/Olympus".into(),
            morning_email_hour: "24".into(),
        };
        let refused = form.check(|zone| zone == "Europe/Paris").unwrap_err();
        let fields: Vec<&str> = refused.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["display_name", "notes_email", "time_zone", "morning_email_hour"]
        );
        let form = SettingsForm {
            display_name: "Ada".into(),
            notes_email: "ada@example.com".into(),
            time_zone: "Europe/Paris".into(),
            morning_email_hour: "6".into(),
        };
        assert_eq!(
            form.check(|zone| zone == "Europe/Paris")
                .unwrap()
                .morning_email_hour,
            6
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        for (next, path) in [
            ("/contacts/Bob", "/contacts/Bob"),
            (
                "/contacts/Ada%20Lovelace?x=1#top",
                "/contacts/Ada%20Lovelace?x=1#top",
            ),
            ("/events?contact=Bob", "/events?contact=Bob"),
            ("contacts", "/contacts"),
            // A host named like the stand-in for this site is still only a path here.
            ("http://site.invalid/settings", "/settings"),
            // Characters a header cannot hold come out percent-encoded.
            ("/contacts/a b\u{7f}é", "/contacts/a%20b%7F%C3%A9"),
        ] {
            assert_eq!(local_path(next).as_deref(), Some(path), "{next:?}");
        }
        for next in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://evil.example/contacts",
            "http://site.invalid:8080/",
            "https://site.invalid/",
            "/.//evil.example",
            "/..//evil.example",
            "/%2e//evil.example",
            "/a/..//evil.example",
            "/./\\evil.example",
            &format!("/{}", "a".repeat(3000)),
        ] {
            assert_eq!(local_path(next), None, "{next:?}");
        }
    }
}
