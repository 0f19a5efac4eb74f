"""The installable app (PWA): the manifest, the service worker at the site's root, and the page it shows without
signal. The worker (static/sw.js) keeps the static files and this offline page; the check-in page keeps a scan
made without signal itself (static/offline-scan.js)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import File

from servicebank.web import i18n
from servicebank.web.render import STATIC_DIR, lang_of, render

THEME = "#c62828"


def manifest(lang: str) -> dict[str, Any]:
    """The web app manifest: names in the visitor's language, our icons, the whole site as its scope."""
    _ = i18n.translator(lang)
    return {
        "name": _("Service Bank · community volunteering"), "short_name": _("Service Bank"),
        "lang": "zh-CN" if lang == "zh" else "en", "start_url": "/", "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": THEME,
        "icons": [
            {"src": "/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    }


def _worker() -> File:
    # From the root, so that it controls every page (a worker under /static/ would control /static/ only);
    # never cached by the browser's HTTP cache, so a new release's worker is seen at the next visit.
    return File(STATIC_DIR / "sw.js", media_type="text/javascript", content_disposition_type="inline",
                headers={"Cache-Control": "no-cache"})


class AppShellPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/manifest.webmanifest")
    async def web_manifest(self, request: Request) -> Response:
        """What a phone needs to add the site to its home screen."""
        return Response(manifest(lang_of(request)), media_type="application/manifest+json",
                        headers={"Cache-Control": "no-cache"})

    @get("/sw.js")
    async def service_worker(self) -> File:
        """The one service worker: offline page, kept static files, push messages."""
        return _worker()

    @get("/push-sw.js")
    async def old_push_worker(self) -> File:
        """The worker's old address: browsers that subscribed to push with it get the same worker."""
        return _worker()

    @get("/offline")
    async def offline(self, request: Request) -> Response:
        """The page the worker shows when a page cannot load for want of signal (kept at install)."""
        _ = i18n.translator(lang_of(request))
        return render(request, "offline.html", None, title=_("No signal"))
