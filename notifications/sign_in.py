"""The emails that carry a single-use link: confirming a new subscription (double opt-in),
signing in to one's preferences, and signing in to the staff pages. Pure: a link in, an
EmailMessage (plain text and HTML, the link escaped for each) out, in English or Swedish."""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

TEXTS = {
    "en": {
        "confirm_subject": "Confirm your funding-monitor subscription",
        "confirm_body": "Someone, probably you, asked to receive funding-monitor digests of "
        "research funding calls at this address. To confirm, open this link (it works once, "
        "for {hours} hours):",
        "sign-in_subject": "Your link to your funding-monitor preferences",
        "sign-in_body": "Open this link to change what you receive from funding-monitor (it "
        "works once, for {hours} hours):",
        "staff_subject": "Your link to sign in to funding-monitor's staff pages",
        "staff_body": "Open this link to sign in to the staff pages of funding-monitor (it "
        "works once, for {minutes} minutes):",
        "button_confirm": "Confirm my subscription",
        "button_sign-in": "Open my preferences",
        "button_staff": "Sign in",
        "ignore": "If you did not ask for this, ignore this email: nothing happens without "
        "the link.",
    },
    "sv": {
        "confirm_subject": "Bekräfta din prenumeration på funding-monitor",
        "confirm_body": "Någon, troligen du, har bett om att få sammanställningar av "
        "utlysningar från funding-monitor till den här adressen. Öppna länken för att "
        "bekräfta (den fungerar en gång, i {hours} timmar):",
        "sign-in_subject": "Din länk till dina inställningar i funding-monitor",
        "sign-in_body": "Öppna länken för att ändra vad du får från funding-monitor (den "
        "fungerar en gång, i {hours} timmar):",
        "staff_subject": "Din länk för att logga in på funding-monitors sidor för personal",
        "staff_body": "Öppna länken för att logga in på funding-monitors sidor för personal "
        "(den fungerar en gång, i {minutes} minuter):",
        "button_confirm": "Bekräfta min prenumeration",
        "button_sign-in": "Öppna mina inställningar",
        "button_staff": "Logga in",
        "ignore": "Om du inte har bett om detta kan du bortse från mejlet: inget händer utan "
        "länken.",
    },
}


def link_message(kind: str, link: str, *, language: str, sender: str, to: str,
                 hours: int = 0, minutes: int = 0) -> EmailMessage:  # fmt: skip
    """The email of a ``confirm``, ``sign-in`` or ``staff`` (sign in to the staff pages) link,
    which works for ``hours`` (or ``minutes``)."""
    texts = TEXTS[language]
    body = texts[f"{kind}_body"].format(hours=hours, minutes=minutes)
    message = EmailMessage()
    message["Subject"] = texts[f"{kind}_subject"]
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "funding-monitor")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(f"{body}\n\n{link}\n\n{texts['ignore']}\n")
    page = (f'<!DOCTYPE html><html lang="{language}"><body style="font-family:Arial,sans-serif;'
            f'font-size:16px;line-height:1.5;color:#1b1f24;background:#ffffff">'
            f"<p>{html.escape(body)}</p>"
            f'<p><a href="{html.escape(link, quote=True)}" style="display:inline-block;'
            f"padding:10px 18px;background:#0b5cad;color:#ffffff;text-decoration:none;"
            f'border-radius:4px">{html.escape(texts["button_" + kind])}</a></p>'
            f"<p>{html.escape(link)}</p><p>{html.escape(texts['ignore'])}</p>"
            "</body></html>")  # fmt: skip
    message.add_alternative(page, subtype="html")
    return message
