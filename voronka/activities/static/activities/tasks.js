// One-click task actions: a refusal comes back as plain text; show it as a toast.
// Only for task forms — the board and other pages show their own refusals.
(function () {
  "use strict";
  document.body.addEventListener("htmx:responseError", function (evt) {
    var source = evt.detail.elt;
    if (!source || !source.closest || !source.closest(".task-check-form")) return;
    var xhr = evt.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/plain") === 0 && xhr.responseText) {
      window.voronkaToast(xhr.responseText.trim(), "danger");
      evt.detail.voronkaToastShown = true;  // other pages' handlers: already said
    }
  });
})();
