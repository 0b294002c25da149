// Studio presets: the current style's built-in and own presets (GET /presets?style=), applied
// in one click; "Save as preset", rename and delete own presets (/presets, docs/api.md).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const list = $("preset-list");
  if (!list) return;
  let loadedFor = null, presets = [];

  const { currentStyle: style, currentParams } = window.ToonifyStudio;
  const tell = (text) => { $("preset-message").textContent = text || ""; };

  async function api(method, url, body) {
    const r = await fetch(url, {
      method, credentials: "same-origin",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!r.ok) {
      let detail = "";
      try { detail = (await r.json()).message || ""; } catch (e) { /* not JSON */ }
      throw new Error(detail || `The server answered ${r.status}.`);
    }
    return r.status === 204 ? null : r.json();
  }

  // which preset the sliders match now (shown pressed)
  function markMatching() {
    const now = JSON.stringify(currentParams());
    for (const b of list.querySelectorAll(".preset-apply")) {
      const p = presets.find((x) => x.uuid === b.dataset.uuid);
      const same = p && JSON.stringify({ ...currentParams(), ...p.params }) === now;
      b.setAttribute("aria-pressed", String(!!same));
    }
  }

  function render() {
    list.replaceChildren();
    for (const p of presets) {
      const li = document.createElement("li");
      li.className = p.builtin ? "builtin" : "own";
      li.dataset.uuid = p.uuid;
      const apply = document.createElement("button");
      apply.type = "button";
      apply.className = "preset-apply";
      apply.dataset.uuid = p.uuid;
      apply.textContent = p.name;
      apply.setAttribute("aria-label", `Apply preset ${p.name}`);
      apply.addEventListener("click", () => applyPreset(p));
      li.append(apply);
      if (!p.builtin) {
        for (const [label, fn] of [["Rename", () => startRename(li, p)], ["Delete", () => remove(p)]]) {
          const b = document.createElement("button");
          b.type = "button";
          b.className = "preset-tool";
          b.textContent = label;
          b.setAttribute("aria-label", `${label} preset ${p.name}`);
          b.addEventListener("click", fn);
          li.append(b);
        }
      }
      list.append(li);
    }
    markMatching();
  }

  async function load(force) {
    const s = style();
    if (!force && loadedFor === s) return;
    loadedFor = s;
    try {
      const got = await api("GET", `/presets?style=${encodeURIComponent(s)}`);
      if (loadedFor !== s) return;
      presets = got;
      render();
    } catch (e) { tell(`The presets could not be loaded: ${e.message}`); }
  }

  function applyPreset(p) {
    const controls = $("controls");
    if (controls.dataset.style !== p.style) return;
    for (const el of controls.querySelectorAll("[name]")) {
      if (!(el.name in p.params)) continue;
      const v = p.params[el.name];
      if (el.dataset.type === "bool") el.checked = !!v;
      else el.value = String(v);
      const out = document.getElementById("o-" + el.name);
      if (out) out.textContent = el.value;
    }
    // one event: the studio renders the new settings (and keeps them in the URL)
    const first = controls.querySelector("[name]");
    if (first) first.dispatchEvent(new Event("input", { bubbles: true }));
    markMatching();
    tell(`Applied “${p.name}”.`);
  }

  function startRename(li, p) {
    const input = document.createElement("input");
    input.value = p.name;
    input.maxLength = 60;
    input.setAttribute("aria-label", `New name for preset ${p.name}`);
    const save = document.createElement("button");
    save.type = "button";
    save.className = "preset-tool";
    save.textContent = "Save name";
    const done = async () => {
      const name = input.value.trim();
      if (!name || name === p.name) return render();
      try {
        await api("PUT", `/presets/${p.uuid}`, { name });
        tell(`Renamed to “${name}”.`);
        await load(true);
      } catch (e) { tell(e.message); }
    };
    save.addEventListener("click", done);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); done(); }
      if (e.key === "Escape") render();
    });
    li.replaceChildren(input, save);
    input.focus();
    input.select();
  }

  async function remove(p) {
    try {
      await api("DELETE", `/presets/${p.uuid}`);
      tell(`Deleted “${p.name}”.`);
      await load(true);
    } catch (e) { tell(e.message); }
  }

  $("preset-save").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("preset-name").value.trim();
    if (!name) return;
    if ($("controls").dataset.style !== style()) return tell("Wait for the style's settings to load.");
    try {
      await api("POST", "/presets", { name, style: style(), params: currentParams() });
      $("preset-name").value = "";
      tell(`Saved “${name}”.`);
      await load(true);
    } catch (err) { tell(err.message); }
  });

  document.addEventListener("input", (e) => { if (e.target.closest("#controls")) markMatching(); });
  document.body.addEventListener("htmx:afterSettle", (e) => {
    if (e.detail.target && e.detail.target.id === "controls") load(false);
  });
  load(false);
})();
