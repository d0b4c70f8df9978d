"""Mail, the outbox, customer communication, alerts from monitoring."""

from __future__ import annotations

from email.utils import parseaddr

from django.core.exceptions import ImproperlyConfigured

from escalation.settings.env import env, env_bool, env_int

# Email: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Escalation <escalation@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# A customer's status-page link (comms.status_links) stops working this many days after the
# mail that carried it was written; every update mail carries a fresh one.
COMMS_STATUS_LINK_DAYS = env_int("COMMS_STATUS_LINK_DAYS", 30, minimum=1)
# The public status page answers at most COMMS_STATUS_PAGE_PER_MINUTE requests per link, and
# per address, in a minute, and takes at most COMMS_STATUS_REPLIES_PER_HOUR replies per link
# and per address in an hour; past that it answers 429 until the window is over.
COMMS_STATUS_PAGE_PER_MINUTE = env_int("COMMS_STATUS_PAGE_PER_MINUTE", 30, minimum=1)
COMMS_STATUS_REPLIES_PER_HOUR = env_int("COMMS_STATUS_REPLIES_PER_HOUR", 20, minimum=1)
# Customers answer updates at COMMS_REPLY_ADDRESS, tagged per case (comms.threading):
# "support@example.com" becomes Reply-To "support+<case>.<signature>@example.com". Default: the
# address of DEFAULT_FROM_EMAIL.
COMMS_REPLY_ADDRESS = env("COMMS_REPLY_ADDRESS", parseaddr(DEFAULT_FROM_EMAIL)[1])
if "@" not in COMMS_REPLY_ADDRESS or "+" in COMMS_REPLY_ADDRESS.partition("@")[0]:
    raise ImproperlyConfigured(
        f"COMMS_REPLY_ADDRESS must be a plain address without a +tag, not {COMMS_REPLY_ADDRESS!r}"
    )
# Replies fetched from a mailbox (comms.imap), every COMMS_IMAP_SECONDS, when COMMS_IMAP_URL is
# set: imaps://user:password@host:993/INBOX (imap:// for plain IMAP with STARTTLS refused,
# only on a trusted network). Off by default.
COMMS_IMAP_URL = env("COMMS_IMAP_URL")
if COMMS_IMAP_URL and not COMMS_IMAP_URL.startswith(("imap://", "imaps://")):
    raise ImproperlyConfigured("COMMS_IMAP_URL must start with imap:// or imaps://")
COMMS_IMAP_SECONDS = env_int("COMMS_IMAP_SECONDS", 60, minimum=5)
# The inbound webhook of hosted email (django-anymail, /inbound/<provider>/inbound/): HTTP
# basic auth "user:password" for every provider, and each provider's own signing key where it
# signs (Mailgun). See README "Customer communication".
ANYMAIL = {
    name: value
    for name, value in {
        "WEBHOOK_SECRET": env("ANYMAIL_WEBHOOK_SECRET"),
        "MAILGUN_WEBHOOK_SIGNING_KEY": env("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY"),
    }.items()
    if value
}
# Alerts from monitoring (alerts, POST /api/events/; README "Alerts from monitoring"): a trigger
# reopens its key's case if it was resolved at most ALERTS_REOPEN_HOURS ago (later: a new
# case); repeats of an open case's alert are noted on its timeline at most once every
# ALERTS_NOTE_MINUTES; each integration token may post ALERTS_REQUESTS_PER_MINUTE batches a
# minute (429 with Retry-After beyond).
ALERTS_REOPEN_HOURS = env_int("ALERTS_REOPEN_HOURS", 24)
ALERTS_NOTE_MINUTES = env_int("ALERTS_NOTE_MINUTES", 10)
ALERTS_REQUESTS_PER_MINUTE = env_int("ALERTS_REQUESTS_PER_MINUTE", 120, minimum=1)
# The outbox (sla.outbox): a message is tried at most MAIL_MAX_ATTEMPTS times, backing off from
# MAIL_RETRY_SECONDS up to five minutes between tries (about 35 minutes in all with the
# defaults), then shown as failed in the admin. An unsent message whose next try was due
# MAIL_REDISPATCH_SECONDS ago is handed out again (its task was lost with the broker).
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 12, minimum=1)
MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 10, minimum=1)
MAIL_REDISPATCH_SECONDS = env_int("MAIL_REDISPATCH_SECONDS", 300, minimum=1)
# Notification mail to someone mailed a notification less than NOTIFY_DIGEST_MINUTES ago waits
# for the end of that window and goes out folded into one digest (sla.outbox); 0: never folded.
NOTIFY_DIGEST_MINUTES = env_int("NOTIFY_DIGEST_MINUTES", 5)
# A broadcast's target (comms.broadcast: one update to every child of a major incident) still
# pending this long after it was handed to a worker is handed out again (its task was lost).
COMMS_BROADCAST_REDISPATCH_SECONDS = env_int("COMMS_BROADCAST_REDISPATCH_SECONDS", 120, minimum=1)
