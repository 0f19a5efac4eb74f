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

  // The answer's words as JSON (web/pages/checkins/scan_answer.py) when the server gives them; any other answer (the
  // login page after a login ended, a refusal page) as the page it is. The CSRF token goes as a header as well,
  // so the server need not read the form for it.
  function post(item) {
    var token = new URLSearchParams(item.body).get("csrf_token") || "";
    return fetch(item.action, {
      method: "POST", credentials: "same-origin", body: item.body,
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                 "X-CSRF-Token": token }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === 0) { return response.json(); }
      return response.text().then(function (html) { return { page: html }; });
    });
  }

  function add(parent, tag, text, className) {
    var made = document.createElement(tag);
    made.textContent = text;
    if (className) { made.className = className; }
    parent.appendChild(made);
    return made;
  }

  // The answer in place of this page's main part (what a normal form post would have shown); its sentence back.
  function show(answer) {
    var here = document.getElementById("main");
    if (answer.page !== undefined) {
      var page = new DOMParser().parseFromString(answer.page, "text/html"), main = page.getElementById("main");
      if (main && here) { here.innerHTML = main.innerHTML; document.title = page.title; }
      var found = page.querySelector("#main .result");
      return found ? found.textContent.trim() : "";
    }
    if (here) {
      here.textContent = "";
      add(here, "h1", answer.title);
      if (answer.meta) { add(here, "p", answer.meta, "meta"); }
      add(here, "p", answer.message, "result " + (answer.ok ? "ok" : "bad"))
        .setAttribute("role", answer.ok ? "status" : "alert");
      answer.details.forEach(function (line) { add(here, "p", line); });
      var home = add(add(here, "p", ""), "a", answer.home.text, "button big secondary");
      home.href = answer.home.href;
      document.title = answer.document_title;
    }
    return answer.message;
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
    post(item).then(function (answer) {
      save(KEY, load(KEY).filter(function (i) { return i.action !== item.action; }));
      var words = location.pathname === item.action ? show(answer) : answer.page === undefined ? answer.message : "";
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
