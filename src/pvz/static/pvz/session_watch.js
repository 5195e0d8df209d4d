// The live notice that this device's session was ended elsewhere (a login on another device, a password
// reset, a deactivated or suspended account). live_counts.js fires every message of the point's socket on
// document as "pvz:live"; on {"type": "session_ended", "reason": ..., "message": ...} this shows the
// blocking overlay rendered hidden by base.html, with the server's translated message, and points its
// button at the login page with the reason. Texts come from the template and the server, none live here.
(function () {
  "use strict";

  document.addEventListener("pvz:live", function (event) {
    const message = event.detail || {};
    if (message.type !== "session_ended") return;
    const overlay = document.querySelector("[data-session-ended]");
    if (!overlay) return;
    const text = overlay.querySelector("[data-session-ended-message]");
    if (text && message.message) text.textContent = message.message;
    const link = overlay.querySelector("[data-session-ended-login]");
    if (link && message.reason) {
      link.href = link.dataset.loginUrl + "?ended=" + encodeURIComponent(message.reason);
    }
    // Everything behind the overlay is dead now: keep keyboard and screen readers out of it.
    Array.prototype.forEach.call(document.body.children, function (child) {
      if (child !== overlay) child.setAttribute("inert", "");
    });
    overlay.hidden = false;
    if (link) link.focus();
  });
})();
