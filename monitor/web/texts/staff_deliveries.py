"""The curators' deliveries page (``/staff/deliveries``, keys ``dlv_``) and calls entered by
hand (``/staff/calls``, keys ``man_``)."""

from __future__ import annotations

DELIVERIES: dict[str, dict[str, str]] = {
    "en": {
        "dlv_menu": "Deliveries",
        "dlv_intro": "The send log: every digest and every source-health notice sent to "
        "curators, newest first — sent, waiting to be sent (pending), failed with the error, "
        "or empty (nothing was due). A failed delivery can be sent again once its address "
        "is right.",
        "dlv_quick_failed": "Failed deliveries",
        "dlv_quick_pending": "Waiting to be sent",
        "dlv_quick_notices": "Notices to curators",
        "dlv_f_subscriber": "Subscriber",
        "dlv_f_subscriber_hint": "Number or email address",
        "dlv_f_kind": "Kind",
        "dlv_any_kind": "digests and notices",
        "dlv_kind_digest": "Digest",
        "dlv_kind_notice": "Notice",
        "dlv_f_status": "Status",
        "dlv_any_status": "any status",
        "dlv_status_pending": "waiting",
        "dlv_status_sent": "sent",
        "dlv_status_failed": "failed",
        "dlv_status_empty": "empty",
        "dlv_f_period": "Period",
        "dlv_f_period_hint": "A week like 2026-W48 or a day like 2026-11-28",
        "dlv_f_since": "Planned from",
        "dlv_f_until": "Planned to",
        "dlv_show": "Show",
        "dlv_clear": "Show every delivery",
        "dlv_count": "Deliveries found: {total}.",
        "dlv_count_of": "Subscriber: {subscriber}.",
        "dlv_col_id": "No.",
        "dlv_col_planned": "Planned",
        "dlv_col_what": "What",
        "dlv_col_to": "To",
        "dlv_col_status": "Status",
        "dlv_col_sent": "Sent",
        "dlv_col_error": "Error",
        "dlv_open": "Delivery {id}",
        "dlv_attempts": "attempts: {n}",
        "dlv_attempts_label": "Failed attempts",
        "dlv_retry_link": "Send delivery {id} again…",
        "dlv_page": "Page {page} of {pages}",
        "dlv_prev": "Previous page",
        "dlv_next": "Next page",
        "dlv_none": "Nothing has been sent yet.",
        "dlv_none_match": "No delivery matches these filters.",
        "dlv_state_unhealthy": "is failing",
        "dlv_state_still-unhealthy": "is still failing",
        "dlv_state_healthy": "works again",
        "dlv_calls": "calls: {n}",
        "dlv_of_subscriber": "Deliveries of subscriber {id}",
        "dlv_dest_email": "email",
        "dlv_dest_slack-channel": "Slack channel",
        "dlv_dest_slack-webhook": "Slack webhook",
        "dlv_dest_teams-webhook": "Teams webhook",
        "dlv_paused": "paused",
        "dlv_one": "Delivery {id}",
        "dlv_back": "← All deliveries",
        "dlv_not_sent": "not sent",
        "dlv_done_retried": "The delivery is waiting to be sent again: the next send (the "
        "scheduler's, or `funding-monitor digest send`) sends it.",
        "dlv_done_sent_sent": "The delivery was sent again.",
        "dlv_done_sent_pending": "The delivery is waiting to be sent again, but could not be "
        "sent just now; the next send tries it.",
        "dlv_done_sent_failed": "The delivery was tried again and failed again: see the error "
        "below. Fix the address, then try once more.",
        "dlv_retry_heading": "Send it again",
        "dlv_retry_to": "It will go to",
        "dlv_retry_fix": "If this address is wrong, ask an admin to correct the subscriber "
        "first: sending again to a wrong address fails again.",
        "dlv_retry_fix_admin": "If this address is wrong, correct the subscriber first "
        "(`funding-monitor subscribers edit`): sending again to a wrong address fails again.",
        "dlv_retry_digest": "The calls of a failed digest were released for later digests, so "
        "it is made again with what the subscriber has not been told yet, as of now.",
        "dlv_retry_notice": "The notice is sent as it was written.",
        "dlv_retry_later": "Send with the next send",
        "dlv_retry_now": "Send now",
        "dlv_retry_paused": "The subscriber is paused or unsubscribed, so nothing can be sent "
        "to them. An admin can resume them on their page.",
    },
    "sv": {
        "dlv_menu": "Utskick",
        "dlv_intro": "Utskickslogg: varje sammanställning och varje avisering om källornas "
        "hälsa till kuratorerna, nyaste först — skickade, väntande, misslyckade med felet, "
        "eller tomma (inget att skicka). Ett misslyckat utskick kan skickas igen när adressen "
        "stämmer.",
        "dlv_quick_failed": "Misslyckade utskick",
        "dlv_quick_pending": "Väntar på att skickas",
        "dlv_quick_notices": "Aviseringar till kuratorer",
        "dlv_f_subscriber": "Prenumerant",
        "dlv_f_subscriber_hint": "Nummer eller e-postadress",
        "dlv_f_kind": "Slag",
        "dlv_any_kind": "sammanställningar och aviseringar",
        "dlv_kind_digest": "Sammanställning",
        "dlv_kind_notice": "Avisering",
        "dlv_f_status": "Status",
        "dlv_any_status": "alla",
        "dlv_status_pending": "väntar",
        "dlv_status_sent": "skickad",
        "dlv_status_failed": "misslyckad",
        "dlv_status_empty": "tom",
        "dlv_f_period": "Period",
        "dlv_f_period_hint": "En vecka som 2026-W48 eller en dag som 2026-11-28",
        "dlv_f_since": "Planerad från",
        "dlv_f_until": "Planerad till",
        "dlv_show": "Visa",
        "dlv_clear": "Visa alla utskick",
        "dlv_count": "Hittade utskick: {total}.",
        "dlv_count_of": "Prenumerant: {subscriber}.",
        "dlv_col_id": "Nr",
        "dlv_col_planned": "Planerad",
        "dlv_col_what": "Vad",
        "dlv_col_to": "Till",
        "dlv_col_status": "Status",
        "dlv_col_sent": "Skickad",
        "dlv_col_error": "Fel",
        "dlv_open": "Utskick {id}",
        "dlv_attempts": "försök: {n}",
        "dlv_attempts_label": "Misslyckade försök",
        "dlv_retry_link": "Skicka utskick {id} igen…",
        "dlv_page": "Sida {page} av {pages}",
        "dlv_prev": "Föregående sida",
        "dlv_next": "Nästa sida",
        "dlv_none": "Inget har skickats ännu.",
        "dlv_none_match": "Inget utskick matchar filtren.",
        "dlv_state_unhealthy": "fungerar inte",
        "dlv_state_still-unhealthy": "fungerar fortfarande inte",
        "dlv_state_healthy": "fungerar igen",
        "dlv_calls": "utlysningar: {n}",
        "dlv_of_subscriber": "Utskick till prenumerant {id}",
        "dlv_dest_email": "e-post",
        "dlv_dest_slack-channel": "Slack-kanal",
        "dlv_dest_slack-webhook": "Slack-webhook",
        "dlv_dest_teams-webhook": "Teams-webhook",
        "dlv_paused": "pausad",
        "dlv_one": "Utskick {id}",
        "dlv_back": "← Alla utskick",
        "dlv_not_sent": "inte skickad",
        "dlv_done_retried": "Utskicket väntar på att skickas igen: nästa utskick "
        "(schemaläggarens, eller `funding-monitor digest send`) skickar det.",
        "dlv_done_sent_sent": "Utskicket skickades igen.",
        "dlv_done_sent_pending": "Utskicket väntar på att skickas igen, men kunde inte skickas "
        "just nu; nästa utskick försöker igen.",
        "dlv_done_sent_failed": "Utskicket försöktes igen och misslyckades igen: se felet "
        "nedan. Rätta adressen och försök en gång till.",
        "dlv_retry_heading": "Skicka igen",
        "dlv_retry_to": "Det går till",
        "dlv_retry_fix": "Om adressen är fel, be en administratör rätta prenumeranten först: "
        "att skicka igen till en felaktig adress misslyckas igen.",
        "dlv_retry_fix_admin": "Om adressen är fel, rätta prenumeranten först (`funding-monitor "
        "subscribers edit`): att skicka igen till en felaktig adress misslyckas igen.",
        "dlv_retry_digest": "Utlysningarna i en misslyckad sammanställning släpptes till senare "
        "sammanställningar, så den görs om med det prenumeranten ännu inte fått veta, från och "
        "med nu.",
        "dlv_retry_notice": "Aviseringen skickas som den skrevs.",
        "dlv_retry_later": "Skicka med nästa utskick",
        "dlv_retry_now": "Skicka nu",
        "dlv_retry_paused": "Prenumeranten är pausad eller har avslutat prenumerationen, så "
        "inget kan skickas. En administratör kan återuppta den på prenumerantens sida.",
    },
}

MANUAL: dict[str, dict[str, str]] = {"en": {}, "sv": {}}

TEXTS = {lang: {**DELIVERIES[lang], **MANUAL[lang]} for lang in ("en", "sv")}
