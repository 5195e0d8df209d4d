// Dashboard numbers kept live over the point's websocket. The server sends
// {"type": "counts", "counts": {...}} on connect and after every change at the point; a dropped
// connection is retried with exponential backoff and jitter so a restarted server is not stampeded.
(function () {
  "use strict";

  const MIN_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;

  document.addEventListener("DOMContentLoaded", function () {
    const root = document.querySelector("[data-live-counts]");
    if (!root || !("WebSocket" in window)) return;
    const status = document.querySelector("[data-live-status]");
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const url = scheme + window.location.host + root.dataset.liveCounts;
    let delay = MIN_DELAY_MS;

    function showState(live) {
      root.dataset.live = live ? "on" : "off";
      if (status) status.textContent = live ? root.dataset.textLive : root.dataset.textOffline;
    }

    function apply(counts) {
      Object.keys(counts).forEach(function (key) {
        const el = root.querySelector('[data-count="' + key + '"]');
        if (el && el.textContent !== String(counts[key])) {
          el.textContent = counts[key];
          el.classList.remove("count-changed");
          void el.offsetWidth; // restart the highlight animation
          el.classList.add("count-changed");
        }
      });
    }

    function connect() {
      const socket = new WebSocket(url);
      socket.addEventListener("open", function () {
        delay = MIN_DELAY_MS;
        showState(true);
      });
      socket.addEventListener("message", function (event) {
        const message = JSON.parse(event.data);
        if (message.type === "counts") apply(message.counts);
      });
      socket.addEventListener("close", function () {
        showState(false);
        const wait = delay + Math.random() * delay * 0.3;
        delay = Math.min(delay * 2, MAX_DELAY_MS);
        window.setTimeout(connect, wait);
      });
    }

    connect();
  });
})();
