// A read-only page kept current: every element with data-live-region="<name>" is fetched again from the
// page's own URL after each live push of the point (live_counts.js fires them on document as "pvz:live")
// and replaced by the element of the same name in the fresh page. Bursts of pushes reload once. No text
// lives here; a failed fetch leaves the page as it was until the next push.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    const regions = document.querySelectorAll("[data-live-region]");
    if (!regions.length) return;
    let timer = null;

    async function reload() {
      try {
        const response = await fetch(window.location.href, { credentials: "same-origin" });
        if (!response.ok || response.redirected) return;
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        regions.forEach(function (region) {
          const name = region.dataset.liveRegion;
          const next = fresh.querySelector('[data-live-region="' + name + '"]');
          if (next) region.replaceChildren(...next.childNodes);
        });
      } catch (err) {
        // Offline: the next push tries again.
      }
    }

    document.addEventListener("pvz:live", function (event) {
      if (!event.detail || event.detail.type !== "counts") return;
      clearTimeout(timer);
      timer = setTimeout(reload, 250);
    });
  });
})();
