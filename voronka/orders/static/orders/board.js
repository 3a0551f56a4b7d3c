// The order board: drag a card to another status and the server moves the order.
// While a card is dragged, the statuses it may go to are lit (those that need the order
// paid first, in amber). A refused move puts the card back and shows why; a move refused
// because someone else changed the order meanwhile also reloads the columns involved.
(function () {
  "use strict";
  var board = document.getElementById("order-board");
  if (!board || typeof Sortable === "undefined") return;

  var pending = {};  // order id -> {from, index, to}: where its card came from

  function words(value) {
    return (value || "").split(" ").filter(Boolean);
  }

  function columns() {
    return board.querySelectorAll(".order-column");
  }

  function light(card) {
    var allowed = words(card.dataset.allowed);
    var blocked = words(card.dataset.blocked);
    columns().forEach(function (column) {
      var status = column.querySelector(".board-cards").dataset.status;
      if (status === card.dataset.status) return;
      if (blocked.indexOf(status) >= 0) column.classList.add("drop-blocked");
      else if (allowed.indexOf(status) >= 0) column.classList.add("drop-allowed");
      else column.classList.add("drop-denied");
    });
    board.classList.add("is-dragging");
  }

  function unlight() {
    board.classList.remove("is-dragging");
    columns().forEach(function (column) {
      column.classList.remove("drop-allowed", "drop-blocked", "drop-denied");
    });
  }

  function revert(card, from, index) {
    from.insertBefore(card, from.children[index] || null);
  }

  function reloadColumn(status) {
    var url = board.dataset.columnUrl + "?column=" + encodeURIComponent(status);
    if (board.dataset.owner) url += "&owner=" + encodeURIComponent(board.dataset.owner);
    htmx.ajax("GET", url, { target: "#order-column-" + status, swap: "outerHTML" });
  }

  function dropped(evt) {
    unlight();
    var card = evt.item;
    if (evt.from === evt.to) return;
    var status = evt.to.dataset.status;
    pending[card.dataset.orderId] = { from: evt.from, index: evt.oldIndex, to: status };
    card.classList.add("is-saving");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card, target: card, swap: "outerHTML",
      values: { status: status, version: card.dataset.version, owner: board.dataset.owner || "" }
    });
  }

  function sortable(list) {
    if (list.dataset.sortable) return;
    list.dataset.sortable = "1";
    new Sortable(list, {
      group: "orders",
      draggable: ".board-card.movable",
      filter: ".order-card-menu",
      preventOnFilter: false,
      animation: 150,
      forceFallback: true,  // mouse-driven dragging: the same in every browser
      fallbackTolerance: 4,
      ghostClass: "board-card-ghost",
      chosenClass: "board-card-chosen",
      onStart: function (evt) { light(evt.item); },
      onEnd: dropped
    });
  }

  htmx.onLoad(function (elt) {
    if (!elt.querySelectorAll) return;
    if (elt.classList && elt.classList.contains("board-cards")) sortable(elt);
    elt.querySelectorAll(".board-cards").forEach(sortable);
  });
  board.querySelectorAll(".board-cards").forEach(sortable);

  board.addEventListener("htmx:afterRequest", function (evt) {
    var card = evt.detail.elt;
    if (!card || !card.classList || !card.classList.contains("board-card")) return;
    var id = card.dataset.orderId;
    var p = pending[id];
    delete pending[id];
    card.classList.remove("is-saving");
    if (evt.detail.successful) return;
    if (p) revert(card, p.from, p.index);
    var xhr = evt.detail.xhr;
    var text = (xhr && xhr.status && xhr.responseText) ? xhr.responseText : board.dataset.refused;
    window.voronkaToast(text.trim(), xhr && xhr.status === 409 ? "warning" : "danger");
    if (xhr && xhr.status === 409 && p) {
      reloadColumn(p.from.dataset.status);
      reloadColumn(p.to);
    }
  });
})();
