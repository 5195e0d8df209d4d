// PvzScanner: one scan field that a barcode scanner can drive with no mouse. Reused by every scan screen.
//
// Markup (the form works without JavaScript too; this only makes it faster and safer):
//
//   <form method="post" action="…" data-scanner data-scanner-target="#answer"
//         data-msg-offline="…translated…" data-msg-failed="…translated…">
//     {% csrf_token %}
//     <input type="hidden" name="scan_id" data-scanner-id>   ← gets a fresh UUID for every scan
//     <input name="code" data-scanner-input autofocus>
//     <div id="answer">…the server's answer partial…</div>
//   </form>
//
// What it does:
// - Keeps the focus in the scan field: after every answer, when a click or a swapped element leaves the
//   focus nowhere, and when a key is typed while nothing that takes text has focus (the scanner's
//   characters then land in the field, not on a button).
// - Enter submits; the field is cleared at once so the next scan can start while this one is answered.
//   Scans are sent one at a time, in order, because an answer can change what the next scan means (the
//   parcel that waits for its cell travels as hidden fields inside the answer, which is inside the form).
// - Each scan gets its own UUID as `scan_id`, which the server uses as the idempotency key. A scan that
//   got no answer (network dropped) is resent with the SAME UUID, so it can never act twice.
// - The answer (HTML) replaces the target's content. Its root element may carry
//   data-scan-outcome="ok|prompt|warning|error" (which sound to play) and data-speak="…" data-speak-lang="ru-RU"
//   (what to say aloud with the browser's speech synthesis). Sounds are generated with the Web Audio API.
// - Fires "pvz:scan-answer" on the form ({detail: {outcome, answer}}) for page-specific behaviour.
// - PvzScanner.present(target, html) shows any other answer partial the same way (sound, speech, event),
//   for a page's own buttons (e.g. «Отменить последний скан»); PvzScanner.post(url, body) sends such a
//   button's form the way a scan is sent and hands back the answer partial.
//
// Requests carry the header X-Pvz-Scanner: 1; the view then renders only the answer partial.
// No text lives here: messages come translated from the form's data-msg-* attributes.
(function () {
  "use strict";

  const RETRY_DELAYS_MS = [500, 1500, 4000];

  // crypto.randomUUID exists only in secure contexts (https, localhost); a counter PC that opens the app
  // over plain http on the shop's LAN still needs unguessable keys, and getRandomValues works everywhere.
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // --- Sounds: short, distinct, no audio files. Success rises, a prompt is one mid tone, a warning (put
  // it aside, but nothing is wrong with the scan) falls, an error buzzes low.
  let audio = null;
  function audioContext() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    // Browsers start audio suspended until a user gesture; a scanner's keystrokes count as one.
    if (audio.state === "suspended") audio.resume();
    return audio;
  }

  function tone(ctx, frequency, start, duration, type, volume) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = type;
    osc.frequency.value = frequency;
    const t0 = ctx.currentTime + start;
    // Ramps instead of hard on/off, or the speaker clicks.
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(volume, t0 + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + duration);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t0);
    osc.stop(t0 + duration + 0.02);
  }

  const SOUNDS = {
    ok: function (ctx) { tone(ctx, 880, 0, 0.09, "sine", 0.3); tone(ctx, 1320, 0.1, 0.14, "sine", 0.3); },
    prompt: function (ctx) { tone(ctx, 990, 0, 0.08, "sine", 0.25); },
    warning: function (ctx) {
      tone(ctx, 660, 0, 0.12, "triangle", 0.3); tone(ctx, 440, 0.14, 0.12, "triangle", 0.3);
      tone(ctx, 660, 0.28, 0.12, "triangle", 0.3);
    },
    error: function (ctx) { tone(ctx, 196, 0, 0.18, "square", 0.2); tone(ctx, 147, 0.22, 0.3, "square", 0.2); },
  };

  function sound(kind) {
    const play = SOUNDS[kind];
    if (!play) return;
    try {
      const ctx = audioContext();
      if (ctx) play(ctx);
    } catch (err) {
      // No audio device on this PC: the colour and text of the answer still say it all.
    }
  }

  // --- Speech: the newest answer wins, so a fast operator never hears a queue of stale cells.
  function speak(text, lang) {
    if (!text || !("speechSynthesis" in window)) return;
    const synth = window.speechSynthesis;
    synth.cancel();
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = lang || document.documentElement.lang || "ru-RU";
    const prefix = utterance.lang.slice(0, 2).toLowerCase();
    const voice = synth.getVoices().find(function (v) { return v.lang.toLowerCase().startsWith(prefix); });
    if (voice) utterance.voice = voice;
    utterance.rate = 0.95;
    synth.speak(utterance);
  }

  // --- Showing an answer: its HTML replaces the target's content, then its sound and words.
  function present(target, html, form) {
    target.innerHTML = html;
    const answer = target.querySelector("[data-scan-outcome]");
    const outcome = answer ? answer.dataset.scanOutcome : "";
    sound(outcome);
    if (answer) speak(answer.dataset.speak, answer.dataset.speakLang);
    const source = form || document.querySelector("form[data-scanner]") || document;
    source.dispatchEvent(new CustomEvent("pvz:scan-answer", { detail: { outcome: outcome, answer: answer } }));
    return answer;
  }

  // --- Focus keeping.
  function takesText(el) {
    if (!el) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !["button", "submit", "checkbox", "radio", "hidden"].includes(el.type);
  }

  // POSTs `body` to `url` the way a scan is sent, so the view answers with its answer partial only.
  // Resolves to {html, ok, status}; html is null when what came back is no answer partial (a signed-out
  // session gets the login page after a redirect: never paste that in). A network failure rejects.
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Pvz-Scanner": "1" },
    });
    const html = await response.text();
    const isAnswer = !response.redirected && html.includes("data-scan-outcome");
    return { html: isAnswer ? html : null, ok: response.ok, status: response.status };
  }

  function attach(form) {
    const input = form.querySelector("[data-scanner-input]");
    const idField = form.querySelector("[data-scanner-id]");
    const target = document.querySelector(form.dataset.scannerTarget) || form;
    const queue = [];
    let busy = false;

    function focusField() {
      if (document.activeElement !== input) input.focus({ preventScroll: true });
    }

    function showProblem(message) {
      const box = document.createElement("div");
      box.className = "placement-answer placement-error scanner-problem";
      box.setAttribute("role", "alert");
      box.dataset.scanOutcome = "error";
      box.textContent = message;
      // The hidden fields of the last answer stay, so a parcel waiting for its cell is not forgotten.
      target.querySelectorAll(".scanner-problem").forEach(function (old) { old.remove(); });
      target.prepend(box);
      sound("error");
    }

    function render(html) {
      present(target, html, form);
    }

    async function send(scan) {
      const body = new FormData(form);
      body.set(input.name, scan.code);
      if (idField) body.set(idField.name, scan.id);
      for (let attempt = 0; ; attempt++) {
        try {
          // getAttribute: a field named "action" inside the form would shadow form.action.
          const answer = await post(form.getAttribute("action"), body);
          if (answer.html === null) {
            showProblem(form.dataset.msgFailed || String(answer.status));
          } else {
            render(answer.html);
          }
          return;
        } catch (err) {
          if (attempt >= RETRY_DELAYS_MS.length) {
            showProblem(form.dataset.msgOffline || String(err));
            return;
          }
          // Same body, same scan_id: the server answers a repeat with the first result.
          await new Promise(function (resolve) { setTimeout(resolve, RETRY_DELAYS_MS[attempt]); });
        }
      }
    }

    async function drain() {
      if (busy) return;
      busy = true;
      form.setAttribute("aria-busy", "true");
      try {
        while (queue.length) await send(queue.shift());
      } finally {
        busy = false;
        form.removeAttribute("aria-busy");
        focusField();
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const code = input.value;
      input.value = "";
      focusField();
      if (!code.trim()) return;
      queue.push({ code: code, id: uuid() });
      drain();
    });

    input.addEventListener("blur", function () {
      // Let the click or key that moved the focus finish first. Focus that went nowhere (a click on empty
      // space, a swapped element) comes back; a control reached on purpose (Tab to a switch or link) keeps
      // it, and the keydown handler below still steers a scan typed there into the field.
      setTimeout(function () {
        const active = document.activeElement;
        if (!active || active === document.body) focusField();
      }, 0);
    });

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.altKey || event.metaKey || takesText(document.activeElement)) return;
      if (event.key.length === 1) focusField(); // the character itself then goes into the field
    }, true);

    window.addEventListener("focus", focusField);
    // After htmx swaps a control (e.g. the «Автораспределение» switch), focus goes back to scanning.
    document.body.addEventListener("htmx:afterSettle", focusField);
    focusField();
  }

  window.PvzScanner = { attach: attach, uuid: uuid, sound: sound, speak: speak, present: present, post: post };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-scanner]").forEach(attach);
  });
})();
