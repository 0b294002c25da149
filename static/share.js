// Share links on the job page: create (POST /images/{uuid}/share), show and copy the URL, list
// the picture's links (GET /images/{uuid}/shares) and revoke them (DELETE /shares/{uuid}).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const box = $("share");
  if (!box) return;
  const job = box.dataset.job;
  const tell = (text) => { $("share-message").textContent = text || ""; };

  async function api(method, url) {
    const r = await fetch(url, { method, credentials: "same-origin" });
    if (!r.ok) {
      let detail = "";
      try { detail = (await r.json()).message || ""; } catch (e) { /* not JSON */ }
      throw new Error(detail || `The server answered ${r.status}.`);
    }
    return r.status === 204 ? null : r.json();
  }

  function render(shares) {
    const list = $("share-list");
    list.replaceChildren();
    if (!shares.length) {
      const li = document.createElement("li");
      li.className = "muted small";
      li.textContent = "No links yet.";
      list.append(li);
      return;
    }
    for (const s of shares) {
      const li = document.createElement("li");
      li.dataset.uuid = s.uuid;
      const a = document.createElement("a");
      a.href = s.url;
      a.textContent = s.url;
      a.className = "share-link";
      const views = document.createElement("span");
      views.className = "muted small";
      views.textContent = `${s.views} ${s.views === 1 ? "view" : "views"}${s.expires_at ? ` · until ${new Date(s.expires_at).toLocaleDateString()}` : ""}`;
      const revoke = document.createElement("button");
      revoke.type = "button";
      revoke.className = "secondary";
      revoke.textContent = "Revoke";
      revoke.setAttribute("aria-label", `Revoke the link ${s.url}`);
      revoke.addEventListener("click", async () => {
        try {
          await api("DELETE", `/shares/${s.uuid}`);
          if ($("share-url").value === s.url) { $("share-url").hidden = true; $("share-copy").hidden = true; }
          tell("Link revoked: its page is gone.");
          await load();
        } catch (e) { tell(e.message); }
      });
      li.append(a, views, revoke);
      list.append(li);
    }
  }

  async function load() {
    try { render(await api("GET", `/images/${job}/shares`)); } catch (e) { tell(e.message); }
  }

  $("share-create").addEventListener("click", async () => {
    try {
      const s = await api("POST", `/images/${job}/share`);
      $("share-url").value = s.url;
      $("share-url").hidden = false;
      $("share-copy").hidden = false;
      $("share-url").select();
      tell("Link created. Anyone with it can see this picture.");
      await load();
    } catch (e) { tell(e.message); }
  });

  $("share-copy").addEventListener("click", async () => {
    const url = $("share-url").value;
    try {
      await navigator.clipboard.writeText(url);
    } catch (e) {
      $("share-url").select(); // a browser without clipboard access: copy by hand
      if (!document.execCommand || !document.execCommand("copy")) return tell("Select the link and copy it.");
    }
    tell("Link copied.");
  });

  load();
})();
