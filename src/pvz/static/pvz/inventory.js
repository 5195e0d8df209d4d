// Inventory pages: the report's «Печать» button, and on the scan screen the count's progress kept live
// from the other operators' scans. live_counts.js fires every message of the point's socket on document
// as "pvz:live"; an {"type": "inventory", "inventory_id": 3, "progress": {...}} message of this screen's
// count rewrites the progress line. The scan screen itself is driven by scanner.js.
(function () {
  "use strict";

  function applyProgress(root, progress) {
    const line = root.querySelector("[data-progress]");
    if (!line) return;
    const set = function (name, text) {
      const el = line.querySelector("[data-progress-" + name + "]");
      if (el) el.textContent = text;
    };
    set("cells", progress.cells_scanned + " / " + progress.cells_in_scope);
    set("parcels", progress.parcels_found + " / " + progress.parcels_expected);
    set("misplaced", String(progress.misplaced));
    set("unknown", String(progress.unknown));
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    const screen = document.querySelector("[data-inventory-id]");
    if (!screen) return;
    document.addEventListener("pvz:live", function (event) {
      const message = event.detail || {};
      if (message.type === "inventory" && String(message.inventory_id) === screen.dataset.inventoryId) {
        applyProgress(screen, message.progress || {});
      }
    });
  });
})();
