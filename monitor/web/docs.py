"""``/api/docs``: Swagger UI for the JSON API, from the package's own copy (no CDN), started
by a script file (the content security policy allows no inline script)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>funding-monitor API</title><link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head><body><main><h1 class="visually-hidden">funding-monitor API</h1>
<div id="swagger-ui"></div></main>
<script src="/static/swagger/swagger-ui-bundle.js"></script><script src="/static/docs.js"></script>
</body></html>"""


@router.get("/api/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return HTMLResponse(PAGE)
