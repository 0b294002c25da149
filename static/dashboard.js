// Draws the dashboard charts from the numbers the page embeds (Chart.js, vendored).
(() => {
  "use strict";
  const stats = JSON.parse(document.getElementById("stats").textContent);
  const ink = "#6d28d9";
  // one distinct color per style, however many styles there are: hues a golden angle apart
  const hue = (i) => (265 + i * 137.508) % 360;
  const color = (i) => `hsl(${hue(i).toFixed(1)} 65% ${i % 2 ? 58 : 46}%)`;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  new Chart(document.getElementById("per-day"), {
    type: "bar",
    data: { labels: stats.days.map((d) => d.slice(5)), datasets: [{ label: "Pictures", data: stats.per_day, backgroundColor: ink }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const names = Object.keys(stats.by_style);
  new Chart(document.getElementById("styles"), {
    type: "doughnut",
    data: {
      labels: names.map((n) => stats.style_labels[n]),
      datasets: [{ data: names.map((n) => stats.by_style[n]), backgroundColor: names.map((_, i) => color(i)) }],
    },
    options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: "right" } } },
  });
})();
