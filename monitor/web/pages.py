"""Which modules are pages (each has a ``router``; one that also has ``install(web)`` is
called with the FastAPI application once, for what a router cannot hold: an exception
handler, a template global), and the staff menu: (module, address, text key, the role it
needs), shown to those whose role allows it. Adding a page is one module and a line here."""

PAGES = (
    "monitor.web.search", "monitor.web.call", "monitor.web.api", "monitor.web.docs",
    "monitor.web.unsubscribe", "monitor.web.subscribe", "monitor.web.feedback",
    "monitor.web.staff.home",
    "monitor.web.staff.tags", "monitor.web.staff.links",
    "monitor.web.staff.review", "monitor.web.staff.model",
    "monitor.web.staff.deliveries", "monitor.web.staff.manual", "monitor.web.staff.subscribers",
    "monitor.web.staff.sources", "monitor.web.staff.catalogue",
)  # fmt: skip
STAFF_LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("monitor.web.staff.sources", "/staff/sources", "src_menu", "curator"),
    ("monitor.web.staff.catalogue", "/staff/catalogue", "cat_menu", "curator"),
    ("monitor.web.staff.deliveries", "/staff/deliveries", "dlv_menu", "curator"),
    ("monitor.web.staff.manual", "/staff/calls", "man_menu", "curator"),
    ("monitor.web.staff.subscribers", "/staff/subscribers", "subs_menu", "admin"),
    ("monitor.web.staff.home", "/staff/users", "staff_users", "admin"),
    ("monitor.web.staff.home", "/staff/audit", "staff_audit", "admin"),
    ("monitor.web.staff.tags", "/staff/tags", "tx_menu_tags", "admin"),
    ("monitor.web.staff.links", "/staff/links", "tx_menu_links", "admin"),
    ("monitor.web.staff.review", "/staff/review", "rev_menu", "admin"),
    ("monitor.web.staff.model", "/staff/model", "mdl_menu", "admin"),
)
