// The venue screen: fetch the current code and the live count every few seconds (the code rotates).
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  if (!root) { return; }
  var activity = root.dataset.activity;
  var purpose = root.dataset.purpose;
  var every = Math.max(2000, parseInt(root.dataset.refreshMs, 10) || 5000);
  var img = document.getElementById("kiosk-qr");
  var link = document.getElementById("kiosk-url");
  var lastToken = null;
  var opensAt = root.dataset.opensAt ? Date.parse(root.dataset.opensAt) : null;
  if (opensAt) {
    // Not open yet: show the code by reloading once check-in opens (the server decides, not this clock).
    setTimeout(function () { location.reload(); }, Math.max(5000, opensAt - Date.now() + 1000));
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function refresh() {
    var base = "/api/activities/" + activity;
    getJSON(base + "/qr?purpose=" + purpose + "&format=json").then(function (code) {
      if (img && code.token !== lastToken) {
        lastToken = code.token;
        img.src = base + "/qr?purpose=" + purpose + "&format=svg&t=" + encodeURIComponent(code.token);
        link.href = code.url;
      }
    }).catch(function () { /* keep showing the last code; the next round retries */ });
    getJSON(base + "/attendance/live").then(function (c) {
      document.getElementById("count-in").textContent = c.checked_in;
      document.getElementById("count-out").textContent = c.checked_out;
      document.getElementById("count-expected").textContent = c.expected;
    }).catch(function () {});
  }

  setInterval(refresh, every);
})();
