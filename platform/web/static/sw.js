// The one service worker of the site (served as /sw.js so that it controls every page; /push-sw.js, its old
// address, serves the same file). It keeps the static files and the offline page, so the installed app opens
// without signal; it shows the push messages the server sends (notifications/push_sender.py).
// Check-ins made without signal are kept by the page itself (static/offline-scan.js), not here: the page can tell
// the person what happened.
var VERSION = "sb-v1";
var OFFLINE = "/offline";
var PRECACHE = [OFFLINE, "/static/site.css", "/static/offline-scan.js", "/static/position.js",
                "/static/icon.svg", "/static/icons/icon-192.png", "/manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) { return cache.addAll(PRECACHE); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== VERSION; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) { return; }
  var path = new URL(request.url).pathname;
  if (request.mode === "navigate") {
    // Pages are always fresh from the server; without signal, the offline page (it keeps a scanned code).
    event.respondWith(fetch(request).catch(function () {
      return caches.match(OFFLINE);
    }));
    return;
  }
  if (path.indexOf("/static/") === 0 || path === "/manifest.webmanifest") {
    // Static files: the network when it answers (a new release), else the kept copy.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(VERSION).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () { return caches.match(request); }));
  }
});

self.addEventListener("push", function (event) {
  var message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) { message = { title: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(message.title || "社区志愿服务", {
    body: message.body || "", icon: "/static/icons/icon-192.png", tag: message.kind || "notice",
    data: { url: message.url || "/me" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/me";
  event.waitUntil(self.clients.openWindow(url));
});
