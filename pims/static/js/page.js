/* Behaviour every page may use, instead of inline handlers (the
   Content-Security-Policy runs no inline script):
   <select data-navigate> goes to the URL of the chosen option. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-navigate") && select.value) {
      window.location.href = select.value;
    }
  });
})();
