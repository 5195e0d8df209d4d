// The service worker of the staff pages: shows a Web Push message sent by the server (pvz.notifications.push,
// JSON {title, body, url, tag}) and opens its link when clicked. It caches nothing: the pages stay online-only.
"use strict";

self.addEventListener("push", function (event) {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { title: "OpenPVZ", body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.registration.showNotification(message.title || "OpenPVZ", {
      body: message.body || "",
      tag: message.tag || undefined,
      data: { url: message.url || "/notifications/" },
    })
  );
});

// The worker's scope is /static/pvz/, so it controls no page: it can focus a tab but not navigate one.
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || "/notifications/";
  const url = new URL(target, self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
      for (const client of windows) {
        if (client.url === url && "focus" in client) return client.focus();
      }
      return self.clients.openWindow(url);
    })
  );
});
