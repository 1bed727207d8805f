"""Code tables of the EU Funding & Tenders Portal (SOURCES-GUIDE §3.7), and the programme and
funder of a topic from its code or, failing that, its identifier prefix."""

from __future__ import annotations

TYPE_GRANT, TYPE_EXTERNAL_ACTION, TYPE_CASCADE = "1", "2", "8"

STATUS_BY_CODE = {"31094501": "forthcoming", "31094502": "open", "31094503": "closed"}
CODE_BY_STATUS = {name: code for code, name in STATUS_BY_CODE.items()}

# frameworkProgramme code → (short name used in settings, label). Verified in saved data.
PROGRAMMES: dict[str, tuple[str, str]] = {
    "43108390": ("horizon-europe", "Horizon Europe"),
    "43353764": ("erasmus-plus", "Erasmus+"),
    "43332642": ("eu4health", "EU4Health"),
    "43152860": ("digital-europe", "Digital Europe"),
    "43298916": ("euratom", "Euratom"),
    "43252405": ("life", "LIFE"),
    "43251567": ("cef", "Connecting Europe Facility"),
    "44181033": ("edf", "European Defence Fund"),
    "43251814": ("creative-europe", "Creative Europe"),
    "43251589": ("cerv", "Citizens, Equality, Rights and Values"),
    "45532249": ("euba", "EU Bodies & Agencies"),
    "43252368": ("isf", "Internal Security Fund"),
    "43254019": ("esf-plus", "European Social Fund+"),
    "43252449": ("rfcs", "Research Fund for Coal & Steel"),
    "44773066": ("jtm", "Just Transition Mechanism"),
    "43252476": ("smp", "Single Market Programme"),
    "44416173": ("i3", "Interregional Innovation Investments"),
    "43252386": ("justice", "Justice Programme"),
    "43089234": ("innovfund", "Innovation Fund"),
    "43637601": ("pppa", "Pilot Projects & Preparatory Actions"),
    "43252517": ("socpl", "Social Prerogative and Specific Competencies Lines"),
    "43254037": ("esc", "European Solidarity Corps"),
    "43392145": ("emfaf", "European Maritime, Fisheries and Aquaculture Fund"),
    "45876777": ("ndici", "NDICI – Global Europe"),
    "43253967": ("renewfm", "Union Renewable Energy Financing Mechanism"),
    "46324255": ("erdfta", "ERDF Technical Assistance"),
    "43252433": ("pericles", "Pericles IV"),
    "44773133": ("imreg", "IMREG"),
    "43251882": ("imcap", "IMCAP"),
    "43251842": ("euaf", "EU Anti-Fraud Programme"),
    "111111": ("europeaid", "EuropeAid / External Action"),
    # Reported by a public client and consistent with the verified table (SOURCES-GUIDE §3.7).
    "43251447": ("amif", "Asylum, Migration and Integration Fund"),
    "43251530": ("bmvi", "Border Management and Visa Instrument"),
    "43253979": ("cust", "Customs Programme"),
    "43253995": ("fisc", "Fiscalis Programme"),
    "43253706": ("tsi", "Technical Support Instrument"),
    "43298203": ("ucpm", "Union Civil Protection Mechanism"),
    "43298664": ("agrip", "Promotion of Agricultural Products"),
}
DEFAULT_PROGRAMMES = ("horizon-europe", "eu4health", "erasmus-plus", "digital-europe")

# Identifier prefix → programme label, for codes we do not know (longest prefix first).
_PREFIXES = sorted(
    {
        "HORIZON-": "Horizon Europe",
        "ERC-": "Horizon Europe",
        "ERASMUS-": "Erasmus+",
        "EU4H-": "EU4Health",
        "DIGITAL-": "Digital Europe",
        "EURATOM-": "Euratom",
        "LIFE-": "LIFE",
        "CEF-": "Connecting Europe Facility",
        "EDF-": "European Defence Fund",
        "CREA-": "Creative Europe",
        "CERV-": "Citizens, Equality, Rights and Values",
        "SOCPL-": "Social Prerogative and Specific Competencies Lines",
        "EUAF-": "EU Anti-Fraud Programme",
        "EUBA-": "EU Bodies & Agencies",
        "ISF-": "Internal Security Fund",
        "ESF-": "European Social Fund+",
        "RFCS-": "Research Fund for Coal & Steel",
        "SMP-": "Single Market Programme",
        "I3-": "Interregional Innovation Investments",
        "JUST-": "Justice Programme",
        "INNOVFUND-": "Innovation Fund",
        "PPPA-": "Pilot Projects & Preparatory Actions",
        "ESC-": "European Solidarity Corps",
        "EMFAF-": "European Maritime, Fisheries and Aquaculture Fund",
        "EUROPEAID/": "EuropeAid / External Action",
        "NDICI-": "NDICI – Global Europe",
    }.items(),
    key=lambda item: -len(item[0]),
)

_FUNDERS = (
    ("HORIZON-JU-GH-EDCTP3-", "Global Health EDCTP3 Joint Undertaking"),
    ("HORIZON-JU-EDCTP3-", "Global Health EDCTP3 Joint Undertaking"),
    ("HORIZON-JU-IHI-", "Innovative Health Initiative Joint Undertaking"),
    ("HORIZON-JU-", "EU Joint Undertaking (Horizon Europe)"),
    ("ERC-", "European Research Council"),
)


def programme_code(name_or_code: str) -> str:
    """The frameworkProgramme code for a settings value (a code, or a short name such as
    'erasmus-plus'). Raises ValueError listing the names when it is neither."""
    value = name_or_code.strip()
    if value.isdigit():
        return value
    for code, (short, _label) in PROGRAMMES.items():
        if short == value.lower():
            return code
    names = ", ".join(short for short, _ in PROGRAMMES.values())
    raise ValueError(f"unknown programme {value!r}; use a numeric code or one of: {names}")


def programme_label(code: str | None, identifier: str) -> str:
    """The programme's name from its code, else from the identifier prefix, else the code."""
    if code and code in PROGRAMMES:
        return PROGRAMMES[code][1]
    upper = identifier.upper()
    for prefix, label in _PREFIXES:
        if upper.startswith(prefix):
            return label
    return f"EU programme {code}" if code else "EU programme"


def funder(identifier: str) -> str:
    """Who funds the topic: a Joint Undertaking or the ERC when the identifier says so."""
    upper = identifier.upper()
    for prefix, name in _FUNDERS:
        if upper.startswith(prefix):
            return name
    return "European Commission"
