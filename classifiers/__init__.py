"""Classifiers wing: tags calls by priority area (issue #4). A library: never imports monitor."""
