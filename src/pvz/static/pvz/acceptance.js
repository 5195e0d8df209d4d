// The acceptance screen around the shared scan field (scanner.js): its buttons without leaving the
// keyboard, the «Повреждение» form bound to the last accepted parcel, and progress kept live from the
// point's socket (live_counts.js fires every message as "pvz:live"). Also the act's «Печать» button.
// No text lives here: everything shown comes rendered and translated from the server.
(function () {
  "use strict";

  const KEY_UNDO = "F8";
  const KEY_DAMAGE = "F9";

  function percent(scanned, expected) {
    return expected > 0 ? Math.min(100, Math.round((scanned * 100) / expected)) : 0;
  }

  function setText(root, selector, value) {
    const el = root.querySelector(selector);
    if (el && el.textContent !== String(value)) {
      el.textContent = value;
      el.classList.remove("count-changed");
      void el.offsetWidth; // restart the highlight animation
      el.classList.add("count-changed");
    }
  }

  // Patch the rendered progress panel in place: the next scan's answer re-renders it anyway.
  function applyProgress(screen, progress) {
    const panel = screen.querySelector("[data-progress]");
    if (!panel) return;
    setText(panel, "[data-progress-scanned]", progress.scanned);
    setText(panel, "[data-progress-expected]", progress.expected);
    setText(panel, "[data-progress-surplus]", progress.surplus);
    setText(panel, "[data-progress-put-aside]", progress.put_aside);
    const bar = panel.querySelector("[data-progress-bar]");
    if (bar) bar.style.width = percent(progress.scanned, progress.expected) + "%";
    (progress.totes || []).forEach(function (tote) {
      const row = Array.from(panel.querySelectorAll("[data-tote-row]")).find(function (el) {
        return el.dataset.toteRow === tote.barcode;
      });
      if (!row) return;
      setText(row, "[data-tote-scanned]", tote.scanned);
      setText(row, "[data-tote-expected]", tote.expected);
      const toteBar = row.querySelector("[data-tote-bar]");
      if (toteBar) toteBar.style.width = percent(tote.scanned, tote.expected) + "%";
      row.classList.toggle("acc-tote-done", tote.expected > 0 && tote.scanned >= tote.expected);
    });
  }

  function attachScreen(screen) {
    const acceptanceId = Number(screen.dataset.acceptanceId);
    const scanForm = screen.querySelector("form[data-scanner]");
    const input = scanForm && scanForm.querySelector("[data-scanner-input]");
    const target = document.querySelector(scanForm.dataset.scannerTarget);
    const damage = screen.querySelector("[data-damage]");
    const undoForm = screen.querySelector('[data-acc-action="undo"]');

    function backToScanning() {
      if (input) input.focus({ preventScroll: true });
    }

    function rememberParcel(answer) {
      if (!damage || !answer) return;
      const id = answer.dataset.lastShipmentId;
      const kind = answer.dataset.kind;
      // A new accepted parcel becomes the damage target; an undo leaves nothing to mark.
      if (!id && kind !== "undone") return;
      damage.querySelector("[data-damage-shipment]").value = id || "";
      damage.querySelector("[data-damage-label]").textContent = answer.dataset.lastShipmentLabel || "—";
      damage.querySelector("[data-damage-empty]").hidden = Boolean(id);
    }

    scanForm.addEventListener("pvz:scan-answer", function (event) {
      rememberParcel(event.detail.answer);
    });

    // Undo and damage answer in the same panel as scans, with the same sounds.
    screen.querySelectorAll("form[data-acc-action]").forEach(function (form) {
      form.addEventListener("submit", async function (event) {
        event.preventDefault();
        if (form.getAttribute("aria-busy") === "true") return; // one press, one action
        form.setAttribute("aria-busy", "true");
        try {
          const answer = await window.PvzScanner.post(form.getAttribute("action"), new FormData(form));
          if (answer.html === null) {
            window.PvzScanner.sound("error");
            return;
          }
          window.PvzScanner.present(target, answer.html, scanForm);
          if (form.dataset.accAction === "damage" && answer.ok) {
            form.reset();
            damage.open = false;
          }
        } catch (err) {
          window.PvzScanner.sound("error"); // offline: the button can simply be pressed again
        } finally {
          // A new key for the next press; a retry of this one would have reused it.
          const key = form.querySelector("[data-action-id]");
          if (key) key.value = window.PvzScanner.uuid();
          form.removeAttribute("aria-busy");
          backToScanning();
        }
      });
    });

    if (damage) {
      damage.addEventListener("toggle", function () {
        if (damage.open) damage.querySelector("[data-damage-note]").focus();
        else backToScanning();
      });
    }

    document.addEventListener("keydown", function (event) {
      if (event.key === KEY_UNDO && undoForm) {
        event.preventDefault();
        undoForm.requestSubmit();
      } else if (event.key === KEY_DAMAGE && damage) {
        event.preventDefault();
        damage.open = !damage.open;
      } else if (event.key === "Escape" && damage && damage.open) {
        damage.open = false;
      }
    });

    document.addEventListener("pvz:live", function (event) {
      const message = event.detail;
      if (message.type !== "acceptance" || message.acceptance_id !== acceptanceId) return;
      if (message.progress.status === "closed") {
        // Someone closed it: this page now leads to the act.
        window.location.reload();
        return;
      }
      applyProgress(screen, message.progress);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-acceptance-id]").forEach(attachScreen);
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
