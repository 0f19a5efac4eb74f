// 在这台手机上接收推送: subscribe this browser to the person's notices (/sw.js shows them), or stop.
// The texts come from the page (data-* of #push-box), in the page's language.
(function () {
  "use strict";
  var box = document.getElementById("push-box");
  if (!box) { return; }
  var on = document.getElementById("push-on"), off = document.getElementById("push-off");
  var state = document.getElementById("push-state");
  function say(name) { state.textContent = box.dataset[name] || ""; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    return;
  }
  function bytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64url.length + 3) % 4);
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf }
    });
  }
  function show(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    say(subscribed ? "subscribed" : "idle");
  }
  navigator.serviceWorker.register("/sw.js").then(function (registration) {
    return registration.pushManager.getSubscription();
  }).then(function (existing) { show(Boolean(existing)); }, function () { say("unsupported"); });

  on.addEventListener("click", function () {
    say("working");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("denied"); }
      return Promise.all([navigator.serviceWorker.ready, fetch("/api/notifications/push/key").then(function (r) {
        if (!r.ok) { throw new Error("no key"); }
        return r.json();
      })]);
    }).then(function (found) {
      return found[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(found[1].public_key) });
    }).then(function (subscription) {
      return post("/api/notifications/push/subscriptions", subscription.toJSON());
    }).then(function (r) {
      if (!r.ok) { throw new Error("refused"); }
      show(true);
    }).catch(function (error) { say(error && error.message === "denied" ? "denied" : "failed"); });
  });

  off.addEventListener("click", function () {
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      return post("/api/notifications/push/unsubscribe", { endpoint: subscription.endpoint }).then(function () {
        return subscription.unsubscribe();
      });
    }).then(function () { show(false); }, function () { say("failed"); });
  });
})();
