// The camera QR scanner next to a code field (_scanner.html): 代签 by card, the store till.
// A card's QR holds a bare signed token, not an address, so a phone's camera app cannot help; the page
// reads the code itself. The browser's own BarcodeDetector where it reads QR codes (Android Chrome), else
// the vendored jsQR, loaded only on the first scan (250 kB that most visits never need). Browsers give the
// camera to secure pages only (https or localhost); elsewhere we say so and typing works as before.
(function () {
  "use strict";
  var JSQR = "/static/vendor/jsQR.js";
  var EVERY_MS = 200;   // between two looks at the picture: feels instant, spares old phones' batteries
  var MAX_SIDE = 800;   // jsQR reads a scaled-down frame: a card held near the phone stays large enough
  var decoder = null;

  function loadJsQR() {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = JSQR;  // same origin: allowed by the pages' script-src 'self'
      tag.onload = function () { resolve(window.jsQR); };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

  function jsqrDecoder(jsQR) {
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    return function (video) {
      var scale = Math.min(1, MAX_SIDE / Math.max(video.videoWidth, video.videoHeight));
      var w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      ctx.drawImage(video, 0, 0, w, h);
      // Cards and phone screens are dark on light: skipping the inverted pass halves the work.
      var found = jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
      return Promise.resolve(found ? found.data : null);
    };
  }

  // Once per page: a function video -> promise of the QR text in the current frame, or null.
  function getDecoder() {
    if (decoder) { return decoder; }
    var Native = window.BarcodeDetector;
    var formats = Native ? Native.getSupportedFormats().catch(function () { return []; }) : Promise.resolve([]);
    decoder = formats.then(function (list) {
      if (list.indexOf("qr_code") < 0) { return loadJsQR().then(jsqrDecoder); }
      var detector = new Native({ formats: ["qr_code"] });
      return function (video) {
        return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      };
    });
    decoder.catch(function () { decoder = null; });  // offline for a moment: the next tap tries again
    return decoder;
  }

  function setUp(root) {
    var field = document.getElementById(root.dataset.scanField);
    if (!field || !field.form || root.dataset.ready) { return; }
    root.dataset.ready = "1";  // the script tag comes with every scanner on the page
    var form = field.form;
    var panel = root.querySelector(".scan-panel");
    var video = root.querySelector("video");
    var message = root.querySelector(".scan-message");
    var accept = (root.dataset.scanAccept || "").split(" ").filter(Boolean);
    var stream = null, timer = null, run = 0, submitWith = "";

    function say(key, bad) {
      message.textContent = root.dataset[key];
      message.className = "scan-message" + (bad ? " result bad" : "");
      message.hidden = false;
    }

    function stop() {
      run += 1;  // a camera that answers after Cancel is switched off at once (see start)
      clearTimeout(timer);
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
      video.srcObject = null;
      panel.hidden = true;
    }

    function fail(key) {
      stop();
      say(key, true);
      field.focus();  // straight on to typing
    }

    function found(text) {
      stop();
      field.value = text;
      say("msgRead", false);
      // Press the form's own button: the browser checks the form and sends that button's purpose.
      var selector = submitWith ? '[type=submit][value="' + submitWith + '"]' : "[type=submit]";
      form.querySelector(selector).click();
    }

    function look(decode, mine) {
      if (mine !== run) { return; }
      var again = function () { if (mine === run) { timer = setTimeout(look, EVERY_MS, decode, mine); } };
      if (video.readyState < 2 || !video.videoWidth) { again(); return; }
      decode(video).then(function (text) {
        text = (text || "").trim();
        if (mine !== run || !text) { again(); return; }
        // Only the codes this field takes: at the venue the kiosk's own QR is often in the picture too.
        if (!accept.length || accept.some(function (prefix) { return text.indexOf(prefix) === 0; })) {
          found(text);
          return;
        }
        say("msgWrong", true);
        again();
      }, again);
    }

    function start(button) {
      stop();
      var mine = run;
      submitWith = button.dataset.submit || "";
      var media = navigator.mediaDevices;
      if (!media || !media.getUserMedia) { fail(window.isSecureContext ? "msgMissing" : "msgInsecure"); return; }
      panel.hidden = false;
      say("msgLooking", false);
      panel.scrollIntoView({ block: "center" });
      media.getUserMedia({ audio: false, video: { facingMode: { ideal: "environment" } } }).then(function (s) {
        if (mine !== run) { s.getTracks().forEach(function (track) { track.stop(); }); return null; }
        stream = s;
        video.srcObject = s;
        return Promise.all([video.play(), getDecoder()]);
      }).then(function (ready) {
        if (ready && mine === run) { look(ready[1], mine); }
      }).catch(function (error) {
        if (mine !== run) { return; }
        var refused = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
        fail(refused ? "msgDenied" : "msgMissing");
      });
    }

    root.querySelectorAll(".scan-start").forEach(function (button) {
      button.hidden = false;  // without this script the buttons stay hidden and typing is the way
      button.addEventListener("click", function () { start(button); });
    });
    root.querySelector(".scan-cancel").addEventListener("click", function () {
      stop();
      message.hidden = true;
      field.focus();
    });
    // Never leave the camera on behind the user's back: another tab, a closed 代签 box, leaving the page.
    document.addEventListener("visibilitychange", function () { if (document.hidden) { stop(); } });
    window.addEventListener("pagehide", stop);
    var box = root.closest("details");
    if (box) { box.addEventListener("toggle", function () { if (!box.open) { stop(); } }); }
  }

  document.querySelectorAll(".scanner").forEach(setUp);
})();
