// Voronka's page glue: toasts for server messages sent with htmx responses,
// confirmation of destructive forms, copy-to-clipboard buttons.
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

  // Filter forms marked data-drop-empty leave unset filters out of the URL,
  // so the address bar reads "?q=ива", not a row of empty parameters.
  document.body.addEventListener("htmx:configRequest", function (evt) {
    var source = evt.detail.elt;
    var form = source && source.closest && source.closest("form[data-drop-empty]");
    if (!form || evt.detail.verb !== "get") return;
    var params = evt.detail.parameters;
    Object.keys(params).forEach(function (name) {
      if (params[name] === "") delete params[name];
    });
  });

  // <form data-confirm="Question?"> asks before submitting.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  // <button data-copy-target="#input"> copies the input's value.
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest && evt.target.closest("[data-copy-target]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy-target"));
    if (!input) return;
    input.select();
    var done = function () { toast(button.getAttribute("data-copied-text") || "OK", "success"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done);
    } else if (document.execCommand("copy")) {
      done();
    }
  });
})();
