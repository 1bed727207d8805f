"""The curators' pages' texts (sources, calls entered by hand, deliveries, the catalogue)."""

TEXTS: dict[str, dict[str, str]] = {"en": {}, "sv": {}}
