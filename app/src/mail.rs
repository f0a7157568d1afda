//! Email through the configured SMTP server (lettre).

use crate::state::Settings;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

/// A connection pool to the SMTP server, and the sender address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// The mailer `settings` describe, or why there is none (the reason is stored per recipient).
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let url = settings.smtp_url.as_deref().ok_or_else(|| {
            "no SMTP server configured (set GUANXI_SMTP_URL, e.g. smtp://mail.example.com:587?tls=required)"
                .to_owned()
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("bad GUANXI_SMTP_URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = settings
            .mail_from
            .parse::<Mailbox>()
            .map_err(|e| format!("bad GUANXI_MAIL_FROM: {e}"))?;
        Ok(Mailer { transport, from })
    }

    /// Sends a plain-text email; the error text says what the server or the address refused.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let to = to.parse::<Mailbox>().map_err(|e| format!("bad address {to}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }

    /// Sends a plain-text email in a conversation: from `from` (the desk's address, replies come
    /// back to it) with the given Message-ID, answering `in_reply_to` and naming the thread's
    /// earlier messages in `references`, so mail programs show one thread.
    pub async fn send_in_thread(&self, email: ThreadedEmail<'_>) -> Result<(), String> {
        let to =
            email.to.parse::<Mailbox>().map_err(|e| format!("bad address {}: {e}", email.to))?;
        let from = match email.from {
            Some(from) => {
                from.parse::<Mailbox>().map_err(|e| format!("bad desk address {from}: {e}"))?
            }
            None => self.from.clone(),
        };
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject)
            .message_id(Some(email.message_id.to_owned()))
            .header(ContentType::TEXT_PLAIN);
        if let Some(parent) = email.in_reply_to {
            builder = builder.in_reply_to(parent.to_owned());
        }
        if !email.references.is_empty() {
            builder = builder.references(email.references.join(" "));
        }
        let message = builder.body(email.body).map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// An email that continues a conversation.
pub struct ThreadedEmail<'a> {
    pub to: &'a str,
    /// The sender when not the configured one (a desk's own address).
    pub from: Option<&'a str>,
    pub subject: &'a str,
    pub body: String,
    /// `<...@domain>`, angle brackets included.
    pub message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: Vec<String>,
}
