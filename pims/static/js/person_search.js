/* Search-as-you-type for the event form's person items: typing into the box
   above a person list asks the server (the box's data-person-search URL,
   already limited to plausible sex and age) and puts the answers into the
   list (data-for), choosing the first. No inline code (CSP). */
(function () {
  "use strict";
  var timers = {};

  function fill(select, results) {
    var keep = select.options.length ? select.options[0].cloneNode(true) : null;
    select.textContent = "";
    if (keep) { select.appendChild(keep); }
    results.forEach(function (r) {
      var option = document.createElement("option");
      option.value = String(r.id);
      option.textContent = r.label;
      select.appendChild(option);
    });
    if (results.length) { select.value = String(results[0].id); }
  }

  function search(box) {
    var select = document.getElementById(box.getAttribute("data-for"));
    var text = box.value.trim();
    if (!select || !text) { return; }
    var url = box.getAttribute("data-person-search");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(text);
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : { results: [] }; })
      .then(function (data) { fill(select, data.results || []); })
      .catch(function () { /* offline: the list stays as it was */ });
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-person-search")) { return; }
    var id = box.id;
    if (timers[id]) { window.clearTimeout(timers[id]); }
    timers[id] = window.setTimeout(function () { search(box); }, 250);
  });
})();
