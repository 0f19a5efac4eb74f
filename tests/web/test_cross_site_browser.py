"""In chromium: a page on another port of the same host (same-site, so the browser sends our SameSite=Lax
cookies along) tries to make a logged-in platform admin create another platform admin. Nothing is created;
our own page, with its token, still can."""

from __future__ import annotations

import http.server
import json
import sqlite3
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import free_port
from tests.web.conftest import new_phone

pytestmark = [pytest.mark.browser]


def _body(username: str) -> str:
    return json.dumps({"display_name": "冒名管理员", "username": username, "password": "long-enough-1",
                       "role": "platform_admin"})


def attack_page(target: str) -> str:
    """Every way a page can send a write without asking the target first (no CORS preflight)."""
    api = f"{target}/api/users"
    # A text/plain form whose one field, name=value, reads as JSON: {"...","a":"=x"}.
    form_name = _body("mallory-form")[:-1] + ', "a": "'
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>running</title></head><body>
<iframe name="sink"></iframe>
<form id="plain" method="post" action="{api}" enctype="text/plain" target="sink">
  <input type="hidden" name='{form_name}' value='"}}'></form>
<form id="urlencoded" method="post" action="{api}" target="sink">
  <input type="hidden" name="display_name" value="x"><input type="hidden" name="username" value="mallory-url">
</form>
<script>
const api = {json.dumps(api)};
const body = (name) => {json.dumps(_body("NAME"))}.replace("NAME", name);
const sends = [
  fetch(api, {{method: "POST", mode: "no-cors", credentials: "include", headers: {{"Content-Type": "text/plain"}},
              body: body("mallory-text")}}),
  fetch(api, {{method: "POST", mode: "no-cors", credentials: "include",
              headers: {{"Content-Type": "application/x-www-form-urlencoded"}}, body: body("mallory-urlenc")}}),
  fetch(api, {{method: "POST", mode: "no-cors", credentials: "include",
              headers: {{"Content-Type": "application/json"}}, body: body("mallory-nocors-json")}}),
  fetch(api, {{method: "POST", mode: "cors", credentials: "include",
              headers: {{"Content-Type": "application/json"}}, body: body("mallory-cors-json")}}),
  fetch(api, {{method: "POST", mode: "no-cors", credentials: "include", body: new Blob([body("mallory-blob")])}}),
].map((p) => p.then(() => "sent", (e) => "blocked"));
const forms = new Promise((resolve) => {{
  let loads = 0;
  document.querySelector("iframe").addEventListener("load", () => {{
    loads += 1;
    if (loads === 1) {{ document.getElementById("urlencoded").submit(); }} else {{ resolve("forms"); }}
  }});
  document.getElementById("plain").submit();
}});
Promise.all([...sends, forms]).then((r) => {{ document.title = "done " + r.join(","); }});
</script></body></html>"""


@pytest.fixture(scope="module")
def attacker(web_server) -> Iterator[str]:  # noqa: ANN001
    """A small web server on another port of 127.0.0.1 serving the attack page."""
    html = attack_page(web_server["base"]).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/attack.html"
    server.shutdown()
    server.server_close()


def _logins_named(web_server, prefix: str) -> list[str]:  # noqa: ANN001
    with sqlite3.connect(web_server["log"].parent / "web.db") as db:
        return [r[0] for r in db.execute("SELECT username FROM app_user WHERE username LIKE ?", (prefix + "%",))]


def test_a_same_site_page_cannot_make_the_admin_create_an_admin(browser, web_server, attacker) -> None:  # noqa: ANN001
    context, page = new_phone(browser, web_server["base"])
    page.goto("/login")
    page.fill("#login", web_server["admin"])
    page.fill("#password", web_server["password"])
    page.click("button[type=submit].big")
    page.wait_for_url("**/admin")  # administrators land on their overview
    assert any(c["name"] == "sb_session" for c in context.cookies())

    page.goto(attacker)
    page.wait_for_function("document.title.startsWith('done')")
    assert _logins_named(web_server, "mallory") == []

    # Our own page, with the token it carries, still writes through the same cookie.
    page.goto("/manage")
    status = page.evaluate("""async () => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const r = await fetch('/api/users', {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token},
            body: JSON.stringify({display_name: '新管理员', username: 'rightful-admin', password: 'long-enough-1',
                                  role: 'platform_admin'})});
        return r.status;
    }""")
    assert status == 201
    assert _logins_named(web_server, "rightful-admin") == ["rightful-admin"]
    context.close()


def test_a_newline_in_next_is_answered_not_dropped(web_server) -> None:  # noqa: ANN001
    with httpx.Client(base_url=web_server["base"]) as client:
        login = client.post("/api/auth/login", json={"login": web_server["admin"], "password": web_server["password"]})
        client.cookies.set("sb_session", login.json()["token"])
        response = client.get("/login", params={"next": "/me\r\nSet-Cookie: planted=1"})
    assert response.status_code == 303 and response.headers["location"] == "/admin"  # the admin's home
    assert "planted" not in response.headers.get("set-cookie", "")
