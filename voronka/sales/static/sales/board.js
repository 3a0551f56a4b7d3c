// The pipeline board: drag a card to another column, the server moves the deal.
// Won asks for the final amount and lost for the reason before anything is sent;
// a refused move (changed meanwhile, not allowed, invalid) puts the card back.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || typeof Sortable === "undefined") return;

  var pending = {};  // deal id -> where its card came from, to put it back

  function revert(card, from, index) {
    from.insertBefore(card, from.children[index] || null);
  }

  function forget(dealId) {
    delete pending[dealId];
  }

  function post(card, stageId, extra) {
    var values = { stage: stageId, version: card.dataset.version, owner: board.dataset.owner || "" };
    Object.keys(extra || {}).forEach(function (k) { values[k] = extra[k]; });
    card.classList.add("is-saving");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card, target: card, swap: "outerHTML", values: values
    });
  }

  function ask(modalId, card, onConfirm, prepare) {
    var el = document.getElementById(modalId);
    var form = el.querySelector("form");
    var modal = bootstrap.Modal.getOrCreateInstance(el);
    var confirmed = false;
    el.querySelector(".board-modal-deal").textContent = card.dataset.title;
    form.reset();
    if (prepare) prepare(form);
    function submit(evt) {
      evt.preventDefault();
      if (!form.reportValidity()) return;
      confirmed = true;
      onConfirm(form);
      modal.hide();
    }
    function hidden() {
      form.removeEventListener("submit", submit);
      el.removeEventListener("hidden.bs.modal", hidden);
      if (!confirmed) {
        var p = pending[card.dataset.dealId];
        if (p) { revert(card, p.from, p.index); forget(card.dataset.dealId); }
      }
    }
    form.addEventListener("submit", submit);
    el.addEventListener("hidden.bs.modal", hidden);
    modal.show();
  }

  function dropped(evt) {
    var card = evt.item;
    if (evt.from === evt.to) return;
    var to = evt.to;
    var stageId = to.dataset.stageId;
    pending[card.dataset.dealId] = { from: evt.from, index: evt.oldIndex };
    if (to.dataset.stageKind === "won") {
      ask("board-won-modal", card, function (form) {
        post(card, stageId, { amount: form.elements.amount.value });
      }, function (form) {
        form.elements.amount.value = card.dataset.amount;
      });
    } else if (to.dataset.stageKind === "lost") {
      ask("board-lost-modal", card, function (form) {
        post(card, stageId, {
          lost_reason: form.elements.lost_reason.value,
          lost_comment: form.elements.lost_comment.value
        });
      });
    } else {
      post(card, stageId, {});
    }
  }

  board.querySelectorAll(".board-cards").forEach(function (list) {
    new Sortable(list, {
      group: "board",
      draggable: ".board-card.movable",
      animation: 150,
      forceFallback: true,  // mouse-driven dragging: the same in every browser
      fallbackTolerance: 4,
      ghostClass: "board-card-ghost",
      chosenClass: "board-card-chosen",
      onEnd: dropped
    });
  });

  board.addEventListener("htmx:afterRequest", function (evt) {
    var card = evt.detail.elt;
    if (!card || !card.classList || !card.classList.contains("board-card")) return;
    var dealId = card.dataset.dealId;
    card.classList.remove("is-saving");
    if (evt.detail.successful) { forget(dealId); return; }
    var p = pending[dealId];
    if (p) revert(card, p.from, p.index);
    forget(dealId);
    var xhr = evt.detail.xhr;
    var text = xhr && xhr.status ? (xhr.responseText || board.dataset.refused) : board.dataset.refused;
    window.voronkaToast(text.trim(), "danger");
  });
})();
