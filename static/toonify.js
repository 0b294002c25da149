// The Toonify studio: streams the photo and slider values over /ws/preview, shows binary
// frames as they arrive, and follows a full-size render over /ws/jobs/{uuid}.
// Auth is the HttpOnly login cookie, sent with the websocket handshake; no token in JS.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const studio = $("studio");
  const maxBytes = Number(studio.dataset.maxBytes);
  const wsBase = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
  let socket = null, seq = 0, lastSent = 0, lastShown = 0, ready = false, queued = null, afterUrl = null;

  function say(text) {
    const m = $("message");
    m.textContent = text || "";
    m.hidden = !text;
  }

  // Binary frame: 4-byte big-endian header length, JSON header, image bytes (docs/protocol.md)
  function unpack(buffer) {
    const n = new DataView(buffer).getUint32(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
    return [header, new Blob([new Uint8Array(buffer, 4 + n)], { type: header.mime })];
  }

  function connect() {
    return new Promise((resolve, reject) => {
      socket = new WebSocket(wsBase + "/ws/preview");
      socket.binaryType = "arraybuffer";
      socket.onopen = () => resolve(socket);
      socket.onerror = () => reject(new Error("connection failed"));
      socket.onclose = (e) => {
        ready = false;
        if (e.code === 4401) say("Your session has expired. Please log in again.");
        else if (e.code !== 1000) say("The live preview was disconnected. Choose the photo again to reconnect.");
      };
      socket.onmessage = (e) => (typeof e.data === "string" ? onText(JSON.parse(e.data)) : onFrame(e.data));
    });
  }

  async function ensureSocket() {
    if (socket && socket.readyState === WebSocket.OPEN) return socket;
    return connect();
  }

  function onText(msg) {
    if (msg.type === "ready") {
      ready = true;
      say("");
      $("render").disabled = false;
      $("frame-info").textContent = `Photo ${msg.source.width} × ${msg.source.height}, preview ${msg.preview.width} × ${msg.preview.height}`;
      requestRender();
    } else if (msg.type === "error") {
      if (msg.code !== "busy") say(msg.message);
    } else if (msg.type === "job") {
      followJob(msg.uuid);
    }
  }

  function onFrame(buffer) {
    const [header, blob] = unpack(buffer);
    if (header.seq < lastShown) return;
    lastShown = header.seq;
    if (afterUrl) URL.revokeObjectURL(afterUrl);
    afterUrl = URL.createObjectURL(blob);
    $("after").src = afterUrl;
    $("after2").src = afterUrl;
    $("after").dataset.seq = header.seq;
    $("frame-info").textContent = `${header.style.replace("_", " ")} · ${header.width} × ${header.height} · rendered in ${header.render_ms} ms`;
  }

  function currentStyle() {
    return document.querySelector('input[name="style"]:checked').value;
  }

  function currentParams() {
    const params = {};
    for (const el of $("controls").querySelectorAll("[name]")) {
      const t = el.dataset.type;
      params[el.name] = t === "bool" ? el.checked : t === "choice" ? el.value : Number(el.value);
    }
    return params;
  }

  // Sends at most one request per animation frame; the server renders only the newest anyway.
  function requestRender() {
    if (!ready || queued) return;
    queued = requestAnimationFrame(() => {
      queued = null;
      seq += 1;
      lastSent = seq;
      socket.send(JSON.stringify({ type: "render", seq, style: currentStyle(), params: currentParams() }));
    });
  }

  async function sendPhoto(file) {
    say("");
    if (!file) return;
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return say("Choose a JPEG, PNG or WebP photo.");
    if (file.size > maxBytes) return say(`This photo is ${(file.size / 1048576).toFixed(1)} MB; the limit is ${studio.dataset.maxMb} MB.`);
    const url = URL.createObjectURL(file);
    $("before").src = url;
    $("before2").src = url;
    $("drop").hidden = true;
    $("viewer").hidden = false;
    try {
      const ws = await ensureSocket();
      ws.send(JSON.stringify({ type: "source", filename: file.name }));
      ws.send(await file.arrayBuffer());
    } catch (e) {
      say("Could not reach the server for the live preview.");
    }
  }

  // --- photo input: picker, drag and drop, keyboard on the drop zone
  $("file").addEventListener("change", (e) => sendPhoto(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); } });
  for (const t of ["dragenter", "dragover"]) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const t of ["dragleave", "drop"]) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); });
  drop.addEventListener("drop", (e) => sendPhoto(e.dataTransfer.files[0]));
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => { e.preventDefault(); if (e.dataTransfer.files[0]) sendPhoto(e.dataTransfer.files[0]); });

  // --- sliders (the controls panel is swapped by htmx when the style changes)
  document.addEventListener("input", (e) => {
    if (!e.target.closest("#controls")) return;
    const out = document.getElementById("o-" + e.target.name);
    if (out) out.textContent = e.target.value;
    requestRender();
  });
  document.addEventListener("change", (e) => { if (e.target.closest("#controls") && e.target.type !== "range") requestRender(); });
  // a new style's sliders have settled in: render with them (once per swap)
  document.body.addEventListener("htmx:afterSettle", () => requestRender());

  $("reset").addEventListener("click", () => {
    for (const el of $("controls").querySelectorAll("[name]")) {
      if (el.dataset.type === "bool") el.checked = el.dataset.default === "true";
      else el.value = el.dataset.default;
      const out = document.getElementById("o-" + el.name);
      if (out) out.textContent = el.value;
    }
    requestRender();
  });

  // --- before/after split and side-by-side view
  const split = $("split");
  const setSplit = () => $("after-wrap").style.clipPath = `inset(0 0 0 ${split.value}%)`;
  split.addEventListener("input", setSplit);
  setSplit();
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll(".tab")) t.setAttribute("aria-pressed", String(t === tab));
      $("compare").hidden = tab.dataset.view !== "compare";
      $("side").hidden = tab.dataset.view !== "side";
    });
  }

  // --- full-size render and its progress
  $("render").addEventListener("click", () => {
    if (!ready || !lastSent) return;
    $("render").disabled = true;
    socket.send(JSON.stringify({ type: "commit", seq: lastSent }));
  });

  function setProgress(p) {
    const pct = Math.round(p * 100);
    $("bar").style.width = pct + "%";
    document.querySelector(".progress").setAttribute("aria-valuenow", String(pct));
  }

  function followJob(uuid) {
    $("job").hidden = false;
    $("job-done").hidden = true;
    $("job-frame").hidden = true;
    setProgress(0);
    $("job-status").textContent = "Queued…";
    const ws = new WebSocket(wsBase + "/ws/jobs/" + uuid);
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") {
        const [header, blob] = unpack(e.data);
        $("job-frame").src = URL.createObjectURL(blob);
        $("job-frame").hidden = false;
        return;
      }
      const msg = JSON.parse(e.data);
      if (msg.type === "error") { $("job-status").textContent = msg.message; return; }
      setProgress(msg.progress || 0);
      if (msg.status === "DONE") {
        setProgress(1);
        $("job-status").textContent = "Done.";
        $("download").href = msg.links.processed;
        $("job-link").href = "/gallery/" + uuid;
        if (studio.dataset.payments === "on") {
          // free downloads are the standard-definition copy; full size is unlocked on the job page
          $("download").textContent = "Download (up to 1024 px)";
          $("unlock-link").href = "/gallery/" + uuid + "#pay";
          $("unlock-link").hidden = false;
        }
        $("job-done").hidden = false;
        $("render").disabled = false;
      } else if (msg.status === "FAILED") {
        $("job-status").textContent = msg.error || "The render failed.";
        $("render").disabled = false;
      } else {
        $("job-status").textContent = msg.status === "QUEUED" ? "Queued…" : `Rendering… ${Math.round(msg.progress * 100)} %`;
      }
    };
  }

  // --- re-open a job from the gallery
  if (studio.dataset.reopen) {
    $("drop").hidden = true;
    $("viewer").hidden = false;
    $("before").src = $("before2").src = `/images/${studio.dataset.reopen}/original`;
    ensureSocket().then((ws) => ws.send(JSON.stringify({ type: "open", job: studio.dataset.reopen })))
      .catch(() => say("Could not reach the server for the live preview."));
  }
})();
