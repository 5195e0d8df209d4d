// «Выдача» around the shared scan field (scanner.js): one confirming action, redirects, tabs, live list.
// - Enter in the EMPTY scan field finishes the session: it waits until every scan already typed has been
//   answered (the form is aria-busy while scanner.js sends them), then posts to data-issue-finish with a
//   fresh action_id (the idempotency key) and shows the answer like a scan's (sound, blocking lines).
// - An answer carrying data-redirect (customer verified, session finished or cancelled) opens that page.
// - Each button form gets a fresh action_id when pressed; the tabs of the customer card switch panels.
// - The start page's open-sessions list is re-read whenever the point's live socket reports a change.
// No text lives here: everything shown comes rendered and translated from the server.
(function () {
  "use strict";

  const BUSY_POLL_MS = 40;

  function whenIdle(form) {
    return new Promise(function (resolve) {
      (function wait() {
        if (form.getAttribute("aria-busy") === "true") window.setTimeout(wait, BUSY_POLL_MS);
        else resolve();
      })();
    });
  }

  function attachFinish(form) {
    const input = form.querySelector("[data-scanner-input]");
    const target = document.querySelector(form.dataset.scannerTarget);
    const csrf = form.querySelector("[name=csrfmiddlewaretoken]");
    let finishing = false;

    input.addEventListener("keydown", async function (event) {
      if (event.key !== "Enter" || input.value.trim() !== "") return;
      event.preventDefault();
      if (finishing) return; // one press, one finish
      finishing = true;
      try {
        await whenIdle(form);
        const body = new FormData();
        body.set("csrfmiddlewaretoken", csrf.value);
        body.set("action_id", window.PvzScanner.uuid());
        const answer = await window.PvzScanner.post(form.dataset.issueFinish, body);
        if (answer.html === null) {
          window.PvzScanner.sound("error");
          return;
        }
        window.PvzScanner.present(target, answer.html, form);
      } catch (err) {
        window.PvzScanner.sound("error"); // offline: Enter can simply be pressed again
      } finally {
        finishing = false;
        input.focus({ preventScroll: true });
      }
    });
  }

  function followRedirects(form) {
    form.addEventListener("pvz:scan-answer", function (event) {
      const answer = event.detail.answer;
      if (answer && answer.dataset.redirect) window.location.assign(answer.dataset.redirect);
    });
  }

  function attachTabs(card) {
    const tabs = Array.from(card.querySelectorAll('[role="tab"]'));
    function select(tab) {
      tabs.forEach(function (other) {
        const on = other === tab;
        other.setAttribute("aria-selected", on ? "true" : "false");
        document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
      });
    }
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { select(tab); });
    });
    select(tabs[0]);
  }

  function attachSessionsList(list) {
    let pending = false;
    document.addEventListener("pvz:live", async function (event) {
      if (event.detail.type !== "counts" || pending) return;
      pending = true;
      try {
        const response = await fetch(list.dataset.issueSessions, { credentials: "same-origin" });
        if (response.ok && !response.redirected) {
          const box = document.createElement("div");
          box.innerHTML = await response.text();
          const fresh = box.querySelector("[data-issue-sessions]");
          const current = document.querySelector("[data-issue-sessions]");
          if (fresh && current) current.replaceWith(fresh);
        }
      } catch (err) {
        // The next change or a reload brings the list up to date.
      } finally {
        pending = false;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-scanner]").forEach(followRedirects);
    document.querySelectorAll("form[data-issue-finish]").forEach(attachFinish);
    document.querySelectorAll("[data-tabs]").forEach(attachTabs);
    const list = document.querySelector("[data-issue-sessions]");
    if (list) attachSessionsList(list);
    document.querySelectorAll("form [data-action-id]").forEach(function (key) {
      key.form.addEventListener("submit", function () {
        if (!key.form.dataset.sent) key.value = window.PvzScanner ? window.PvzScanner.uuid() : key.value;
        key.form.dataset.sent = "1";
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    const next = document.querySelector("[data-next-customer]");
    if (next) next.focus();
    const fetchList = document.querySelector("[data-fetch-speak]");
    if (fetchList && window.PvzScanner) window.PvzScanner.speak(fetchList.dataset.fetchSpeak);
  });
})();
