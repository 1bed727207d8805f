"""The security headers of every answer, errors included (pure ASGI middleware): a content
security policy without inline script or style, no framing, no referrer (tokens live in
some URLs), no MIME sniffing, and HSTS when served over https."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# Swagger UI (/api/docs) sets style attributes as it draws: only there are they allowed.
DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecureHeaders:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https  # the public address is https (behind a proxy that ends TLS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] == "/api/docs" else POLICY
        extra = [(b"content-security-policy", policy.encode()), *HEADERS]
        if self.https or scope.get("scheme") == "https":
            extra.append(HSTS)
        names = {name for name, _ in extra}

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, secured)
