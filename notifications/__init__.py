"""Notifications wing: digests by email and Slack (issue #5). A library: never imports monitor."""
