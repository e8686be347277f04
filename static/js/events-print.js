// The printable agenda (events:agenda?print=1): shows its "Print" button and opens the
// browser's print dialog with it. Without JavaScript the button stays hidden and the
// page prints with the browser's own command. Loaded as a file: the CSP forbids inline scripts.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});
