"""The registry of source kinds: one line per kind, each kind loaded when first asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sources.errors import SettingError
from sources.registry import MODULES, all_kinds, get_kind


def test_each_line_names_the_module_of_that_kind() -> None:
    assert [kind.name for kind in all_kinds()] == sorted(MODULES)
    for name in MODULES:
        assert get_kind(name).name == name


def test_an_unknown_kind_is_an_error_listing_the_valid_ones() -> None:
    with pytest.raises(SettingError) as raised:
        get_kind("rss")
    assert "'rss'" in str(raised.value)
    assert "eu-ft, feed, grants-gov, page" in str(raised.value)
    assert raised.value.hint


def test_asking_for_one_kind_loads_neither_the_others_nor_the_http_client() -> None:
    probe = (
        "import sys; from sources.registry import get_kind; get_kind('grants-gov'); "
        "print(sorted(m for m in ('sources.page', 'sources.feed', 'sources.eu_ft', 'httpx', "
        "'feedparser') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
