//! A small SMTP server on loopback for the tests: it speaks enough SMTP for lettre, keeps what
//! it receives, and can be told to refuse, to say "try later", or to stop answering.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Takes every message.
    Accept,
    /// Refuses every recipient for good (550).
    RefuseRecipient,
    /// Says "try later" (451) at the end of each message, and keeps nothing.
    TryLater,
    /// Accepts connections and never says a word.
    Silent,
    /// Reads the whole message, keeps it, and never answers its end.
    SilentAfterData,
}

/// A message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-stuffing undone.
    pub data: String,
}

impl Received {
    /// The first header called `name`, unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(current) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    current.push_str(line.trim_start());
                    continue;
                }
                break;
            }
            if let Some((key, rest)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim().to_owned());
            }
        }
        value
    }

    /// The decoded body of the part whose Content-Type starts with `content_type`.
    pub fn part(&self, content_type: &str) -> Option<String> {
        for part in self.data.split("\r\n--") {
            let Some((head, body)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let head = head.to_ascii_lowercase();
            if !head.contains(&format!("content-type: {content_type}")) {
                continue;
            }
            let body = body.rsplit_once("\r\n").map_or(body, |(body, _)| body);
            return Some(if head.contains("content-transfer-encoding: quoted-printable") {
                quoted_printable(body)
            } else {
                body.to_owned()
            });
        }
        None
    }
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

type Hook = Arc<dyn Fn() + Send + Sync>;

struct State {
    behaviour: Behaviour,
    received: Vec<Received>,
    connections: usize,
    /// Runs when a message has been read, before the server answers it.
    on_message: Option<Hook>,
}

/// The server; it stops when dropped.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

impl SmtpServer {
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State {
            behaviour,
            received: Vec::new(),
            connections: 0,
            on_message: None,
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(converse(socket, shared.clone()));
            }
        });
        Self {
            port,
            state,
            task: Arc::new(task),
        }
    }

    /// The `SMTP_URL` of this server (plain SMTP on loopback).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    pub fn on_message(&self, hook: impl Fn() + Send + Sync + 'static) {
        self.state.lock().unwrap().on_message = Some(Arc::new(hook));
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// How many connections the server has taken.
    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    /// Waits up to `limit` for `count` messages.
    pub async fn wait_for(&self, count: usize, limit: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let received = self.received();
            if received.len() >= count || tokio::time::Instant::now() >= deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn converse(socket: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let behaviour = {
        let mut state = state.lock().unwrap();
        state.connections += 1;
        state.behaviour
    };
    let (reader, mut writer) = socket.into_split();
    let mut lines = BufReader::new(reader);
    if behaviour == Behaviour::Silent {
        // Hold the connection open without a word until the client gives up.
        let mut sink = String::new();
        while lines.read_line(&mut sink).await.is_ok_and(|n| n > 0) {}
        return;
    }
    let mut say = async |text: &str| writer.write_all(text.as_bytes()).await.is_ok();
    if !say("220 kith-test ESMTP ready\r\n").await {
        return;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answered = match verb.as_str() {
            "EHLO" | "HELO" => say("250-kith-test\r\n250 8BITMIME\r\n").await,
            "MAIL" => {
                from = command
                    .split_once(':')
                    .map(|(_, a)| a.trim().to_owned())
                    .unwrap_or_default();
                to.clear();
                say("250 OK\r\n").await
            }
            "RCPT" if behaviour == Behaviour::RefuseRecipient => {
                say("550 5.1.1 No such mailbox here\r\n").await
            }
            "RCPT" => {
                to.push(
                    command
                        .split_once(':')
                        .map(|(_, a)| a.trim().to_owned())
                        .unwrap_or_default(),
                );
                say("250 OK\r\n").await
            }
            "DATA" => {
                if !say("354 End data with <CR><LF>.<CR><LF>\r\n").await {
                    return;
                }
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let received = Received {
                    from: from.clone(),
                    to: to.clone(),
                    data,
                };
                let hook = {
                    let mut state = state.lock().unwrap();
                    if behaviour != Behaviour::TryLater {
                        state.received.push(received);
                    }
                    state.on_message.clone()
                };
                if let Some(hook) = hook {
                    hook();
                }
                match behaviour {
                    Behaviour::TryLater => say("451 4.3.0 Mailbox busy, try again later\r\n").await,
                    Behaviour::SilentAfterData => {
                        let mut sink = String::new();
                        while lines.read_line(&mut sink).await.is_ok_and(|n| n > 0) {}
                        return;
                    }
                    _ => say("250 2.0.0 Queued\r\n").await,
                }
            }
            "RSET" | "NOOP" => say("250 OK\r\n").await,
            "QUIT" => {
                let _ = say("221 Bye\r\n").await;
                return;
            }
            _ => say("502 5.5.2 Command not recognized\r\n").await,
        };
        if !answered {
            return;
        }
    }
}
