"""The staff pages' texts: the frame and sign-in here, then each role's pages' own
(``staff_curator.py``, ``staff_admin.py``), merged into ``TEXTS`` for ``monitor.web.i18n``."""

from __future__ import annotations

from monitor.web.texts import (
    staff_admin,
    staff_curator,
    staff_deliveries,
    staff_model,
    staff_subscribers,
    staff_tags,
)

OWN: dict[str, dict[str, str]] = {
    "en": {
        "staff_title": "Staff pages",
        "staff_nav": "Staff",
        "staff_intro": "You are signed in as {address} ({role}).",
        "role_curator": "curator",
        "role_admin": "admin",
        "staff_only": "This page is for funding-monitor's staff. Sign in with the address "
        "that has a staff role.",
        "admin_only": "This page is for admins: your role does not include it.",
        "staff_sign_in": "Sign in to the staff pages",
        "staff_sign_in_intro": "Staff sign in with a link sent to their address: no "
        "password. The link works once, for 15 minutes.",
        "staff_expired": "Your session ended (it expired, or you signed out everywhere). Sign "
        "in again to go on.",
        "staff_address": "Your work address",
        "staff_send": "Send me a sign-in link",
        "staff_sent_heading": "Check your email",
        "staff_sent_body": "If this address has a staff role, a sign-in link is on its way. It "
        "works once, for 15 minutes.",
        "staff_link_heading": "Sign in to the staff pages",
        "staff_link_body": "Press the button to sign in. Opening this page changed nothing.",
        "staff_link_button": "Sign in",
        "staff_link_gone": "This sign-in link does not work any more: it was used already, or "
        "it expired. Ask for a new one.",
        "staff_sign_out": "Sign out",
        "staff_sign_out_all": "Sign out everywhere",
        "staff_signed_out": "You are signed out.",
        "staff_group_curator": "Curating",
        "staff_group_admin": "Administering",
        "staff_home": "Overview",
        "staff_audit": "Audit log",
        "staff_audit_intro": "Every change made on a staff page or by a command: who, when, "
        "what, before → after. Newest first.",
        "staff_users": "Users",
        "staff_users_intro": "Who may use the staff pages. Curators: sources, deliveries, "
        "notices, calls entered by hand. Admins: everything.",
        "audit_when": "When",
        "audit_who": "Who",
        "audit_action": "Action",
        "audit_action_example": "source, tag, user…",
        "audit_what": "What",
        "audit_change": "Before → after",
        "audit_filter": "Show",
        "audit_none": "No changes recorded.",
        "audit_older": "Older changes",
        "audit_all_actions": "all actions",
        "user_address": "Address",
        "user_role": "Role",
        "user_added": "Added",
        "user_seen": "Last signed in",
        "user_never": "never",
        "user_add": "Give a role",
        "user_remove": "Remove",
        "user_removed": "{address} no longer has a staff role.",
        "user_saved": "{address} is now {role}.",
        "user_self": "You cannot remove your own role here: ask another admin, or use the "
        "command line.",
        "actions": "Actions",
    },
    "sv": {
        "staff_title": "Sidor för personal",
        "staff_nav": "Personal",
        "staff_intro": "Du är inloggad som {address} ({role}).",
        "role_curator": "kurator",
        "role_admin": "administratör",
        "staff_only": "Den här sidan är för funding-monitors personal. Logga in med den adress "
        "som har en roll.",
        "admin_only": "Den här sidan är för administratörer: din roll omfattar den inte.",
        "staff_sign_in": "Logga in på sidorna för personal",
        "staff_sign_in_intro": "Personal loggar in med en länk som skickas till deras adress: "
        "inget lösenord. Länken fungerar en gång, i 15 minuter.",
        "staff_expired": "Din session har upphört (den gick ut, eller så loggade du ut "
        "överallt). Logga in igen för att fortsätta.",
        "staff_address": "Din jobbadress",
        "staff_send": "Skicka en inloggningslänk",
        "staff_sent_heading": "Titta i din e-post",
        "staff_sent_body": "Om adressen har en roll är en inloggningslänk på väg. Den fungerar "
        "en gång, i 15 minuter.",
        "staff_link_heading": "Logga in på sidorna för personal",
        "staff_link_body": "Tryck på knappen för att logga in. Att öppna sidan ändrade ingenting.",
        "staff_link_button": "Logga in",
        "staff_link_gone": "Inloggningslänken fungerar inte längre: den har redan använts, "
        "eller så har den gått ut. Be om en ny.",
        "staff_sign_out": "Logga ut",
        "staff_sign_out_all": "Logga ut överallt",
        "staff_signed_out": "Du är utloggad.",
        "staff_group_curator": "Kurering",
        "staff_group_admin": "Administration",
        "staff_home": "Översikt",
        "staff_audit": "Ändringslogg",
        "staff_audit_intro": "Varje ändring gjord på en sida för personal eller med ett "
        "kommando: vem, när, vad, före → efter. Nyaste först.",
        "staff_users": "Användare",
        "staff_users_intro": "Vilka som får använda sidorna för personal. Kuratorer: källor, "
        "utskick, aviseringar, utlysningar som förts in för hand. Administratörer: allt.",
        "audit_when": "När",
        "audit_who": "Vem",
        "audit_action": "Åtgärd",
        "audit_action_example": "t.ex. source, tag, user",
        "audit_what": "Vad",
        "audit_change": "Före → efter",
        "audit_filter": "Visa",
        "audit_none": "Inga ändringar har registrerats.",
        "audit_older": "Äldre ändringar",
        "audit_all_actions": "alla åtgärder",
        "user_address": "Adress",
        "user_role": "Roll",
        "user_added": "Tillagd",
        "user_seen": "Senast inloggad",
        "user_never": "aldrig",
        "user_add": "Ge en roll",
        "user_remove": "Ta bort",
        "user_removed": "{address} har inte längre någon roll.",
        "user_saved": "{address} är nu {role}.",
        "user_self": "Du kan inte ta bort din egen roll här: be en annan administratör, eller "
        "använd kommandoraden.",
        "actions": "Åtgärder",
    },
}


def _merged(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in (
        OWN,
        staff_curator.TEXTS,
        staff_admin.TEXTS,
        staff_tags.TEXTS,
        staff_model.TEXTS,
        staff_deliveries.TEXTS,
        staff_subscribers.TEXTS,
    ):
        clash = set(merged) & set(part[lang])
        if clash:  # two pages chose the same key: one of them would say the other's text
            raise RuntimeError(f"staff text keys defined twice: {', '.join(sorted(clash))}")
        merged.update(part[lang])
    return merged


TEXTS = {lang: _merged(lang) for lang in ("en", "sv")}
