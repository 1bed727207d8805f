"""The staff pages' operator texts in Swedish: what the application and the source kinds say in
English (a kind's and a setting's description, the hint beside a source's error, why a source
is unhealthy), keyed by the English text as gettext keys a message by its source string. The
English stays where it is written (the CLI and README print it); a page in Swedish shows the
Swedish here, and any text not listed (a server's own error message) as it is.
``tests/web/test_operator_texts.py`` holds every kind, setting and hint to a translation."""

from __future__ import annotations

import re

SV: dict[str, str] = {
    # the kinds (sources.registry) and their settings
    "EU Funding & Tenders Portal search API (--url: the API base, e.g. "
    "https://api.tech.ec.europa.eu/search-api/prod/rest)": "EU:s Funding & Tenders-portals "
    "sök-API (--url: API:ets bas, t.ex. https://api.tech.ec.europa.eu/search-api/prod/rest)",
    "comma-separated programme names or frameworkProgramme codes; empty for all": "program"
    "namn eller frameworkProgramme-koder, åtskilda med komma; tomt för alla",
    "call types: 1 grant topics, 8 cascade calls, 2 EuropeAid": "typer av utlysningar: 1 "
    "bidragsämnen (topics), 8 kaskadutlysningar, 2 EuropeAid",
    "portal statuses to ask for": "de statusar i portalen som efterfrågas",
    "the languages part (one hit per topic per language)": "språkdelen (en träff per ämne och "
    "språk)",
    "results per page (the server caps it at 100)": "träffar per sida (servern ger högst 100)",
    "refuse to go past this many pages": "vägra att läsa fler sidor än så här",
    "fail if totalResults is above this (filter ignored)": "misslyckas om totalResults är "
    "större än så här (filtret ignoreras)",
    "seconds to pause between pages": "sekunders paus mellan sidorna",
    "topicDetails enrichment: none, stubs (no description) or all": "komplettering från "
    "topicDetails: none (ingen), stubs (de utan beskrivning) eller all (alla)",
    "compare the total with an unsorted request (a sort can drop documents)": "jämför antalet "
    "med en osorterad fråga (en sortering kan tappa dokument)",
    "base URL of the topicDetails JSON documents": "bas-URL för topicDetails JSON-dokument",
    "an RSS or Atom feed of calls (--url: the feed's address)": "ett RSS- eller Atom-flöde av "
    "utlysningar (--url: flödets adress)",
    "the funder's name (default: the item's corporate-body category, else the feed title)":
    "finansiärens namn (standard: postens corporate-body-kategori, annars flödets titel)",
    "programme name to give every call": "programnamn som varje utlysning får",
    "category domain holding Open/Closed/Forthcoming": "den kategoridomän som anger "
    "Open/Closed/Forthcoming",
    "category domains holding a deadline date": "de kategoridomäner som anger sista "
    "ansökningsdag",
    "category domains kept as keywords (plain categories always are)": "kategoridomäner som "
    "sparas som nyckelord (vanliga kategorier sparas alltid)",
    "time of day given to date-only deadlines": "klockslag för sista ansökningsdagar som bara "
    "har ett datum",
    "time zone of those deadlines": "tidszon för de sista ansökningsdagarna",
    "refuse feeds with more items than this (the body size limit bounds memory)": "vägra "
    "flöden med fler poster än så här (storleksgränsen för svaret begränsar minnet)",
    "Grants.gov search2 + fetchOpportunity (--url: the API base, e.g. "
    "https://api.grants.gov/v1/api)": "Grants.gov search2 + fetchOpportunity (--url: API:ets "
    "bas, t.ex. https://api.grants.gov/v1/api)",
    "search words; quote a phrase (words are OR-ed)": "sökord; citattecken kring en fras "
    "(något av orden räcker)",
    "agency codes, e.g. HHS-NIH11 (all NIH institutes, Fogarty included)": "myndighetskoder, "
    "t.ex. HHS-NIH11 (alla NIH-institut, Fogarty inräknat)",
    "forecasted, posted, closed, archived": "forecasted (aviserad), posted (utlyst), closed "
    "(stängd), archived (arkiverad)",
    "category codes, e.g. HL for health": "kategorikoder, t.ex. HL för hälsa",
    "eligibility codes (99 unrestricted, 25 others)": "behörighetskoder (99 utan "
    "begränsning, 25 övriga)",
    "hits per page": "träffar per sida",
    "refuse a search with more hits than this": "vägra en sökning med fler träffar än så här",
    "fetchOpportunity calls per run at most (0: none)": "högst så här många "
    "fetchOpportunity-anrop per körning (0: inga)",
    "calls entered by hand (`calls add|edit|import`); built in, never fetched": "utlysningar "
    "som förs in för hand (`calls add|edit|import`); inbyggd, hämtas aldrig",
    "a web page of calls read with CSS selectors, or JSON in or behind it": "en webbsida med "
    "utlysningar som läses med CSS-selektorer, eller JSON i eller bakom den",
    "css (selectors) or json (a path into JSON)": "css (selektorer) eller json (en sökväg i "
    "JSON)",
    "CSS: one element per call": "CSS: ett element per utlysning",
    "CSS, inside an item: the title": "CSS, inuti en post: titeln",
    "CSS, inside an item: the link to the call": "CSS, inuti en post: länken till utlysningen",
    "CSS, inside an item: the text with the deadline": "CSS, inuti en post: texten med sista "
    "ansökningsdag",
    "CSS, inside an item: the summary": "CSS, inuti en post: sammanfattningen",
    "JSON mode: CSS for the script holding the JSON; empty if the body is JSON": "JSON-läge: "
    "CSS för det skript som innehåller JSON; tomt om svaret självt är JSON",
    "JSON mode: dotted path to the list": "JSON-läge: sökväg med punkter till listan",
    "JSON mode: path to the title in an item": "JSON-läge: sökväg till titeln i en post",
    "JSON mode: path to the link in an item": "JSON-läge: sökväg till länken i en post",
    "JSON mode: path to the deadline (text, ISO or UNIX time)": "JSON-läge: sökväg till sista "
    "ansökningsdag (text, ISO eller UNIX-tid)",
    "JSON mode: path to the opening date": "JSON-läge: sökväg till öppningsdatum",
    "JSON mode: path to the summary (HTML allowed)": "JSON-läge: sökväg till sammanfattningen "
    "(HTML tillåten)",
    "JSON mode: path to the item's own id": "JSON-läge: sökväg till postens eget id",
    "the funder's name": "finansiärens namn",
    "refuse pages with more items than this (the body size limit bounds memory)": "vägra "
    "sidor med fler poster än så här (storleksgränsen för svaret begränsar minnet)",
    # what an operator can do about a source's error (monitor.app.source_shown.HINTS)
    "The process running it was killed or crashed (out of memory?): see the service's log. "
    "The next run tries again.": "Processen som körde den avbröts eller kraschade (slut på "
    "minne?): se tjänstens logg. Nästa körning försöker igen.",
    "This is a bug in funding-monitor: report it with the service's log.": "Det här är ett fel "
    "i funding-monitor: rapportera det tillsammans med tjänstens logg.",
    "Another process was running this source: wait for it to finish.": "En annan process körde "
    "den här källan: vänta tills den är klar.",
    "The address no longer answers: the funder may have moved the page or feed. Find its new "
    "address and change the URL in the settings.": "Adressen svarar inte längre: finansiären "
    "kan ha flyttat sidan eller flödet. Leta upp den nya adressen och ändra URL:en i "
    "inställningarna.",
    "The server refuses us: the page may now need signing in, or it blocks automated clients. "
    "Open the URL in a browser and check the funder's terms.": "Servern nekar oss: sidan kan "
    "nu kräva inloggning, eller så spärrar den automatiska klienter. Öppna URL:en i en "
    "webbläsare och läs finansiärens villkor.",
    "The server was slow, busy or unreachable: if it passes, nothing needs changing (the next "
    "run tries again); if it lasts, check the URL and the network.": "Servern var långsam, "
    "upptagen eller gick inte att nå: går det över behöver inget ändras (nästa körning "
    "försöker igen); håller det i sig, kontrollera URL:en och nätverket.",
    "The address now redirects to another host or scheme: change the URL to where it leads.":
    "Adressen skickar nu vidare till en annan värd eller ett annat schema: ändra URL:en till "
    "dit den leder.",
    "The answer is larger than HTTP_MAX_BYTES allows: check that the URL is the list of calls, "
    "not a whole site or archive.": "Svaret är större än HTTP_MAX_BYTES tillåter: kontrollera "
    "att URL:en är listan över utlysningar, inte en hel webbplats eller ett arkiv.",
    "A setting is not valid for this kind: correct it in the settings below.": "En inställning "
    "är inte giltig för den här typen: rätta den i inställningarna nedan.",
    "The page or feed changed, or is empty for now: run the source now to see what it finds, "
    "then adjust its settings (a web page's selectors).": "Sidan eller flödet har ändrats, "
    "eller är tomt just nu: kör källan nu för att se vad den hittar och justera sedan dess "
    "inställningar (en webbsidas selektorer).",
    "The server answered with something unexpected (an error page, a changed format): open the "
    "URL in a browser; the stored calls were left untouched.": "Servern svarade med något "
    "oväntat (en felsida, ett ändrat format): öppna URL:en i en webbläsare; de sparade "
    "utlysningarna lämnades orörda.",
    # structured evidence the model weighs, as the review queue names it (classifiers.evidence)
    "an innovation action (IA)": "en innovationsåtgärd (IA)",
    "a research and innovation action (RIA)": "en forsknings- och innovationsåtgärd (RIA)",
    "a coordination and support action (CSA)": "en samordnings- och stödåtgärd (CSA)",
    "a joint undertaking's topic": "ett ämne inom ett gemensamt företag (JU)",
    "a co-programmed European partnership": "ett samprogrammerat europeiskt partnerskap",
    "pre-commercial procurement": "förkommersiell upphandling",
    "a multi-actor approach": "en multiaktörsansats",
    # a catalogue import's plan (monitor.app.source_lists)
    "the built-in catalogue": "den inbyggda katalogen",
    # a catalogue entry skipped (monitor.app.source_lists)
    "listed twice: the first entry is taken": "finns två gånger: den första posten används",
    # why a source is unhealthy (monitor.store.sources.health_problem), and a recovery
    "recovered": "återhämtad",
}  # fmt: skip

# health reasons with figures in them: the English pattern and its Swedish ({0}, {1}: groups)
SV_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d+) failed runs in a row; last error: (.*)", re.S),
     "{0} misslyckade körningar i rad; senaste felet: {1}"),
    (re.compile(r"(\d+) failed runs in a row"), "{0} misslyckade körningar i rad"),
    (re.compile(r"the (\S+) rules fired"), "reglerna för {0} slog till"),
    (re.compile(r"returned no items \(it had (\d+) before\): a changed page or feed\?"),
     "gav inga poster (den hade {0} förut): en ändrad sida eller ett ändrat flöde?"),
)  # fmt: skip


def swedish(text: str) -> str:
    """``text`` in Swedish when it is a known operator text, else as it is."""
    if text in SV:
        return SV[text]
    for pattern, said in SV_PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return said.format(*found.groups())
    return text
