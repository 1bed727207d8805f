"""Texts of pages that live in a package of their own (the staff pages'), kept apart from the
pages so that ``monitor.web.i18n`` can chain them without importing the pages."""
