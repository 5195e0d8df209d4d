// The header's behaviour on every page: the scan box is always one keystroke away, and the point
// switcher applies a choice at once. No text here: every label comes translated from the templates.
(function () {
  "use strict";

  function isTyping(el) {
    if (!el) return false;
    const tag = el.tagName;
    return el.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function focusScan(selectAll) {
    const input = document.querySelector("[data-scan-input]");
    if (!input) return;
    input.focus();
    if (selectAll) input.select();
  }

  // Bars carry their width as data-bar-width (a percentage): the Content-Security-Policy forbids style
  // attributes in the markup, so the width is applied here, also to bars that answers swap in later.
  function applyBarWidth(el) {
    const percent = Math.min(100, Math.max(0, parseFloat(el.dataset.barWidth) || 0));
    el.style.width = percent + "%";
  }

  function applyBarWidths(root) {
    if (root.matches("[data-bar-width]")) applyBarWidth(root);
    root.querySelectorAll("[data-bar-width]").forEach(applyBarWidth);
  }

  new MutationObserver(function (records) {
    records.forEach(function (record) {
      record.addedNodes.forEach(function (node) {
        if (node.nodeType === Node.ELEMENT_NODE) applyBarWidths(node);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true });

  document.addEventListener("DOMContentLoaded", function () {
    applyBarWidths(document.documentElement);
    // A scanner types into whatever has focus, so the scan box takes it unless the page's own form
    // asked for it (autofocus) or the person is already typing somewhere.
    if (!document.querySelector("[autofocus]") && !isTyping(document.activeElement)) {
      focusScan(false);
    }
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        select.form.requestSubmit();
      });
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "F2" || (event.key === "/" && !isTyping(document.activeElement))) {
      if (!document.querySelector("[data-scan-input]")) return;
      event.preventDefault();
      focusScan(true);
    }
  });
})();
