"""The admins' tags and linked-calls pages' texts (``/staff/tags``, ``/staff/links``); keys
start with ``tx_`` (``tag_`` is the call page's)."""

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "tx_menu_tags": "Tags",
        "tx_menu_links": "Linked calls",
        "tx_tags_intro": "The taxonomy: each top-level tag with its sub-tags, in both "
        "languages, with its rules, the calls that carry it and the subscribers who follow it. "
        "Open a tag to change its rules (with a preview of the calls it would gain or lose "
        "before anything is saved), rename, retire or restore it.",
        "tx_add_link": "Add a tag",
        "tx_col_tag": "Tag",
        "tx_col_en": "English",
        "tx_col_sv": "Swedish",
        "tx_col_rules": "Rules",
        "tx_col_calls": "Calls",
        "tx_col_followers": "Subscribers",
        "tx_sub_of": "sub-tag of {parent}",
        "tx_no_rules": "no rules",
        "tx_retired_heading": "Retired tags",
        "tx_retired_intro": "On no call and matching nothing in subscriptions; their history "
        "and labels are kept. Open one to restore it.",
        "tx_rule_phrases": "phrases",
        "tx_rule_negative": "negative phrases",
        "tx_rule_programmes": "programmes",
        "tx_rule_identifiers": "identifier prefixes",
        "tx_rule_funders": "funders",
        "tx_rule_countries": "countries",
        "tx_rule_requires": "required evidence",
        "tx_hint_phrases": "Words found in the call's title, programme, funder or summary.",
        "tx_hint_negative": "A call with one of these never gets the tag from its rules.",
        "tx_hint_programmes": "Words of the call's programme.",
        "tx_hint_identifiers": "The start of the call's identifier, such as HORIZON-HLTH-.",
        "tx_hint_funders": "Words of the funder's name.",
        "tx_hint_countries": "Country names found in the call's text.",
        "tx_hint_requires": "Without one of these in the call's title, programme, funder or "
        "summary, neither the rules nor the model give the tag.",
        "tx_fact_id": "Id",
        "tx_fact_parent": "Parent",
        "tx_fact_children": "Sub-tags",
        "tx_fact_calls": "Calls that carry it",
        "tx_fact_followers": "Subscribers following it",
        "tx_fact_status": "Status",
        "tx_in_force": "in force",
        "tx_retired": "retired",
        "tx_none": "none",
        "tx_rules_heading": "Rules",
        "tx_rules_intro": "One rule a line. Phrases match whole words, whatever the case "
        "(\u201cdual-use\u201d = \u201cdual use\u201d); a final * matches any ending "
        "(\u201ccurricul*\u201d); a phrase in capitals (\u201cSME\u201d, \u201cNIH\u201d) is an "
        "acronym and matches only as written. Preview first: it shows which stored calls "
        "would gain or lose the tag, and nothing is saved until you press Save.",
        "tx_rules_of_parent": "This tag has sub-tags: its calls follow from theirs, and its "
        "own rules are not used.",
        "tx_description": "Description",
        "tx_parent": "Parent",
        "tx_no_parent": "none (a top-level tag)",
        "tx_preview_button": "Preview the change",
        "tx_save_button": "Save these rules",
        "tx_preview_heading": "What this change would do",
        "tx_preview_checked": "{checked} stored calls run through the tagger in force "
        "({tagger}) with the rules as they are and as edited, in {seconds} s. Nothing is "
        "saved yet.",
        "tx_preview_none": "No stored call would gain or lose a tag.",
        "tx_preview_gains": "Gains",
        "tx_preview_loses": "Loses",
        "tx_gained_heading": "Calls that would gain {tag}",
        "tx_lost_heading": "Calls that would lose {tag}",
        "tx_more": "\u2026and {n} more.",
        "tx_decided_model": "This tag is decided by the model alone: its rules change "
        "nothing until a retraining chooses otherwise.",
        "tx_preview_stale": "The rules were changed after the preview, so nothing was saved. "
        "Here is the preview of the rules as they are now: save again to keep them.",
        "tx_saved": "Saved. {n} calls were re-tagged at once; the others follow at the next "
        "classification.",
        "tx_rename_heading": "Labels",
        "tx_label_en": "English label",
        "tx_label_sv": "Swedish label",
        "tx_rename_button": "Rename",
        "tx_renamed": "Renamed: {en} / {sv}.",
        "tx_retire_heading": "Retire",
        "tx_retire_intro": "A retired tag is taken off every call and matches nothing in "
        "subscriptions; its history and labels stay, and it can be restored.",
        "tx_retire_button": "Retire this tag",
        "tx_retire_confirm_heading": "Retire {label}?",
        "tx_retire_uses": "It is on {calls} calls and in {labels} labels, and {followers} "
        "subscribers follow it: their subscriptions to it will match nothing once it is "
        "retired.",
        "tx_retire_confirm": "Retire it anyway",
        "tx_retire_keep": "Keep it",
        "tx_retired_done": "{label} is retired: taken off {calls} calls; its labels are kept.",
        "tx_restore_intro": "This tag is retired. Restoring it puts it back in force; the "
        "calls get it again at the next full classification.",
        "tx_restore_button": "Restore this tag",
        "tx_restored": "{label} is back in force.",
        "tx_followers_heading": "Subscribers following it",
        "tx_followers_none": "No subscriber follows it.",
        "tx_follower_col": "Subscriber",
        "tx_follower_name": "Name",
        "tx_history_heading": "History",
        "tx_history_when": "When",
        "tx_history_kind": "Change",
        "tx_history_detail": "Detail",
        "tx_kind_seeded": "from the default taxonomy",
        "tx_kind_added": "added",
        "tx_kind_renamed": "renamed",
        "tx_kind_edited": "rules edited",
        "tx_kind_imported": "imported",
        "tx_kind_retired": "retired",
        "tx_kind_restored": "restored",
        "tx_problem": "Nothing was saved: {error}",
        "tx_new_heading": "Add a tag",
        "tx_new_intro": "A tag needs an id, an English and a Swedish label, and rules. "
        "Preview shows which stored calls would get it before anything is saved.",
        "tx_id": "Id",
        "tx_id_hint": "2\u201340 lower-case letters, digits and hyphens, starting with a "
        "letter; it cannot be changed later.",
        "tx_create_button": "Add this tag",
        "tx_created": "Added {label}: {n} calls were given it at once.",
        "tx_links_intro": "Calls listed by several sources, merged into one call: the first "
        "listed and its copies, with the rule that links each copy to it now. Split a wrong "
        "link: the call becomes its own call again and is never linked to those calls again.",
        "tx_filter_source": "Source",
        "tx_any_source": "any source",
        "tx_filter_text": "Title or identifier",
        "tx_filter_why": "Linked by",
        "tx_why_any": "any rule",
        "tx_why_identifier": "the same EU topic identifier",
        "tx_why_url": "the same link and a like title",
        "tx_why_title": "title, funder and deadline alike",
        "tx_why_none": "no rule any more (the calls changed since)",
        "tx_why_first": "first listed",
        "tx_show": "Show",
        "tx_col_source": "Source",
        "tx_col_identifier": "Identifier",
        "tx_col_title": "Title",
        "tx_col_deadline": "Deadline",
        "tx_col_why": "Why linked",
        "tx_col_likeness": "Titles alike",
        "tx_col_action": "Action",
        "tx_links_count": "{total} calls known from several sources.",
        "tx_links_none": "No call is known from several sources.",
        "tx_links_none_match": "No linked call matches these filters.",
        "tx_page": "Page {page} of {pages}",
        "tx_prev": "Previous page",
        "tx_next": "Next page",
        "tx_split_button": "Split",
        "tx_split_label": "Split {title} ({source}) from the calls linked with it",
        "tx_split_heading": "Split this call from the calls linked with it?",
        "tx_split_body": "{title} ({source}) becomes its own call again, apart from every "
        "call it is linked with now; matching never links them again, even when its source "
        "lists it anew.",
        "tx_split_first": "It is the first listed: its earliest copy takes its place for the "
        "others.",
        "tx_split_confirm": "Split it",
        "tx_split_keep": "Keep the link",
        "tx_split_done": "{title} is its own call again.",
        "tx_split_gone": "This call is not linked to another call (any more).",
    },
    "sv": {
        "tx_menu_tags": "Taggar",
        "tx_menu_links": "Länkade utlysningar",
        "tx_tags_intro": "Taxonomin: varje tagg på översta nivån med sina undertaggar, på båda "
        "språken, med sina regler, de utlysningar som har den och de prenumeranter som följer "
        "den. Öppna en tagg för att ändra dess regler (med en förhandsvisning av vilka "
        "utlysningar den skulle få eller förlora innan något sparas), byta namn, avveckla "
        "eller återställa den.",
        "tx_add_link": "Lägg till en tagg",
        "tx_col_tag": "Tagg",
        "tx_col_en": "Engelska",
        "tx_col_sv": "Svenska",
        "tx_col_rules": "Regler",
        "tx_col_calls": "Utlysningar",
        "tx_col_followers": "Prenumeranter",
        "tx_sub_of": "undertagg till {parent}",
        "tx_no_rules": "inga regler",
        "tx_retired_heading": "Avvecklade taggar",
        "tx_retired_intro": "Finns inte på någon utlysning och matchar inget i prenumerationer; "
        "deras historik och etiketter finns kvar. Öppna en för att återställa den.",
        "tx_rule_phrases": "fraser",
        "tx_rule_negative": "negativa fraser",
        "tx_rule_programmes": "program",
        "tx_rule_identifiers": "början på beteckningar",
        "tx_rule_funders": "finansiärer",
        "tx_rule_countries": "länder",
        "tx_rule_requires": "krävda belägg",
        "tx_hint_phrases": "Ord i utlysningens titel, program, finansiär eller sammanfattning.",
        "tx_hint_negative": "En utlysning med någon av dessa får aldrig taggen av reglerna.",
        "tx_hint_programmes": "Ord i utlysningens program.",
        "tx_hint_identifiers": "Början på utlysningens beteckning, till exempel HORIZON-HLTH-.",
        "tx_hint_funders": "Ord i finansiärens namn.",
        "tx_hint_countries": "Namn på länder i utlysningens text.",
        "tx_hint_requires": "Utan någon av dessa i utlysningens titel, program, finansiär eller "
        "sammanfattning ger varken reglerna eller modellen taggen.",
        "tx_fact_id": "Id",
        "tx_fact_parent": "Överordnad",
        "tx_fact_children": "Undertaggar",
        "tx_fact_calls": "Utlysningar som har den",
        "tx_fact_followers": "Prenumeranter som följer den",
        "tx_fact_status": "Status",
        "tx_in_force": "gäller",
        "tx_retired": "avvecklad",
        "tx_none": "inga",
        "tx_rules_heading": "Regler",
        "tx_rules_intro": "En regel per rad. Fraser matchar hela ord, oavsett skiftläge "
        "(\u201cdual-use\u201d = \u201cdual use\u201d); en avslutande * matchar vilken ändelse "
        "som helst (\u201ccurricul*\u201d); en fras med versaler (\u201cSME\u201d, "
        "\u201cNIH\u201d) är en förkortning och matchar bara som den är skriven. "
        "Förhandsgranska först: då syns vilka sparade utlysningar som skulle få eller förlora "
        "taggen, och inget sparas förrän du trycker på Spara.",
        "tx_rules_of_parent": "Den här taggen har undertaggar: dess utlysningar följer av "
        "deras, och dess egna regler används inte.",
        "tx_description": "Beskrivning",
        "tx_parent": "Överordnad",
        "tx_no_parent": "ingen (en tagg på översta nivån)",
        "tx_preview_button": "Förhandsgranska ändringen",
        "tx_save_button": "Spara reglerna",
        "tx_preview_heading": "Vad ändringen skulle göra",
        "tx_preview_checked": "{checked} sparade utlysningar har körts genom den taggare som "
        "gäller ({tagger}) med reglerna som de är och som de ändrats, på {seconds} s. Inget "
        "är sparat än.",
        "tx_preview_none": "Ingen sparad utlysning skulle få eller förlora en tagg.",
        "tx_preview_gains": "Får",
        "tx_preview_loses": "Förlorar",
        "tx_gained_heading": "Utlysningar som skulle få {tag}",
        "tx_lost_heading": "Utlysningar som skulle förlora {tag}",
        "tx_more": "\u2026och {n} till.",
        "tx_decided_model": "Den här taggen avgörs av modellen ensam: dess regler ändrar "
        "ingenting förrän en ny träning väljer annorlunda.",
        "tx_preview_stale": "Reglerna ändrades efter förhandsvisningen, så inget sparades. Här "
        "är förhandsvisningen av reglerna som de är nu: spara igen för att behålla dem.",
        "tx_saved": "Sparat. {n} utlysningar taggades om direkt; de andra följer vid nästa "
        "klassificering.",
        "tx_rename_heading": "Namn",
        "tx_label_en": "Engelskt namn",
        "tx_label_sv": "Svenskt namn",
        "tx_rename_button": "Byt namn",
        "tx_renamed": "Nytt namn: {en} / {sv}.",
        "tx_retire_heading": "Avveckla",
        "tx_retire_intro": "En avvecklad tagg tas bort från alla utlysningar och matchar "
        "inget i prenumerationer; dess historik och etiketter finns kvar, och den kan "
        "återställas.",
        "tx_retire_button": "Avveckla taggen",
        "tx_retire_confirm_heading": "Avveckla {label}?",
        "tx_retire_uses": "Den finns på {calls} utlysningar och i {labels} etiketter, och "
        "{followers} prenumeranter följer den: deras prenumerationer på den matchar ingenting "
        "när den är avvecklad.",
        "tx_retire_confirm": "Avveckla den ändå",
        "tx_retire_keep": "Behåll den",
        "tx_retired_done": "{label} är avvecklad: borttagen från {calls} utlysningar; dess "
        "etiketter finns kvar.",
        "tx_restore_intro": "Den här taggen är avvecklad. Om den återställs gäller den igen; "
        "utlysningarna får den igen vid nästa fullständiga klassificering.",
        "tx_restore_button": "Återställ taggen",
        "tx_restored": "{label} gäller igen.",
        "tx_followers_heading": "Prenumeranter som följer den",
        "tx_followers_none": "Ingen prenumerant följer den.",
        "tx_follower_col": "Prenumerant",
        "tx_follower_name": "Namn",
        "tx_history_heading": "Historik",
        "tx_history_when": "När",
        "tx_history_kind": "Ändring",
        "tx_history_detail": "Detaljer",
        "tx_kind_seeded": "från standardtaxonomin",
        "tx_kind_added": "tillagd",
        "tx_kind_renamed": "nytt namn",
        "tx_kind_edited": "reglerna ändrade",
        "tx_kind_imported": "importerad",
        "tx_kind_retired": "avvecklad",
        "tx_kind_restored": "återställd",
        "tx_problem": "Inget sparades: {error}",
        "tx_new_heading": "Lägg till en tagg",
        "tx_new_intro": "En tagg behöver ett id, ett engelskt och ett svenskt namn, och regler. "
        "Förhandsvisningen visar vilka sparade utlysningar som skulle få den innan något "
        "sparas.",
        "tx_id": "Id",
        "tx_id_hint": "2\u201340 gemena bokstäver, siffror och bindestreck, med en bokstav "
        "först; det kan inte ändras senare.",
        "tx_create_button": "Lägg till taggen",
        "tx_created": "{label} är tillagd: {n} utlysningar fick den direkt.",
        "tx_links_intro": "Utlysningar som flera källor listar, sammanslagna till en: den som "
        "listades först och dess kopior, med den regel som länkar varje kopia till den nu. "
        "Dela en felaktig länk: utlysningen blir en egen utlysning igen och länkas aldrig mer "
        "till de utlysningarna.",
        "tx_filter_source": "Källa",
        "tx_any_source": "alla källor",
        "tx_filter_text": "Titel eller beteckning",
        "tx_filter_why": "Länkad genom",
        "tx_why_any": "vilken regel som helst",
        "tx_why_identifier": "samma beteckning för EU-ämnet",
        "tx_why_url": "samma länk och en liknande titel",
        "tx_why_title": "liknande titel, finansiär och sista dag",
        "tx_why_none": "ingen regel längre (utlysningarna har ändrats sedan dess)",
        "tx_why_first": "listad först",
        "tx_show": "Visa",
        "tx_col_source": "Källa",
        "tx_col_identifier": "Beteckning",
        "tx_col_title": "Titel",
        "tx_col_deadline": "Sista dag",
        "tx_col_why": "Varför länkad",
        "tx_col_likeness": "Titlarnas likhet",
        "tx_col_action": "Åtgärd",
        "tx_links_count": "{total} utlysningar som flera källor listar.",
        "tx_links_none": "Ingen utlysning listas av flera källor.",
        "tx_links_none_match": "Ingen länkad utlysning matchar filtren.",
        "tx_page": "Sida {page} av {pages}",
        "tx_prev": "Föregående sida",
        "tx_next": "Nästa sida",
        "tx_split_button": "Dela",
        "tx_split_label": "Dela {title} ({source}) från de utlysningar den är länkad till",
        "tx_split_heading": "Dela den här utlysningen från de utlysningar den är länkad till?",
        "tx_split_body": "{title} ({source}) blir en egen utlysning igen, skild från alla "
        "utlysningar den är länkad till nu; de länkas aldrig ihop igen, inte ens när källan "
        "listar den på nytt.",
        "tx_split_first": "Den listades först: dess tidigaste kopia tar dess plats för de andra.",
        "tx_split_confirm": "Dela den",
        "tx_split_keep": "Behåll länken",
        "tx_split_done": "{title} är en egen utlysning igen.",
        "tx_split_gone": "Utlysningen är inte länkad till någon annan utlysning (längre).",
    },
}
