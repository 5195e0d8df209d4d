// «Отправка»: keeps the board (totes, parcels, progress) current and runs the signature pad.
// The board is reloaded after every scan answer and on live pushes of the point. The signature pad is a
// plain <canvas> driven by pointer events (finger, pen or mouse); its PNG goes into a hidden field as a
// data URL when the form is sent. No text lives here.
(function () {
  "use strict";

  function board() {
    const box = document.querySelector("[data-board-url]");
    if (!box) return;
    let timer = null;
    async function reload() {
      try {
        const response = await fetch(box.dataset.boardUrl, { credentials: "same-origin" });
        if (!response.ok || response.redirected) return;
        const html = await response.text();
        if (html.includes("data-dispatch-board")) box.innerHTML = html;
      } catch (err) {
        // Offline: the board catches up with the next answer or push.
      }
    }
    function soon() {
      clearTimeout(timer);
      timer = setTimeout(reload, 150);
    }
    const form = document.querySelector("form[data-scanner]");
    if (form) form.addEventListener("pvz:scan-answer", soon);
    document.addEventListener("pvz:live", soon);
  }

  function signaturePad() {
    const canvas = document.querySelector("[data-signature-pad]");
    if (!canvas) return;
    const form = canvas.closest("form");
    const field = form.querySelector("[data-signature-value]");
    const ctx = canvas.getContext("2d");
    let drawing = false;
    let drawn = false;
    ctx.lineWidth = 2.5;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";

    function point(event) {
      const rect = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - rect.left) * (canvas.width / rect.width),
        y: (event.clientY - rect.top) * (canvas.height / rect.height),
      };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      canvas.setPointerCapture(event.pointerId);
      const p = point(event);
      ctx.beginPath();
      ctx.moveTo(p.x, p.y);
      ctx.lineTo(p.x + 0.1, p.y + 0.1);
      ctx.stroke();
      drawn = true;
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      const p = point(event);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      event.preventDefault();
    });
    function stop() { drawing = false; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    const clear = form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        field.value = "";
      });
    }
    form.addEventListener("submit", function () {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    board();
    signaturePad();
  });
})();
