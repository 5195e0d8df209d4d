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

  document.addEventListener("DOMContentLoaded", function () {
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
