"""Security headers on every response, added as the response starts.

A plain ASGI middleware: Starlette's ``@app.middleware("http")`` runs each request through a
task group and a memory stream, which under load cost the request threads the GIL."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UI_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
"""The web UI's content security policy. The UI loads nothing from elsewhere and renders
article text as text; the policy makes an injected script inert even if a bug let one into
the page. The API docs pages load their own scripts, so they go without it."""


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` everywhere, and the UI's policy outside /docs,
    unless the response set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [(b"x-content-type-options", b"nosniff")]
        if not scope["path"].startswith(("/docs", "/redoc")):
            added.append((b"content-security-policy", UI_POLICY.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in added if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
