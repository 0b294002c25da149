// Batch pages: submit a new batch; follow each photo of a batch over /ws/jobs/{uuid}.
(() => {
  "use strict";
  const form = document.getElementById("batch-form");
  if (form) {
    const style = document.getElementById("batch-style");
    const preset = document.getElementById("batch-preset");
    const error = document.getElementById("batch-error");
    async function loadPresets() {
      const r = await fetch(`/presets?style=${encodeURIComponent(style.value)}`, { credentials: "same-origin" });
      if (!r.ok) return;
      preset.replaceChildren();
      for (const p of await r.json()) {
        const o = document.createElement("option");
        o.value = p.uuid;
        o.textContent = p.builtin ? p.name : `${p.name} (yours)`;
        preset.append(o);
      }
    }
    style.addEventListener("change", loadPresets);
    loadPresets();
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      const button = document.getElementById("batch-submit");
      button.disabled = true;
      button.textContent = "Uploading…";
      try {
        const r = await fetch("/batches", { method: "POST", body: new FormData(form), credentials: "same-origin" });
        const body = await r.json().catch(() => ({}));
        if (r.status === 202) { location.href = body.links.page; return; }
        error.textContent = body.message || `The batch was refused (error ${r.status}).`;
      } catch (_) {
        error.textContent = "The server could not be reached. Check your connection.";
      }
      error.hidden = false;
      button.disabled = false;
      button.textContent = "Start the batch";
    });
    return;
  }
  const data = document.getElementById("batch-data");
  if (!data) return;
  const batch = JSON.parse(data.textContent);
  const cards = new Map([...document.querySelectorAll("[data-job]")].map((el) => [el.dataset.job, el]));
  const TERMINAL = new Set(["DONE", "FAILED"]);

  function summary() {
    const states = [...cards.values()].map((c) => c.dataset.status);
    const done = states.filter((s) => s === "DONE").length;
    const failed = states.filter((s) => s === "FAILED").length;
    const pending = states.length - done - failed;
    let status = pending ? (done + failed || states.includes("PROCESSING") ? "PROCESSING" : "QUEUED")
      : failed === 0 ? "DONE" : done === 0 ? "FAILED" : "PARTIAL";
    const el = document.getElementById("batch-status");
    el.textContent = status.toLowerCase();
    el.className = `status s-${status.toLowerCase()}`;
    document.getElementById("batch-done").textContent = done;
    document.getElementById("batch-failed").textContent = failed;
    document.getElementById("batch-failed-wrap").hidden = failed === 0;
    document.getElementById("batch-zip").hidden = done === 0;
    const bars = [...cards.values()].map((c) => (TERMINAL.has(c.dataset.status) ? 1 : Number(c.dataset.progress || 0)));
    document.getElementById("batch-bar").style.width = `${(100 * bars.reduce((a, b) => a + b, 0)) / (bars.length || 1)}%`;
  }

  function show(card, msg) {
    card.dataset.status = msg.status;
    card.dataset.progress = msg.progress ?? 0;
    const status = card.querySelector("[data-role=status]");
    status.textContent = msg.status.toLowerCase();
    status.className = `status s-${msg.status.toLowerCase()}`;
    card.querySelector("[data-role=track]").hidden = msg.status === "FAILED";
    card.querySelector("[data-role=bar]").style.width = `${msg.status === "DONE" ? 100 : 100 * (msg.progress || 0)}%`;
    const error = card.querySelector("[data-role=error]");
    error.textContent = msg.error || "";
    error.hidden = !msg.error;
    card.querySelector("[data-role=retry]").hidden = msg.status !== "FAILED";
    if (msg.status === "DONE") {
      const img = card.querySelector("img");
      img.hidden = false;
      img.src = `/images/${card.dataset.job}/thumbnail?kind=result`;
    }
    summary();
  }

  function follow(uuid) {
    const card = cards.get(uuid);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/jobs/${uuid}`);
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") return; // frames: the thumbnail is enough here
      const msg = JSON.parse(e.data);
      if (msg.type === "status") show(card, msg);
    };
    ws.onclose = (e) => {
      if (!TERMINAL.has(card.dataset.status) && e.code !== 4404 && e.code !== 4401) setTimeout(() => follow(uuid), 2000);
    };
  }

  for (const job of batch.jobs) {
    const card = cards.get(job.uuid);
    card.querySelector("[data-role=retry]").addEventListener("click", async () => {
      const r = await fetch(`/batches/${batch.uuid}/jobs/${job.uuid}/retry`, { method: "POST", credentials: "same-origin" });
      const body = await r.json().catch(() => ({}));
      if (r.status === 202) { show(card, { status: body.status, progress: 0 }); follow(job.uuid); }
      else show(card, { status: "FAILED", progress: 0, error: body.message || `Retry refused (error ${r.status}).` });
    });
    if (!TERMINAL.has(job.status)) follow(job.uuid);
  }
  summary();
})();
