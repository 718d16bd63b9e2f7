"""Emails: one look for every message (a text part and an HTML part), sent by the worker.

A notification's email is its title and body with buttons: Approve, Deny and Open (signed
links, for the people who may decide a waiting request) or Open in Access Panel. Sending marks
each notification once it was handed to the mail server, so a redelivered event sends only
what wasn't sent; a temporary SMTP failure asks the worker to retry (RetryLater), a permanent
one is recorded on the notification and not retried.
"""

import smtplib
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from groups.models import JoinRequest
from notifications import links
from notifications.models import Digest, EmailLink, Notification
from tenants.handlers import RetryLater

RETRY_SECONDS = 60


@dataclass(frozen=True)
class Button:
    label: str
    url: str
    style: str = "primary"  # primary, approve, deny, plain


@dataclass
class Message:
    """What one email says; rendered into both parts by notifications/email/message.*"""

    subject: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    note: str = ""
    items: list[dict] = field(default_factory=list)  # a digest's notifications


def _buttons(notification: Notification) -> tuple[list[Button], str]:
    request = notification.join_request
    if (
        notification.offers_decision
        and notification.recipient_id
        and request is not None
        and request.status == JoinRequest.Status.PENDING
    ):
        days = settings.NOTIFICATIONS["LINK_DAYS"]
        urls = links.make(notification, list(EmailLink.Action.values))
        return (
            [
                Button("Approve", urls[EmailLink.Action.APPROVE], "approve"),
                Button("Deny", urls[EmailLink.Action.DENY], "deny"),
                Button("Open", urls[EmailLink.Action.OPEN], "plain"),
            ],
            f"Each button opens Access Panel, where you confirm while signed in. The links are "
            f"yours alone, work once and expire in {days} days.",
        )
    if notification.link:
        return [Button("Open in Access Panel", links.absolute(notification.link))], ""
    return [], ""


def compose(notification: Notification) -> Message:
    buttons, note = _buttons(notification)
    return Message(
        subject=notification.title,
        heading=notification.title,
        paragraphs=[line for line in notification.body.splitlines() if line.strip()],
        buttons=buttons,
        note=note,
    )


def compose_digest(digest: Digest, notifications: list[Notification]) -> Message:
    count = len(notifications)
    return Message(
        subject=f"Your Access Panel digest: {count} update{'s' if count != 1 else ''}",
        heading=f"What happened since your last digest ({count})",
        items=[
            {
                "title": n.title,
                "body": n.body,
                "url": links.absolute(n.link) if n.link else "",
                "when": n.created_at,
            }
            for n in notifications
        ],
        buttons=[Button("Open Access Panel", links.absolute("/notifications/"))],
        note="You get these as a daily digest. Change that in Access Panel → Notifications → "
        "Email preferences.",
    )


def render(message: Message, *, name: str) -> tuple[str, str]:
    """The text part and the HTML part of a message."""
    context = {"message": message, "name": name, "site_url": settings.SITE_URL}
    text = render_to_string("notifications/email/message.txt", context)
    html = render_to_string("notifications/email/message.html", context)
    return text, html


def _deliver(message: Message, *, to: str, name: str, connection) -> None:
    text, html = render(message, name=name)
    email = EmailMultiAlternatives(
        subject=message.subject[:200],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
    )
    email.attach_alternative(html, "text/html")
    email.send()


TEMPORARY = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    socket.timeout,
    TimeoutError,
)


def _permanent(error: Exception) -> bool:
    """A refusal the mail server will repeat (5xx): retrying would not help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def send_pending(notifications: Iterable[Notification]) -> int:
    """Email each notification not emailed yet; returns how many were sent."""
    pending = list(notifications)
    if not pending:
        return 0
    sent = 0
    with get_connection() as connection:
        for notification in pending:
            try:
                _deliver(
                    compose(notification),
                    to=notification.email,
                    name=notification.recipient.display_name if notification.recipient else "",
                    connection=connection,
                )
            except (smtplib.SMTPException, *TEMPORARY) as error:
                if _permanent(error):
                    Notification.objects.filter(pk=notification.pk).update(
                        email_error=f"{type(error).__name__}: {error}"[:500]
                    )
                    continue
                raise RetryLater(f"Mail server trouble: {error}", after=RETRY_SECONDS) from error
            Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
            sent += 1
    return sent


def send_digest(digest_id: int) -> bool:
    """Send one daily digest, once; returns whether it was sent now."""
    digest = Digest.objects.select_related("recipient").filter(pk=digest_id).first()
    if digest is None or digest.sent_at is not None:
        return False
    items = list(digest.notifications.order_by("created_at", "id"))
    if items:
        try:
            with get_connection() as connection:
                _deliver(
                    compose_digest(digest, items),
                    to=digest.recipient.email,
                    name=digest.recipient.display_name,
                    connection=connection,
                )
        except (smtplib.SMTPException, *TEMPORARY) as error:
            if not _permanent(error):
                raise RetryLater(f"Mail server trouble: {error}", after=RETRY_SECONDS) from error
    now = timezone.now()
    Digest.objects.filter(pk=digest.pk, sent_at__isnull=True).update(sent_at=now)
    digest.notifications.filter(emailed_at__isnull=True).update(emailed_at=now)
    return bool(items)
