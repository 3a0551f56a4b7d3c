// Quick entry of an order: find a product by name or SKU as you type (↑ ↓ to choose,
// Enter to add), each pick adds a line with the product's price and VAT; the totals are
// counted by the server (htmx, on every change), so what is shown is what will be saved.
(function () {
  "use strict";
  var editor = document.getElementById("order-lines-editor");
  if (!editor) return;
  document.documentElement.classList.add("js");
  var input = document.getElementById("product-search");
  var list = document.getElementById("product-results");
  var rows = document.getElementById("order-line-rows");
  var template = document.getElementById("order-line-template");
  var total = editor.querySelector("input[name$='-TOTAL_FORMS']");
  var prefix = total.name.replace(/-TOTAL_FORMS$/, "");
  var results = [];
  var active = -1;
  var timer = null;
  var asked = "";

  function money(value, currency) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined, {
        style: "currency", currency: currency || "RUB"
      }).format(parseFloat(value));
    } catch (e) {
      return value + " " + currency;
    }
  }

  function changed() {
    htmx.trigger(document.body, "lines-changed");
  }

  function field(row, name) {
    return row.querySelector("[name$='-" + name + "']");
  }

  function blank(row) {
    return !field(row, "product").value && !field(row, "name").value && !field(row, "sku").value;
  }

  function visibleRows() {
    return Array.prototype.filter.call(rows.querySelectorAll(".order-line-row"), function (row) {
      return !row.hidden;
    });
  }

  function newRow() {
    var index = parseInt(total.value, 10);
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("tr");
    rows.appendChild(row);
    total.value = String(index + 1);
    wire(row);
    return row;
  }

  function freeRow() {
    var found = visibleRows().filter(blank)[0];
    return found || newRow();
  }

  function add(product) {
    var same = visibleRows().filter(function (row) {
      return field(row, "product").value === String(product.id);
    })[0];
    if (same) {
      var qty = field(same, "quantity");
      qty.value = String((parseFloat(qty.value) || 0) + 1);
      qty.focus();
      changed();
      return;
    }
    var row = freeRow();
    field(row, "product").value = product.id;
    field(row, "name").value = product.name;
    field(row, "sku").value = product.sku || "";
    field(row, "unit").value = product.unit || "";
    if (!field(row, "quantity").value) field(row, "quantity").value = "1";
    field(row, "unit_price").value = product.price;
    field(row, "vat_rate").value = product.vat_rate;
    changed();
    field(row, "quantity").select();
  }

  function close() {
    list.hidden = true;
    list.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    results = [];
    active = -1;
  }

  function mark(index) {
    var options = list.querySelectorAll(".product-option");
    options.forEach(function (el, n) {
      el.classList.toggle("active", n === index);
      el.setAttribute("aria-selected", n === index ? "true" : "false");
    });
    active = index;
    if (options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }
  }

  function show(items) {
    results = items;
    list.innerHTML = "";
    if (!items.length) {
      var none = document.createElement("li");
      none.className = "list-group-item text-body-secondary small";
      none.textContent = editor.dataset.nothing;
      list.appendChild(none);
    }
    items.forEach(function (item, n) {
      var li = document.createElement("li");
      li.className = "list-group-item list-group-item-action product-option";
      li.id = "product-option-" + item.id;
      li.setAttribute("role", "option");
      var name = document.createElement("span");
      name.className = "fw-semibold";
      name.textContent = item.name;  // text, never HTML
      li.appendChild(name);
      if (item.sku) {
        var sku = document.createElement("span");
        sku.className = "small text-body-secondary ms-2";
        sku.textContent = item.sku;
        li.appendChild(sku);
      }
      var price = document.createElement("span");
      price.className = "float-end money";
      price.textContent = money(item.price, item.currency);
      li.appendChild(price);
      li.addEventListener("mousedown", function (evt) {
        evt.preventDefault();
        pick(n);
      });
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    mark(items.length ? 0 : -1);
  }

  function pick(n) {
    var item = results[n];
    if (!item) return;
    close();
    input.value = "";
    add(item);
  }

  function search() {
    var q = input.value.trim();
    if (!q) { close(); return; }
    asked = q;
    fetch(editor.dataset.searchUrl + "?q=" + encodeURIComponent(q), {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      return response.ok ? response.json() : { q: q, results: [] };
    }).then(function (data) {
      if (data.q === asked && input.value.trim() === q) show(data.results);
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (evt) {
    if (evt.key === "ArrowDown" && results.length) {
      evt.preventDefault();
      mark((active + 1) % results.length);
    } else if (evt.key === "ArrowUp" && results.length) {
      evt.preventDefault();
      mark((active - 1 + results.length) % results.length);
    } else if (evt.key === "Enter") {
      evt.preventDefault();  // Enter adds the product; it never submits the order
      if (active >= 0) pick(active);
    } else if (evt.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });

  function wire(row) {
    var button = row.querySelector(".line-remove-button");
    if (!button) return;
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      var del = field(row, "DELETE");
      if (del) del.checked = true;
      row.hidden = true;
      changed();
      input.focus();
    });
  }

  rows.querySelectorAll(".order-line-row").forEach(function (row) {
    var del = field(row, "DELETE");
    if (del && del.checked) row.hidden = true;
    wire(row);
  });
  var own = editor.querySelector(".line-add");
  if (own) {
    own.classList.remove("d-none");
    own.addEventListener("click", function () { field(newRow(), "name").focus(); });
  }
  // Enter in a line's field recalculates instead of submitting the whole order.
  rows.addEventListener("keydown", function (evt) {
    if (evt.key === "Enter" && evt.target.tagName === "INPUT") {
      evt.preventDefault();
      changed();
    }
  });
  // A prefix in the template's ids other than the formset's would break the rows.
  if (template.innerHTML.indexOf(prefix + "-__prefix__") < 0) own && own.classList.add("d-none");
})();
