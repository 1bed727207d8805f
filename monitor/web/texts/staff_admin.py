"""The admins' pages' texts (review, tags, the model, linked calls, subscribers)."""

TEXTS: dict[str, dict[str, str]] = {"en": {}, "sv": {}}
