/* Draws the weekly report's trend charts with Chart.js from the JSON the page embeds.
   Every chart also has a text summary and a data table in the page, so nothing depends on it. */
(function () {
  "use strict";
  var source = document.getElementById("report-charts-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var specs = JSON.parse(source.textContent);

  function format(unit, value) {
    if (value === null || value === undefined) {
      return "—";
    }
    if (unit === "%") {
      return value.toFixed(1) + "%";
    }
    if (unit === "h") {
      return value.toFixed(1) + " h";
    }
    return value.toLocaleString();
  }

  specs.forEach(function (spec) {
    var canvas = document.getElementById("chart-" + spec.key);
    if (!canvas) {
      return;
    }
    var chart = new window.Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s) {
          return {
            label: s.label,
            data: s.data,
            backgroundColor: s.color,
            borderColor: s.color,
            borderWidth: 2,
            spanGaps: true,
            tension: 0
          };
        })
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: spec.stacked },
          y: {
            stacked: spec.stacked,
            beginAtZero: true,
            max: spec.unit === "%" ? 100 : undefined,
            ticks: {
              precision: spec.unit === "" ? 0 : undefined,
              callback: function (v) { return format(spec.unit, v); }
            }
          }
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (ctx) { return ctx.dataset.label + ": " + format(spec.unit, ctx.parsed.y); }
            }
          }
        }
      }
    });
    canvas.dataset.chartReady = "true";
    canvas.chart = chart;
  });

  // Printing shows each chart's data table, which a closed <details> would hide.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.print-open").forEach(function (d) { d.open = true; });
  });
})();
