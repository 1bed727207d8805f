"""Evidence from a call's structure that its words alone do not give the model: the EU action
type (innovation action, research and innovation action, coordination and support action,
pre-commercial procurement), the partnership family (a joint undertaking, a co-programmed
European partnership) and the multi-actor approach. Each becomes one feature of the model
(``EVIDENCE``: feature -> what a person reads in an explanation).

The independent readers gave ``strategic-partnerships`` to 17 of 20 joint-undertaking topics
and to all 15 co-programmed partnership topics of their sample, to 7 of 8 innovation actions:
the action type says what the text's words only hint at. Pure; costs microseconds a call.
"""

from __future__ import annotations

import re

from classifiers.document import Document

# feature -> (what it means, where to look: "title+id" or "text", the pattern)
_SIGNS: dict[str, tuple[str, str, re.Pattern[str]]] = {
    "§innovation-action": ("an innovation action (IA)", "title+id",
                           re.compile(r"(?<![A-Za-z])IA(?![A-Za-z])")),
    "§research-innovation-action": ("a research and innovation action (RIA)", "title+id",
                                    re.compile(r"(?<![A-Za-z])RIA(?![A-Za-z])")),
    "§coordination-support-action": ("a coordination and support action (CSA)", "title+id",
                                     re.compile(r"(?<![A-Za-z])CSA(?![A-Za-z])")),
    "§joint-undertaking": ("a joint undertaking's topic", "title+id",
                           re.compile(r"-JU-|\bJoint Undertaking\b")),
    "§co-programmed-partnership": ("a co-programmed European partnership", "title+id",
                                   re.compile(r"\([^()]*\bPartnerships?\)")),
    "§pre-commercial-procurement": ("pre-commercial procurement", "text",
                                    re.compile(r"(?i)\bpre-commercial procurement\b|\bPCP\b")),
    "§multi-actor": ("a multi-actor approach", "text", re.compile(r"(?i)\bmulti-actor\b")),
}  # fmt: skip
_SPELLED = {  # the same action types spelled out in the text
    "§innovation-action": re.compile(r"(?i)(?<!research and )\binnovation actions?\b"),
    "§research-innovation-action": re.compile(r"(?i)\bresearch and innovation actions?\b"),
    "§coordination-support-action": re.compile(r"(?i)\bcoordination and support actions?\b"),
    "§co-programmed-partnership": re.compile(r"(?i)\bco-programmed\b"),
}
EVIDENCE = {feature: meaning for feature, (meaning, _, _) in _SIGNS.items()}


def signs(doc: Document) -> list[str]:
    """The structural features a call shows (``EVIDENCE`` keys), in a fixed order."""
    head = f"{doc.identifier}\n{doc.title}"
    out = []
    for feature, (_, where, pattern) in _SIGNS.items():
        if (
            pattern.search(head if where == "title+id" else doc.text)
            or feature in _SPELLED
            and _SPELLED[feature].search(doc.text)
        ):
            out.append(feature)
    return out
