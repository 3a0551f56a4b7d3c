// Task pages: refusals of a one-click action come back as plain text; show them.
(function () {
  "use strict";
  document.body.addEventListener("htmx:responseError", function (evt) {
    var xhr = evt.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/plain") === 0 && xhr.responseText) {
      window.voronkaToast(xhr.responseText.trim(), "danger");
    }
  });
})();
