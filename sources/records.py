"""The sources wing's vocabulary: what a source fetches and what it parses into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sources.errors import ParseError
from sources.values import amount_problem, date_problem

STATUSES = ("forthcoming", "open", "closed")


@dataclass(frozen=True, slots=True)
class Deadline:
    """One deadline or cut-off: the instant, the raw value it came from, and whether the
    source gave only a calendar date (the time then follows a documented convention)."""

    at: datetime
    raw: str
    date_only: bool = False


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One funding call (an EU topic, a Grants.gov opportunity…) as a source describes it."""

    external_id: str
    identifier: str
    title: str
    url: str
    funder: str
    programme: str
    status: str
    description: str = ""  # as published (usually HTML); the store derives plain text from it
    call_identifier: str = ""
    call_title: str = ""
    action_types: tuple[str, ...] = ()
    opens: datetime | None = None
    deadlines: tuple[Deadline, ...] = ()
    budget: float | None = None
    currency: str | None = None
    keywords: tuple[str, ...] = ()
    source_status: str | None = None
    flags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse what no call can hold (sources.values): a budget that is not a finite amount
        in range, an opening or deadline outside the years it allows. Parsers drop such values
        item by item with a warning; this is the guard for a path that forgot to: ParseError
        fails that source's run, clearly, instead of storing a value that breaks every digest.
        """
        problem = None
        if self.budget is not None and (reason := amount_problem(self.budget)):
            problem = f"budget {self.budget!r} is {reason}"
        elif reason := date_problem(self.opens):
            problem = f"opens {self.opens} is {reason}"
        else:
            for deadline in self.deadlines:
                if reason := date_problem(deadline.at):
                    problem = f"deadline {deadline.raw!r} is {reason}"
                    break
        if problem:
            raise ParseError(f"item {self.external_id!r}: {problem}",
                             hint="A parser let an unusable value through; report it.")  # fmt: skip


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """What a source kind needs to run: its name, base URL, validated settings and the state
    it left behind last time (e.g. the previous total, for sanity checks)."""

    name: str
    url: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Page:
    """One decoded response page."""

    url: str
    number: int
    data: Any


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Everything one run fetched: the pages, extra documents by key, the state to keep for
    next time, warnings worth showing an operator, and the settings the parser needs."""

    source: str
    pages: tuple[Page, ...]
    documents: Mapping[str, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)  # the validated source settings
