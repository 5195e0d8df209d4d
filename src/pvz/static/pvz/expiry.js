// «Истёк срок: в зону возврата»: keeps the list of parcels still to take out current. It is reloaded after
// every scan answer on this screen and after every live push of the point (another operator's scan, the
// expiry job), so two people clearing the shelves at once see the same list. No text lives here.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    const box = document.querySelector("[data-list-url]");
    if (!box) return;
    let timer = null;

    async function reload() {
      try {
        const response = await fetch(box.dataset.listUrl, { credentials: "same-origin" });
        if (!response.ok || response.redirected) return;
        const html = await response.text();
        if (html.includes("data-expired-list")) box.innerHTML = html;
      } catch (err) {
        // Offline: the list catches up with the next answer or push.
      }
    }

    // Several pushes in a burst (a scan, then the counts) reload once.
    function soon() {
      clearTimeout(timer);
      timer = setTimeout(reload, 250);
    }

    const form = document.querySelector("form[data-scanner]");
    if (form) form.addEventListener("pvz:scan-answer", soon);
    document.addEventListener("pvz:live", function (event) {
      if (event.detail && event.detail.type === "counts") soon();
    });
  });
})();
