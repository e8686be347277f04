/* The review queue from the keyboard: j/k move between pairs, x selects, a approves the
   selection (or the current pair), r selects the current pair and focuses the reason for
   rejecting (Enter then rejects), Enter or o opens the pair. Loaded as a file: the
   Content-Security-Policy allows no inline script and no on*= handlers. */
(function () {
  "use strict";

  function init() {
    var form = document.querySelector("[data-review-queue]");
    if (!form) { return; }
    var rows = Array.prototype.slice.call(form.querySelectorAll("[data-row]"));
    var approve = form.querySelector("[data-bulk='approve']");
    var reason = form.querySelector("[data-bulk-reason]");
    var selectAll = form.querySelector("[data-select-all]");
    var current = -1;

    function box(row) { return row.querySelector("input[type='checkbox'][name='ids']"); }
    function boxes() { return rows.map(box); }
    function anyChecked() { return boxes().some(function (b) { return b.checked; }); }

    function setCurrent(index, focus) {
      if (!rows.length) { return; }
      index = Math.max(0, Math.min(rows.length - 1, index));
      if (current >= 0 && rows[current]) { rows[current].classList.remove("is-current"); }
      current = index;
      rows[current].classList.add("is-current");
      if (focus) {
        rows[current].focus();
        rows[current].scrollIntoView({block: "nearest"});
      }
    }

    function selectCurrentIfNone() {
      if (!anyChecked() && current >= 0) { box(rows[current]).checked = true; }
    }

    function open() {
      if (current < 0) { return; }
      var link = rows[current].querySelector("[data-open]");
      if (link) { window.location.assign(link.href); }
    }

    rows.forEach(function (row, index) {
      row.addEventListener("focusin", function () { setCurrent(index, false); });
      row.addEventListener("click", function (event) {
        if (event.target === row || event.target.tagName === "TD") { setCurrent(index, true); }
      });
    });

    if (selectAll) {
      selectAll.addEventListener("change", function () {
        boxes().forEach(function (b) { b.checked = selectAll.checked; });
      });
    }

    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) { return; }
      var target = event.target;
      var tag = target && target.tagName;
      var inRowControl = tag === "INPUT" && target.type === "checkbox" && target.closest("[data-row]");
      if (target && (target.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" || tag === "BUTTON" ||
          (tag === "INPUT" && !inRowControl))) {
        if (event.key === "Escape" && target === reason) { reason.blur(); if (current >= 0) { rows[current].focus(); } }
        return;
      }
      if (tag === "A" && event.key === "Enter") { return; }  // the link opens itself
      switch (event.key) {
        case "j": setCurrent(current + 1, true); break;
        case "k": setCurrent(current < 0 ? 0 : current - 1, true); break;
        case "x":
          if (current >= 0) { var b = box(rows[current]); b.checked = !b.checked; }
          break;
        case "a":
          selectCurrentIfNone();
          if (anyChecked() && approve) { approve.click(); }
          break;
        case "r":
          selectCurrentIfNone();
          if (reason) { reason.focus(); }
          break;
        case "Enter":
        case "o":
          open();
          break;
        default:
          return;
      }
      event.preventDefault();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
