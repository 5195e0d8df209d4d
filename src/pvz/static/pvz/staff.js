// «Сотрудники»: a permission checkbox submits its form at once; forms with data-confirm ask first (the
// question comes rendered and translated from the server). Without JS the <noscript> buttons work.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box instanceof HTMLInputElement && box.hasAttribute("data-submit-on-change") && box.form) {
      box.form.requestSubmit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
