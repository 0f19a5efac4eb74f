// Shows the push messages the server sends (notifications/push_sender.py): {"kind", "title", "body", "url"}.
self.addEventListener("push", function (event) {
  var message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) { message = { title: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(message.title || "社区志愿服务", {
    body: message.body || "", icon: "/static/icon.svg", tag: message.kind || "notice", data: { url: message.url || "/me" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/me";
  event.waitUntil(self.clients.openWindow(url));
});
