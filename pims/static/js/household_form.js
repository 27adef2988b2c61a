// Member table: add a row (copying the last row's shape) and remove a row.
// Row numbers are never reused, because other rows refer to them (配偶/母亲行号),
// and those boxes offer the rows of the fitting sex.
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
  // 配偶/母亲/父亲行号: offer the rows that fit — the other sex for a spouse,
  // women for a mother, men for a father — as the box gets focus (a datalist
  // rebuilt from the table, so typed and added rows count too).
  const MALE = ["1", "男", "男性"], FEMALE = ["2", "女", "女性"];
  function sexOf(tr) {
    const input = tr.querySelector('input[data-field="sex"]');
    const v = input ? input.value.trim() : "";
    return MALE.includes(v) ? "1" : FEMALE.includes(v) ? "2" : "";
  }
  function wanted(field, own) {
    if (field === "mother_row") return "2";
    if (field === "father_row") return "1";
    return own === "1" ? "2" : own === "2" ? "1" : "";
  }
  const choices = document.createElement("datalist");
  choices.id = "member-row-choices";
  table.after(choices);
  body.addEventListener("focusin", function (e) {
    const input = e.target;
    const field = input.dataset ? input.dataset.field : "";
    if (!["spouse_row", "mother_row", "father_row"].includes(field)) return;
    const own = input.closest("tr");
    const sex = wanted(field, sexOf(own));
    choices.textContent = "";
    for (const tr of body.rows) {
      if (tr === own || (sex && sexOf(tr) !== sex)) continue;
      const name = tr.querySelector('input[data-field="name"]');
      const option = document.createElement("option");
      option.value = tr.dataset.row;
      option.textContent = tr.dataset.row + " " + (name ? name.value : "");
      choices.appendChild(option);
    }
    input.setAttribute("list", choices.id);
  });
  body.addEventListener("click", function (e) {
    if (!e.target.classList.contains("remove-row")) return;
    if (body.rows.length <= 1) return;
    e.target.closest("tr").remove();
  });
})();
