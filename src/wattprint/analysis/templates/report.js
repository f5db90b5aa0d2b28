// wattprint report: sortable tables and leaderboard filters. Vanilla JS, no network.
(function () {
  "use strict";
  var dataEl = document.getElementById("wp-data");
  var data = dataEl ? JSON.parse(dataEl.textContent) : { facets: {}, rows: [] };
  window.wattprintData = data;

  function cellValue(row, i) {
    var c = row.cells[i];
    if (!c) return "";
    var v = c.getAttribute("data-v");
    return v === null ? c.textContent.trim() : v;
  }

  function compare(a, b, numeric) {
    if (numeric) {
      var x = parseFloat(a), y = parseFloat(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortBy(table, i, th) {
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
    var numeric = th.getAttribute("data-type") === "num";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = dir === "ascending" ? 1 : -1;
    rows.sort(function (ra, rb) {
      var a = cellValue(ra, i), b = cellValue(rb, i);
      var ma = a === "", mb = b === "";
      if (ma || mb) return ma === mb ? 0 : ma ? 1 : -1;  // missing values always last
      return sign * compare(a, b, numeric);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, i, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(table, i, th); }
      });
    });
  });

  // Leaderboard filters: options come from the embedded JSON, set with textContent (never HTML).
  var board = document.getElementById("leaderboard");
  var filters = [
    { id: "f-task", attr: "data-task", facet: "task" },
    { id: "f-hw", attr: "data-hw", facet: "hardware" },
    { id: "f-prov", attr: "data-prov", facet: "provenance" }
  ];
  filters.forEach(function (f) {
    var sel = document.getElementById(f.id);
    if (!sel) return;
    (data.facets[f.facet] || []).forEach(function (v) {
      var o = document.createElement("option");
      o.value = v; o.textContent = v; sel.appendChild(o);
    });
    sel.addEventListener("change", applyFilters);
  });
  var search = document.getElementById("f-text");
  if (search) search.addEventListener("input", applyFilters);

  function applyFilters() {
    if (!board) return;
    var want = filters.map(function (f) {
      var sel = document.getElementById(f.id);
      return { attr: f.attr, value: sel ? sel.value : "" };
    });
    var q = search ? search.value.trim().toLowerCase() : "";
    var shown = 0, total = 0;
    Array.prototype.forEach.call(board.tBodies[0].rows, function (r) {
      total += 1;
      var ok = want.every(function (w) { return !w.value || r.getAttribute(w.attr) === w.value; });
      if (ok && q) ok = (r.getAttribute("data-model") || "").toLowerCase().indexOf(q) !== -1;
      r.hidden = !ok;
      if (ok) shown += 1;
    });
    var count = document.getElementById("board-count");
    if (count) count.textContent = shown + " of " + total + " rows shown";
  }
  applyFilters();
})();
