// Small helpers of the sales pages.
(function () {
  "use strict";
  // Forms that delete something ask first.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      evt.preventDefault();
    }
  }, true);
  // Enter in a search-as-you-type box searches; it does not submit the surrounding form.
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Enter" && evt.target.hasAttribute && evt.target.hasAttribute("data-no-submit")) {
      evt.preventDefault();
    }
  });
  // A form answered with its errors (422) is shown again in place.
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (xhr.status === 422 && type.indexOf("text/html") === 0) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  // Refusals come back as plain text: show them.
  document.body.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.voronkaToastShown) return;
    var xhr = evt.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/plain") === 0 && xhr.responseText) {
      window.voronkaToast(xhr.responseText.trim(), "danger");
    }
  });
})();
