// The check-in page (/c/{token}) sends the phone's position with the check-in, for activities with a geofence.
// Pressing the button first asks the browser for the position (at most TIMEOUT_MS); with it, or without it (no
// permission, no fix in time, an old browser, a page that is not secure), the form is then sent as typed. The
// server decides: a geofence in "refuse" mode turns away a check-in without a position, in words.
(function () {
  "use strict";
  var TIMEOUT_MS = 8000;     // a phone indoors can take a while; longer and people press again
  var MAX_AGE_MS = 60000;    // a fix from the last minute is close enough and answers at once

  function send(form) {
    form.dataset.sending = "1";
    // offline-scan.js sends it and keeps it when there is no signal; submit() fires no submit event.
    if (window.sbSendScan) { window.sbSendScan(form); } else { form.submit(); }
  }

  function setUp(form) {
    var lat = form.querySelector("input[name=latitude]");
    var lon = form.querySelector("input[name=longitude]");
    var status = form.querySelector("[data-position-status]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      if (form.dataset.sending || !navigator.geolocation) { return; }
      event.preventDefault();
      if (button) { button.disabled = true; }
      if (status) { status.textContent = form.dataset.msgLocating || ""; }
      var done = false;
      function finish() { if (!done) { done = true; send(form); } }
      // Some browsers never call back when the permission prompt is ignored: our own clock ends the wait.
      var guard = setTimeout(finish, TIMEOUT_MS + 1000);
      navigator.geolocation.getCurrentPosition(function (pos) {
        clearTimeout(guard);
        lat.value = String(pos.coords.latitude);
        lon.value = String(pos.coords.longitude);
        finish();
      }, function () {
        clearTimeout(guard);
        finish();
      }, { enableHighAccuracy: true, timeout: TIMEOUT_MS, maximumAge: MAX_AGE_MS });
    });
  }

  document.querySelectorAll("form[data-position]").forEach(setUp);
})();
