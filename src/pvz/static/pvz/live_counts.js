// The point's live socket, one per page of the point. The server sends
//   {"type": "counts", "counts": {...}}                     on connect and after every change at the point,
//   {"type": "carriages", "approaching": [{id, number, partner, eta, minutes}, ...]}   after a carriage change,
//   {"type": "acceptance", "acceptance_id": 7, "progress": {scanned, expected, surplus, status, totes}}.
//   {"type": "inventory", "inventory_id": 3, "progress": {cells_scanned, cells_in_scope, parcels_found, ...}}.
// Counts update the dashboard cards, "carriages" the «Подъезжает транспорт» notice in the page header;
// every message is also fired on document as "pvz:live" (detail = the message) for page scripts such as
// acceptance.js. A dropped connection is retried with exponential backoff and jitter so a restarted
// server is not stampeded. No text lives here: the notice pattern comes translated from the template.
(function () {
  "use strict";

  // The dashboard also includes this file; one socket per page is enough.
  if (window.PvzLive) return;
  window.PvzLive = true;

  const MIN_DELAY_MS = 1000;
  const MAX_DELAY_MS = 30000;

  document.addEventListener("DOMContentLoaded", function () {
    const notice = document.querySelector("[data-live-point]");
    const root = document.querySelector("[data-live-counts]");
    const path = (notice && notice.dataset.livePoint) || (root && root.dataset.liveCounts);
    if (!path || !("WebSocket" in window)) return;
    const status = document.querySelector("[data-live-status]");
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const url = scheme + window.location.host + path;
    let delay = MIN_DELAY_MS;

    function showState(live) {
      if (!root) return;
      root.dataset.live = live ? "on" : "off";
      if (status) status.textContent = live ? root.dataset.textLive : root.dataset.textOffline;
    }

    function applyCounts(counts) {
      if (!root) return;
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

    // The ETA arrives as ISO 8601 in the point's timezone ("2026-11-27T14:20:00+03:00"), so its clock
    // part is already the point-local time the page shows everywhere else.
    function applyApproaching(carriages) {
      if (!notice) return;
      notice.replaceChildren();
      carriages.forEach(function (carriage) {
        const link = document.createElement("a");
        link.className = "live-notice-item";
        link.href = notice.dataset.noticeUrl.replace("/0/", "/" + carriage.id + "/");
        link.dataset.approaching = carriage.number;
        link.textContent = notice.dataset.noticePattern
          .replace("{number}", carriage.number)
          .replace("{time}", carriage.eta ? carriage.eta.slice(11, 16) : "—");
        notice.append(link);
      });
      notice.hidden = carriages.length === 0;
    }

    function connect() {
      const socket = new WebSocket(url);
      socket.addEventListener("open", function () {
        delay = MIN_DELAY_MS;
        showState(true);
      });
      socket.addEventListener("message", function (event) {
        const message = JSON.parse(event.data);
        if (message.type === "counts") applyCounts(message.counts);
        if (message.type === "carriages") applyApproaching(message.approaching || []);
        document.dispatchEvent(new CustomEvent("pvz:live", { detail: message }));
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
