// Draws the dashboard charts from the numbers the page embeds (Chart.js, vendored).
(() => {
  "use strict";
  const stats = JSON.parse(document.getElementById("stats").textContent);
  const ink = "#6d28d9", inks = ["#6d28d9", "#db2777", "#f59e0b", "#10b981", "#0ea5e9", "#ef4444"];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  new Chart(document.getElementById("per-day"), {
    type: "bar",
    data: { labels: stats.days.map((d) => d.slice(5)), datasets: [{ label: "Pictures", data: stats.per_day, backgroundColor: ink }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const names = Object.keys(stats.by_style);
  new Chart(document.getElementById("styles"), {
    type: "doughnut",
    data: { labels: names.map((n) => n.replace("_", " ")), datasets: [{ data: names.map((n) => stats.by_style[n]), backgroundColor: inks }] },
    options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: "right" } } },
  });
})();
