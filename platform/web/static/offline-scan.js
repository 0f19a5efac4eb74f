// Check-ins without signal (the scan page /c/{token}), and the installable app's service worker (/sw.js).
// Pressing the big button sends the form with fetch; when that fails (no signal, or the phone says it is offline)
// the form is kept in this browser (localStorage) and the page says so; it is sent again by itself when the signal
// returns (the `online` event, every 20 s, and whenever a page of ours opens). The server is idempotent: a check-in
// sent twice is recorded once, and the answer says so. A scan opened without signal lands on the offline page
// (served by the service worker at the scanned address): the address is kept and opened again with signal.
(function () {
  "use strict";
  var KEY = "sb.pending-scans", OPEN_KEY = "sb.pending-open", EVERY_MS = 20000;
  var note = document.getElementById("pending-scans");
  var sending = false;

  if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/sw.js").catch(function () {}); }

  function load(key) { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; } }
  function save(key, list) { localStorage.setItem(key, JSON.stringify(list)); }
  function say(name, extra, good) {
    if (!note) { return; }
    note.hidden = false;
    note.className = "result " + (good ? "ok" : "bad");
    note.textContent = (note.dataset[name] || "") + (extra ? " " + extra : "");
  }

  function post(item) {
    return fetch(item.action, {
      method: "POST", credentials: "same-origin", body: item.body,
      // Only the answer's main part is shown (show below), so only that is asked for (render.py PAGE_PART_HEADER).
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Page-Part": "main" }
    }).then(function (response) { return response.text(); });
  }

  // The server's answer page in place of this page's main part (what a normal form post would have shown).
  function show(html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    var main = answer.getElementById("main"), here = document.getElementById("main");
    if (main && here) { here.innerHTML = main.innerHTML; document.title = answer.title; }
    var result = answer.querySelector("#main .result");
    return result ? result.textContent.trim() : "";
  }

  function keep(item) {
    var list = load(KEY).filter(function (i) { return i.action !== item.action; });
    list.push(item);
    save(KEY, list);
    say("kept", "", false);
  }

  function send(form) {
    var item = { action: form.getAttribute("action"), body: new URLSearchParams(new FormData(form)).toString(),
                 at: Date.now() };
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    if (navigator.onLine === false) { keep(item); return; }
    post(item).then(show, function () { keep(item); });
  }
  window.sbSendScan = send;  // position.js sends the check-in through here once it has the position

  // On the offline page: open the scanned address again once there is signal (never at load: without signal
  // that would bounce between the address and this page).
  function reopen() {
    var opened = load(OPEN_KEY);
    if (!document.body.dataset.offline || !opened.length || navigator.onLine === false) { return false; }
    save(OPEN_KEY, []);
    location.replace(opened[opened.length - 1]);
    return true;
  }

  function retry() {
    var list = load(KEY);
    if (!list.length || sending || navigator.onLine === false) { return; }
    sending = true;
    var item = list[0];
    post(item).then(function (html) {
      save(KEY, load(KEY).filter(function (i) { return i.action !== item.action; }));
      var words = location.pathname === item.action ? show(html) : "";
      say("sent", words, true);
    }, function () { /* still no signal: the next round tries again */ }).then(function () {
      sending = false;
      if (load(KEY).length) { setTimeout(retry, 0); }
    });
  }

  if (document.body.dataset.offline && location.pathname.indexOf("/c/") === 0) {
    var opened = load(OPEN_KEY).filter(function (p) { return p !== location.pathname; });
    opened.push(location.pathname);
    save(OPEN_KEY, opened);
    say("opened", "", false);
  }
  document.querySelectorAll("form[data-offline-scan]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) { return; }  // position.js is finding the position first, then calls send()
      event.preventDefault();
      send(form);
    });
  });
  function round() { if (!reopen()) { retry(); } }
  window.addEventListener("online", round);
  setInterval(round, EVERY_MS);
  retry();
})();
