// The import wizard: a form marked data-once is sent once, so a double click on
// "Check" or "Import" does not ask twice (the server refuses a second run anyway).
(function () {
  "use strict";
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
    if (form.dataset.sent) {
      evt.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    // The button's name and value still go with the form: disable after it is sent.
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
})();
// Back to a page the browser kept: its forms may be sent again.
window.addEventListener("pageshow", function (evt) {
  if (!evt.persisted) return;
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    delete form.dataset.sent;
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
});
