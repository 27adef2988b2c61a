// Member table: add a row (copying the last row's shape) and remove a row.
// Row numbers are never reused, because other rows refer to them (配偶/母亲行号).
(function () {
  const table = document.getElementById("members");
  if (!table) return;
  const body = table.tBodies[0];
  function nextRow() {
    let max = 0;
    for (const tr of body.rows) max = Math.max(max, parseInt(tr.dataset.row, 10) || 0);
    return max + 1;
  }
  document.getElementById("add-row").addEventListener("click", function () {
    const last = body.rows[body.rows.length - 1];
    const n = nextRow();
    const tr = last.cloneNode(true);
    tr.dataset.row = n;
    tr.cells[0].textContent = n;
    tr.classList.remove("has-error");
    for (const input of tr.querySelectorAll("input")) {
      input.name = "m-" + n + "-" + input.dataset.field;
      // "第 3 行 联系电话": the row number is the label's only digits.
      const label = input.getAttribute("aria-label");
      if (label) input.setAttribute("aria-label", label.replace(/\d+/, String(n)));
      input.value = "";
    }
    for (const err of tr.querySelectorAll(".err")) err.remove();
    for (const td of tr.querySelectorAll("td.has-error")) td.classList.remove("has-error");
    body.appendChild(tr);
    tr.querySelector("input").focus();
  });
  body.addEventListener("click", function (e) {
    if (!e.target.classList.contains("remove-row")) return;
    if (body.rows.length <= 1) return;
    e.target.closest("tr").remove();
  });
})();
