from sources.urls import canonical_url, eu_topic_id


def test_eu_topic_ids_from_every_link_form() -> None:
    base = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
    assert eu_topic_id(base + "topic-details/HORIZON-CL1-2026-01?x=1") == "HORIZON-CL1-2026-01"
    assert eu_topic_id(base + "topic-details/horizon-ju-gh-edctp3-2023-01-03;callCode=null") == (
        "HORIZON-JU-GH-EDCTP3-2023-01-03"
    )
    assert eu_topic_id(base + "topic-details/LIFE-2026-X-two-stage") == "LIFE-2026-X-two-stage"
    assert eu_topic_id("https://www.ukri.org/opportunity/x/") is None


def test_canonical_urls_drop_tracking_and_noise() -> None:
    assert canonical_url("HTTPS://WWW.Ukri.org:443/opportunity/x/?utm_source=rss&id=3#top") == (
        "https://www.ukri.org/opportunity/x/?id=3"
    )
    assert canonical_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/"
    portal = (
        "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/"
        "topic-details/HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02?isExactMatch=true&sortBy=star"
    )
    assert canonical_url(portal).endswith("/topic-details/HORIZON-JU-GH-EDCTP3-2026-03-DIGIT-02")
