// Staff notifications in the browser: the unread badge in the header kept live over ws/notifications/,
// the service worker (sw.js) registered on the staff pages, and the «Уведомления» page's buttons that
// subscribe or unsubscribe this browser for Web Push (the server's VAPID public key is on the button).
// Texts come from the template's data attributes; none live here.
(function () {
  "use strict";

  const MIN_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;
  const script = document.querySelector("script[data-sw]");

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  }

  function setUnread(count) {
    document.querySelectorAll("[data-unread-badge]").forEach(function (badge) {
      badge.textContent = String(count);
      badge.hidden = !count;
    });
  }

  function watchUnread() {
    if (!document.querySelector("[data-unread-badge]") || !("WebSocket" in window)) return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const url = scheme + window.location.host + "/ws/notifications/";
    let delay = MIN_DELAY_MS;

    function connect() {
      const socket = new WebSocket(url);
      socket.addEventListener("open", function () {
        delay = MIN_DELAY_MS;
      });
      socket.addEventListener("message", function (event) {
        const message = JSON.parse(event.data);
        if (typeof message.unread === "number") setUnread(message.unread);
        document.dispatchEvent(new CustomEvent("pvz:notification", { detail: message }));
      });
      socket.addEventListener("close", function (event) {
        if (event.code === 4403 || event.code === 4401) return; // signed out or session ended
        const wait = delay + Math.random() * delay * 0.3;
        delay = Math.min(delay * 2, MAX_DELAY_MS);
        window.setTimeout(connect, wait);
      });
    }

    connect();
  }

  function registerWorker() {
    if (!script || !("serviceWorker" in navigator)) return Promise.resolve(null);
    // Static files are cached for a minute; the browser checks the worker past any HTTP cache all the same.
    return navigator.serviceWorker.register(script.dataset.sw, { updateViaCache: "none" }).catch(function () {
      return null;
    });
  }

  // The VAPID key is base64url; PushManager wants its bytes.
  function keyBytes(base64url) {
    const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4);
    const raw = window.atob(padded);
    return Uint8Array.from(raw, function (c) {
      return c.charCodeAt(0);
    });
  }

  function pushPanel(registration) {
    const subscribe = document.querySelector("[data-push-subscribe]");
    const unsubscribe = document.querySelector("[data-push-unsubscribe]");
    const state = document.querySelector("[data-push-state]");
    if (!subscribe || !unsubscribe || !state) return;
    const texts = subscribe.dataset;

    function show(subscribed) {
      state.textContent = subscribed ? texts.stateOn : texts.stateOff;
      subscribe.hidden = subscribed;
      unsubscribe.hidden = !subscribed;
    }

    if (!registration || !("PushManager" in window) || !("Notification" in window)) {
      state.textContent = texts.stateUnsupported;
      return;
    }
    if (Notification.permission === "denied") {
      state.textContent = texts.stateDenied;
      return;
    }
    registration.pushManager.getSubscription().then(function (subscription) {
      show(Boolean(subscription));
    });

    subscribe.addEventListener("click", function () {
      registration.pushManager
        .subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(texts.vapidKey) })
        .then(function (subscription) {
          return post(texts.subscribeUrl, subscription.toJSON()).then(function (response) {
            show(response.ok);
          });
        })
        .catch(function () {
          state.textContent = Notification.permission === "denied" ? texts.stateDenied : texts.stateOff;
        });
    });

    unsubscribe.addEventListener("click", function () {
      registration.pushManager.getSubscription().then(function (subscription) {
        if (!subscription) return show(false);
        const endpoint = subscription.endpoint;
        return subscription.unsubscribe().then(function () {
          return post(unsubscribe.dataset.unsubscribeUrl, { endpoint: endpoint }).then(function () {
            show(false);
          });
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchUnread();
    registerWorker().then(pushPanel);
  });
})();
