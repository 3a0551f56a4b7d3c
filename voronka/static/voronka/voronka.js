// Voronka's page glue: toasts for server messages sent with htmx responses.
(function () {
  "use strict";
  function toast(text, level) {
    var area = document.getElementById("toast-area");
    if (!area) return;
    var el = document.createElement("div");
    el.className = "toast align-items-center text-bg-" + (level || "info") + " border-0";
    el.setAttribute("role", "alert");
    var body = document.createElement("div");
    body.className = "d-flex";
    var inner = document.createElement("div");
    inner.className = "toast-body";
    inner.textContent = text;  // never HTML: server text is shown as text
    body.appendChild(inner);
    el.appendChild(body);
    area.appendChild(el);
    new bootstrap.Toast(el, { delay: 6000 }).show();
  }
  window.voronkaToast = toast;
  document.body.addEventListener("voronka:toast", function (evt) {
    toast(evt.detail.text, evt.detail.level);
  });
})();
