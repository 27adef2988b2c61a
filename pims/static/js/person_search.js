/* Search-as-you-type for the event form's person items: typing into the box
   above a person list asks the server (the box's data-person-search URL,
   already limited to plausible sex and age) and puts the answers into the
   list (data-for), choosing the first. No inline code (CSP). */
(function () {
  "use strict";
  var timers = {};

  /* A spouse list (data-opposite-of: the subject's list) offers only the
     other sex than the chosen subject; each option carries data-sex. */
  function chosenSex(select) {
    var subject = document.getElementById(select.getAttribute("data-opposite-of") || "");
    if (!subject || subject.selectedIndex < 0) { return ""; }
    return subject.options[subject.selectedIndex].getAttribute("data-sex") || "";
  }

  function filterSpouses(select) {
    var sex = chosenSex(select);
    Array.prototype.forEach.call(select.options, function (option) {
      var same = sex !== "" && option.getAttribute("data-sex") === sex;
      option.hidden = same;
      option.disabled = same;
      if (same && option.selected) { select.value = ""; }
    });
  }

  function fill(select, results) {
    var keep = select.options.length ? select.options[0].cloneNode(true) : null;
    select.textContent = "";
    if (keep) { select.appendChild(keep); }
    results.forEach(function (r) {
      var option = document.createElement("option");
      option.value = String(r.id);
      option.textContent = r.label;
      if (r.sex) { option.setAttribute("data-sex", r.sex); }
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
    var subject = document.getElementById(box.getAttribute("data-opposite-of") || "");
    if (subject && subject.value) { url += "&opposite_of=" + encodeURIComponent(subject.value); }
    window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : { results: [] }; })
      .then(function (data) { fill(select, data.results || []); })
      .catch(function () { /* offline: the list stays as it was */ });
  }

  document.addEventListener("change", function (event) {
    var subject = event.target;
    if (!(subject instanceof HTMLSelectElement) || !subject.id) { return; }
    document.querySelectorAll('select[data-opposite-of="' + subject.id + '"]').forEach(filterSpouses);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-opposite-of]").forEach(filterSpouses);
  });

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-person-search")) { return; }
    var id = box.id;
    if (timers[id]) { window.clearTimeout(timers[id]); }
    timers[id] = window.setTimeout(function () { search(box); }, 250);
  });
})();
