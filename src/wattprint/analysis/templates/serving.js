// wattprint report, serving section: the latency-objective picker. Vanilla JS, no network.
// Picks the lowest J/output token among the points whose p95 TTFT meets the objective (valid
// points only, unless "include flagged points" is ticked) and, when none qualifies, says why.
(function () {
  "use strict";
  var dataEl = document.getElementById("serving-data");
  if (!dataEl) return;
  var pts = JSON.parse(dataEl.textContent);
  var inp = document.getElementById("serving-slo");
  var box = document.getElementById("serving-include-flagged");
  var out = document.getElementById("serving-pick");

  function num(x) { return Number(x).toPrecision(3).replace(/\.?0+$/, "").replace(/\.?0+e/, "e"); }
  function where(p) { return p.run + " at " + p.arrivals; }
  function flagCounts(list) {
    var counts = {};
    list.forEach(function (p) { p.flags.forEach(function (f) { counts[f] = (counts[f] || 0) + 1; }); });
    return Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); })
      .map(function (f) { return f + " \u00d7" + counts[f]; }).join(", ");
  }
  function mark(best) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-point].picked"), function (e) {
      e.classList.remove("picked");
    });
    if (!best) return;
    Array.prototype.forEach.call(document.querySelectorAll('[data-point="' + best.index + '"]'), function (e) {
      e.classList.add("picked");
    });
  }
  function say(text, state) { out.textContent = text; out.setAttribute("data-state", state); }

  function pick() {
    var slo = parseFloat(inp.value), withFlagged = box.checked;
    mark(null);
    if (!(slo >= 0) || !isFinite(slo)) {
      return say("type the objective as a number of seconds (0 or more)", "bad-input");
    }
    var measured = pts.filter(function (p) { return p.p95_ttft_s !== null && p.j_per_output_token !== null; });
    if (!measured.length) {
      return say("no point has both a p95 TTFT and a J/output token (no ok request finished)", "none-measured");
    }
    var valid = measured.filter(function (p) { return p.valid; });
    var pool = withFlagged ? measured : valid;
    if (!pool.length) {
      return say("every point is flagged (" + measured.length + " of " + measured.length + "): " +
                 flagCounts(measured) + ". Tick \u201cinclude flagged points\u201d to pick among them anyway.",
                 "all-flagged");
    }
    var meet = pool.filter(function (p) { return p.p95_ttft_s <= slo; });
    if (!meet.length) {
      var low = pool.reduce(function (a, b) { return b.p95_ttft_s < a.p95_ttft_s ? b : a; });
      var kind = withFlagged ? "no point" : "no valid point";
      var text = kind + " has p95 TTFT \u2264 " + num(slo) + " s; the lowest is " + num(low.p95_ttft_s) +
                 " s (" + where(low) + ")";
      if (!withFlagged) {
        var flaggedMeet = measured.filter(function (p) { return !p.valid && p.p95_ttft_s <= slo; });
        if (flaggedMeet.length) {
          text += "; " + flaggedMeet.length + " flagged point(s) meet it (" + flagCounts(flaggedMeet) +
                  "): tick \u201cinclude flagged points\u201d to see them";
        }
      }
      return say(text + ".", "none-meets");
    }
    var best = meet.reduce(function (a, b) { return b.j_per_output_token < a.j_per_output_token ? b : a; });
    mark(best);
    say("lowest energy meeting it: " + where(best) + ": " + num(best.j_per_output_token) +
        " J/output token, p95 TTFT " + num(best.p95_ttft_s) + " s" +
        (best.valid ? "" : " \u2014 flagged: " + best.flags.join(", ")), best.valid ? "picked" : "picked-flagged");
  }
  inp.addEventListener("input", pick);
  box.addEventListener("change", pick);
  pick();
})();
