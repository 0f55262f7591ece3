/* studienav statistics: draws each figure's chart from the JSON the page carries, and the
   chart/table toggle. Without JavaScript the tables show the same numbers. */
(function () {
  "use strict";

  var PALETTE = ["#0b4f6c", "#c8553d", "#2a9d8f", "#8a4b00", "#6a4c93", "#1d6b3a",
                 "#b00020", "#4a4f55", "#e9a03b", "#3a86ff", "#8d99ae", "#5f0f40"];

  function readCharts() {
    var node = document.getElementById("stats-charts");
    if (!node) { return []; }
    try { return JSON.parse(node.textContent || "[]"); } catch (e) { return []; }
  }

  function datasetsFor(spec) {
    var stacked = spec.type === "stacked";
    var line = spec.type === "line";
    var sets = spec.datasets.map(function (set, i) {
      var colour = PALETTE[i % PALETTE.length];
      return {
        type: line ? "line" : "bar",
        label: set.label,
        data: set.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: line ? 2 : 0,
        stack: stacked ? "regions" : undefined
      };
    });
    if (spec.total && !stacked) {
      return sets;
    }
    if (spec.total) {
      // The node's total counts each study once, so it is drawn as a line, not a stack.
      sets.push({ type: "line", label: spec.totalLabel, data: spec.total, borderColor: "#1b1b1b",
                  backgroundColor: "#1b1b1b", borderWidth: 2, pointRadius: 3 });
    }
    return sets;
  }

  function draw(spec) {
    var box = document.querySelector('[data-chart="' + spec.slug + '"]');
    if (!box || typeof window.Chart === "undefined") { return; }
    box.hidden = false;
    var canvas = box.querySelector("canvas");
    var stacked = spec.type === "stacked";
    new window.Chart(canvas, {
      type: spec.type === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasetsFor(spec) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" }, tooltip: { enabled: true } },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, title: { display: true, text: spec.measure } }
        }
      }
    });
    var table = document.querySelector('[data-table="' + spec.slug + '"]');
    var toggle = document.querySelector('[data-toggle="' + spec.slug + '"]');
    if (!table || !toggle) { return; }
    table.hidden = true;
    toggle.hidden = false;
    toggle.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-view]");
      if (!button) { return; }
      var showTable = button.getAttribute("data-view") === "table";
      table.hidden = !showTable;
      box.hidden = showTable;
      toggle.querySelectorAll("button[data-view]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
    });
  }

  function start() {
    readCharts().forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
