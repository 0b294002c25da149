// The Toonify studio: streams the photo and slider values over /ws/preview, shows binary
// frames in the picture, follows a full-size render over /ws/jobs/{uuid} (live.js), and keeps
// its state in the URL (photo, style, settings, render) so a reload brings it all back.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const live = window.ToonifyLive;
  const studio = $("studio");
  const maxBytes = Number(studio.dataset.maxBytes);
  const payments = studio.dataset.payments === "on";

  let socket = null, attempt = 0, ready = false;
  let seq = 0, lastSent = 0, lastShown = 0, lastArrived = 0, arrivedFinal = true, readySeq = 0, requestedHere = false;
  let source = null;   // what the preview session should hold: {kind: "draft"|"job"|"file", id, name, blob}
  let pending = null;  // a photo being tried: {file, url}; the current one stays until it is ready
  let shownKey = null, beforeUrl = null;
  const sentKeys = new Map();
  let job = null;      // {uuid, running, links}

  // ---------------------------------------------------------------- messages and state
  function say(text) {
    $("message").textContent = text || "";
    $("message").hidden = !text;
  }

  function status(text) { $("job-status").textContent = text; }

  function setRenderEnabled() {
    const can = ready && source !== null && !(job && job.running);
    // aria-disabled keeps the button focusable, so focus never falls to the page
    $("render").setAttribute("aria-disabled", String(!can));
    $("render").disabled = false;
    if (!can && source && !ready && !(job && job.running)) status("Connecting to the live preview…");
  }

  function currentStyle() { return document.querySelector('input[name="style"]:checked').value; }

  function currentParams() {
    const params = {};
    for (const el of $("controls").querySelectorAll("[name]")) {
      const t = el.dataset.type;
      params[el.name] = t === "bool" ? el.checked : t === "choice" ? el.value : Number(el.value);
    }
    return params;
  }
  // the studio's other scripts (presets.js) read the settings through these, not a copy of them
  window.ToonifyStudio = { currentStyle, currentParams };

  const currentKey = () => JSON.stringify([currentStyle(), currentParams()]);

  // The URL carries the state: photo, style, each setting, and the render being followed.
  function syncUrl() {
    const q = new URLSearchParams();
    if (source && source.id) q.set("photo", source.id);
    q.set("style", currentStyle());
    for (const [k, v] of Object.entries(currentParams())) q.set(k, String(v));
    // the render: while it runs, and afterwards while the settings are the ones it was made with
    if (job && job.uuid && (job.running || (job.done && job.key === currentKey()))) q.set("render", job.uuid);
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  // ---------------------------------------------------------------- the preview socket
  function connect() {
    const ws = new WebSocket(live.base + "/ws/preview");
    socket = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => sendSource();
    ws.onmessage = (e) => (typeof e.data === "string" ? onText(JSON.parse(e.data)) : onFrame(e.data));
    ws.onclose = (e) => {
      if (socket !== ws) return;
      ready = false;
      requestedHere = false;
      setRenderEnabled();
      if (e.code === 4401) return say("Your session has expired. Please log in again.");
      if (e.code === 4403) return say("The live preview refused this page. Reload it to continue.");
      studio.dataset.reconnects = String(Number(studio.dataset.reconnects || 0) + 1);
      // the server closes idle sockets and may restart: come back by itself and re-open the photo
      setTimeout(() => live.whenVisible(connect), live.backoff(attempt++));
    };
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(message);
  }

  async function sendSource() {
    if (pending) {
      send(JSON.stringify({ type: "source", filename: pending.file.name }));
      send(await pending.file.arrayBuffer());
    } else if (source && source.kind === "job") {
      send(JSON.stringify({ type: "open", job: source.id }));
    } else if (source && source.blob) {
      send(JSON.stringify({ type: "source", filename: source.name || "photo" }));
      send(await source.blob.arrayBuffer());
    }
  }

  function ensureSocket() {
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) {
      if (socket.readyState === WebSocket.OPEN) sendSource();
      return;
    }
    connect();
  }

  function onText(msg) {
    if (msg.type === "ready") {
      attempt = 0;
      ready = true;
      readySeq = seq;
      if (pending) adoptPending(msg);
      studio.dataset.sourceWidth = msg.source.width;
      studio.dataset.sourceHeight = msg.source.height;
      fit();
      const resultShown = job && job.done && job.key === currentKey();
      if (!resultShown && (shownKey !== currentKey() || !lastShown)) requestRender();
      setRenderEnabled();
      if (!(job && job.running) && !(job && shownKey === job.key)) status("Live preview on. Render makes the full-size picture.");
    } else if (msg.type === "error") {
      onError(msg);
    } else if (msg.type === "job") {
      followJob(msg.uuid, sentKeys.get(msg.seq) || currentKey(), job && job.photo);
    }
  }

  function onError(msg) {
    if (msg.code === "busy") return;
    if (msg.camera) return onCameraError(msg);
    if (pending && (msg.code === "invalid_image" || msg.code === "image_too_large")) {
      const name = pending.file.name;
      URL.revokeObjectURL(pending.url);
      pending = null;
      const keep = source ? " Your previous photo is still here." : "";
      if (msg.code === "image_too_large") return say(`“${name}” is too large to open: ${msg.message}${keep}`);
      return say(`“${name}” could not be opened: it is not a JPEG, PNG or WebP photo, or the file is damaged.${keep}`);
    }
    if (msg.code === "not_found" && source && source.kind === "job") {
      source = null;
      showEmpty();
      return say("That photo is no longer in your gallery. Choose another one.");
    }
    if (msg.code === "internal") { sendSource(); return; }
    if (job && job.running && msg.seq === job.seq) { job.running = false; setRenderEnabled(); }
    say(msg.message);
  }

  function adoptPending() {
    const { file, url } = pending;
    pending = null;
    if (beforeUrl) URL.revokeObjectURL(beforeUrl);
    beforeUrl = url;
    $("before").src = url;
    $("after-wrap").hidden = true; // until this photo's first frame
    photoGen += 1;
    source = { kind: "file", id: null, name: file.name, blob: file };
    job = null;
    showResultTools(false);
    showPicture();
    // keep the photo on the server so a reload brings it back (the URL names it)
    fetch(`/toonify/photo?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file, credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((body) => {
        if (body && source && source.kind === "file" && source.blob === file) {
          source = { kind: "draft", id: body.photo, name: file.name, blob: file };
          syncUrl();
        }
      })
      .catch(() => {});
  }

  function onFrame(buffer) {
    const [header, blob] = live.unpack(buffer);
    if (header.camera) return onCameraFrame(header, blob);
    if (header.seq <= readySeq || header.seq < lastArrived) return; // a frame of a previous photo
    if (header.seq === lastArrived && !header.final && arrivedFinal) return; // a coarse frame after its final one
    lastArrived = header.seq;
    arrivedFinal = header.final !== false;
    const key = sentKeys.get(header.seq);
    // the finished result is on screen for these settings: a preview must not replace it (checked
    // again once decoded: the result may have been drawn while this frame was decoding)
    const resultShown = () => job && job.done && key === job.key && (shownKey === job.key || job.drawing);
    if (resultShown()) return;
    show(blob, header, () => {
      lastShown = header.seq;
      shownKey = key || shownKey;
      $("badge").hidden = true;
      if (zoomed) setZoom(false);
    }, () => !resultShown());
  }

  // Puts a frame in the picture (a canvas): decoded off the main thread (createImageBitmap), then
  // drawn at once; an <img> would fetch its object URL and decode while the page paints. Frames
  // are drawn in the order they were asked for: one decoded after a newer one is dropped.
  let drawn = 0; // the draw counter of the picture on screen
  let draws = 0;
  let photoGen = 0; // a new photo: frames of the previous one still decoding are not drawn
  function show(blob, header, then, stillWanted, first) {
    const n = ++draws, gen = photoGen;
    const decoded = window.createImageBitmap ? createImageBitmap(blob) : Promise.reject(new Error("no createImageBitmap"));
    return decoded
      .catch(() => imageOf(blob))
      .then((bitmap) => {
        // a newer frame is on screen already, or this one is no longer wanted
        // (a finished result goes `first`: a preview of the same settings decoded meanwhile yields to it)
        if ((n < drawn && !first) || gen !== photoGen || (stillWanted && !stillWanted())) return bitmap.close && bitmap.close();
        drawn = Math.max(drawn, n);
        const after = $("after");
        const w = bitmap.width || bitmap.naturalWidth, h = bitmap.height || bitmap.naturalHeight;
        if (after.width !== w || after.height !== h) { after.width = w; after.height = h; }
        after.getContext("2d", { alpha: false }).drawImage(bitmap, 0, 0, w, h);
        if (bitmap.close) bitmap.close();
        after.frame = blob; // the frame's bytes (the tests compare them)
        after.dataset.seq = Math.max(Number(after.dataset.seq || 0), header.seq); // never backwards (a result drawn `first`)
        after.dataset.final = String(header.final !== false && !header.coarse);
        after.setAttribute("aria-label", header.style
          ? `Your photo in the ${header.style.replace(/_/g, " ")} style` : "The finished picture");
        $("after-wrap").hidden = false;
        then();
      })
      .catch(() => {}); // a frame that cannot be decoded is skipped; the next one replaces it
  }

  // the fallback for browsers without createImageBitmap: an <img> decoded before it is drawn
  function imageOf(blob) {
    const url = URL.createObjectURL(blob);
    const img = new Image();
    img.src = url;
    return img.decode().then(() => img).finally(() => URL.revokeObjectURL(url));
  }

  // Sends a request at once (the server renders only the newest waiting one, so a fast drag
  // never builds a backlog); changes made in one go (a preset, reset) send one request.
  let flushing = false;
  function requestRender() {
    syncUrl();
    if (!ready || flushing) return;
    flushing = true;
    queueMicrotask(() => {
      flushing = false;
      if (!ready) return;
      seq += 1;
      lastSent = seq;
      sentKeys.set(seq, currentKey());
      if (sentKeys.size > 64) sentKeys.delete(sentKeys.keys().next().value);
      requestedHere = true;
      const message = { type: "render", seq, style: currentStyle(), params: currentParams() };
      const side = shownSide();
      if (side) message.side = side;
      sentSide = side || Infinity;
      send(JSON.stringify(message));
    });
  }

  // The longest side the picture takes on this screen, in device pixels, in steps of 128: the
  // server renders no larger (a 1024 px frame shown 760 px tall costs twice the pixels to make,
  // send and decode). 0 while the picture is not laid out (the server's full preview size).
  let sentSide = Infinity;
  function shownSide() {
    const pic = $("pic");
    const px = Math.max(pic.clientWidth, pic.clientHeight) * (window.devicePixelRatio || 1);
    return px > 0 ? Math.ceil(px / 128) * 128 : 0;
  }

  // ---------------------------------------------------------------- choosing a photo
  function tryPhoto(file) {
    say("");
    if (!file) return;
    if (!/^image\/(jpeg|png|webp)$/.test(file.type)) {
      return say(`“${file.name}” is not a photo Toonify can open. Choose a JPEG, PNG or WebP photo.`);
    }
    if (file.size > maxBytes) {
      return say(`“${file.name}” is ${(file.size / 1048576).toFixed(1)} MB; the limit is ${studio.dataset.maxMb} MB.`);
    }
    if (pending) URL.revokeObjectURL(pending.url);
    pending = { file, url: URL.createObjectURL(file) };
    status("Opening the photo…");
    ensureSocket();
  }

  function showPicture() {
    $("empty").hidden = true;
    $("pic").hidden = false;
    fit();
  }

  function showEmpty() {
    $("empty").hidden = false;
    $("pic").hidden = true;
    setRenderEnabled();
    syncUrl();
  }

  const chooser = () => $("file").click();
  $("choose").addEventListener("click", chooser);
  $("change").addEventListener("click", chooser);
  $("file").addEventListener("change", (e) => { tryPhoto(e.target.files[0]); e.target.value = ""; });
  document.addEventListener("dragover", (e) => { e.preventDefault(); $("stage").classList.add("over"); });
  document.addEventListener("dragleave", (e) => { if (!e.relatedTarget) $("stage").classList.remove("over"); });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    $("stage").classList.remove("over");
    if (e.dataTransfer.files[0]) tryPhoto(e.dataTransfer.files[0]);
  });

  // ---------------------------------------------------------------- the picture: fit, divider, zoom
  const phone = matchMedia("(max-width: 899px)");
  function fit() {
    const pic = $("pic"), stage = $("stage");
    const w = Number(studio.dataset.sourceWidth) || $("before").naturalWidth;
    const h = Number(studio.dataset.sourceHeight) || $("before").naturalHeight;
    if (!w || !h) return;
    const cs = getComputedStyle(stage);
    const padX = parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
    const padY = parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom);
    const availW = stage.clientWidth - padX;
    if (phone.matches) {
      // on a phone the picture takes the width it needs, at most 55 % of the height; the tray gets the rest
      const want = Math.min((availW * h) / w + padY, studio.clientHeight * 0.55);
      studio.style.setProperty("--stage-h", `${Math.round(want)}px`);
    } else studio.style.removeProperty("--stage-h");
    const availH = stage.clientHeight - padY;
    const scale = Math.min(availW / w, availH / h);
    pic.style.width = `${Math.floor(w * scale)}px`;
    pic.style.height = `${Math.floor(h * scale)}px`;
  }
  new ResizeObserver(() => {
    fit();
    // a bigger picture than the frames were made for: ask again at the new size
    const resultShown = job && job.done && job.key === currentKey() && shownKey === job.key;
    if (ready && source && shownSide() > sentSide && !resultShown) requestRender();
  }).observe($("stage"));
  $("before").addEventListener("load", fit);

  const divider = $("divider");
  let split = 50;
  function setSplit(v) {
    split = Math.max(0, Math.min(100, v));
    $("after-wrap").style.clipPath = `inset(0 0 0 ${split}%)`;
    divider.style.left = `${split}%`;
    divider.setAttribute("aria-valuenow", String(Math.round(split)));
    divider.setAttribute("aria-valuetext", `${Math.round(split)} % original, ${100 - Math.round(split)} % styled`);
  }
  setSplit(50);
  const pic = $("pic");
  let dragging = false;
  const fromPointer = (e) => {
    const r = pic.getBoundingClientRect();
    setSplit(((e.clientX - r.left) / r.width) * 100);
  };
  pic.addEventListener("pointerdown", (e) => {
    dragging = true;
    pic.setPointerCapture(e.pointerId);
    fromPointer(e);
    divider.focus({ preventScroll: true });
  });
  pic.addEventListener("pointermove", (e) => { if (dragging) fromPointer(e); });
  pic.addEventListener("pointerup", () => (dragging = false));
  pic.addEventListener("pointercancel", () => (dragging = false));
  divider.addEventListener("keydown", (e) => {
    const step = e.shiftKey ? 10 : 2;
    const moves = { ArrowLeft: -step, ArrowDown: -step, ArrowRight: step, ArrowUp: step, PageDown: -10, PageUp: 10 };
    if (e.key in moves) setSplit(split + moves[e.key]);
    else if (e.key === "Home") setSplit(0);
    else if (e.key === "End") setSplit(100);
    else return;
    e.preventDefault();
  });

  let zoomed = false;
  const zoom = $("zoom");
  function setZoom(on) {
    zoomed = on && !!job && !!job.links;
    $("zoom-toggle").setAttribute("aria-pressed", String(zoomed));
    $("zoom-toggle").textContent = zoomed ? "Fit" : "100 %";
    $("zoom-toggle").setAttribute("aria-label", zoomed ? "Fit the picture to the screen" : "Zoom to 100 % (full size)");
    zoom.hidden = !zoomed;
    $("pic").hidden = zoomed;
    if (!zoomed) return;
    const img = $("zoom-img");
    const center = () => {
      zoom.scrollLeft = (img.naturalWidth - zoom.clientWidth) / 2;
      zoom.scrollTop = (img.naturalHeight - zoom.clientHeight) / 2;
    };
    if (img.dataset.job !== job.uuid) {
      img.dataset.job = job.uuid;
      img.addEventListener("load", center, { once: true });
      img.src = job.links.processed;
    } else center();
  }
  $("zoom-toggle").addEventListener("click", () => setZoom(!zoomed));
  let pan = null;
  zoom.addEventListener("pointerdown", (e) => {
    pan = { x: e.clientX, y: e.clientY, left: zoom.scrollLeft, top: zoom.scrollTop };
    zoom.setPointerCapture(e.pointerId);
  });
  zoom.addEventListener("pointermove", (e) => {
    if (!pan) return;
    zoom.scrollLeft = pan.left - (e.clientX - pan.x);
    zoom.scrollTop = pan.top - (e.clientY - pan.y);
  });
  zoom.addEventListener("pointerup", () => (pan = null));

  // ---------------------------------------------------------------- settings
  document.addEventListener("input", (e) => {
    if (!e.target.closest("#controls")) return;
    const out = document.getElementById("o-" + e.target.name);
    if (out) out.textContent = e.target.value;
    requestRender();
  });
  document.addEventListener("change", (e) => {
    if (e.target.closest("#controls") && e.target.type !== "range") requestRender();
  });
  // a new style's sliders have settled in: render with them
  document.body.addEventListener("htmx:afterSettle", (e) => {
    if (e.detail.target && e.detail.target.id === "controls") requestRender();
    else if ($("controls").dataset.style === currentStyle()) requestRender();
  });
  document.addEventListener("click", (e) => {
    if (e.target.id !== "reset") return;
    for (const el of $("controls").querySelectorAll("[name]")) {
      if (el.dataset.type === "bool") el.checked = el.dataset.default === "true";
      else el.value = el.dataset.default;
      const out = document.getElementById("o-" + el.name);
      if (out) out.textContent = el.value;
    }
    requestRender();
  });

  // ---------------------------------------------------------------- full-size render
  function setProgress(p) {
    const pct = Math.round(p * 100);
    $("bar").style.width = pct + "%";
    document.querySelector(".progress").setAttribute("aria-valuenow", String(pct));
  }

  function showResultTools(on) {
    $("zoom-toggle").hidden = !on;
    $("job-link").hidden = !on;
    if (!on) {
      $("download").removeAttribute("href");
      $("download").removeAttribute("download");
      $("download").setAttribute("aria-disabled", "true");
      if ($("unlock-link")) $("unlock-link").hidden = true;
      if (zoomed) setZoom(false);
    }
  }

  $("render").addEventListener("click", () => {
    if ($("render").getAttribute("aria-disabled") === "true") return;
    if (!requestedHere) { // the session is new (reconnected): it needs a request to commit
      seq += 1;
      lastSent = seq;
      sentKeys.set(seq, currentKey());
      send(JSON.stringify({ type: "render", seq, style: currentStyle(), params: currentParams() }));
      requestedHere = true;
    }
    job = { uuid: null, running: true, seq: lastSent, photo: source && source.id };
    say("");
    setRenderEnabled();
    setProgress(0);
    status("Starting the full-size render…");
    send(JSON.stringify({ type: "commit", seq: lastSent }));
  });

  function followJob(uuid, key, photo) {
    job = { uuid, running: true, key, links: null, photo };
    showResultTools(false);
    setRenderEnabled();
    syncUrl();
    setProgress(0);
    status("Queued…");
    live.followJob(uuid, {
      onStatus(msg) {
        if (!job || job.uuid !== uuid) return;
        setProgress(msg.progress || 0);
        if (msg.status === "QUEUED") status("Queued…");
        else if (msg.status === "PROCESSING") status(`Rendering full size… ${Math.round((msg.progress || 0) * 100)} %`);
      },
      onFrame(header, blob) {
        if (!job || job.uuid !== uuid || !header.final || !job.done) return;
        // the finished picture (standard definition) replaces the preview in the picture area
        const key = job.key;
        job.drawing = true; // previews of these settings arriving meanwhile are not drawn over it
        const wanted = () => job && job.uuid === uuid && currentKey() === key;
        show(blob, { seq: Number($("after").dataset.seq || 0), final: true }, () => {
          $("badge").hidden = false;
          shownKey = key;
          syncUrl();
        }, wanted, true).finally(() => {
          if (!job || job.uuid !== uuid) return;
          job.drawing = false;
          // not drawn (it failed to decode): the previews it held back are asked for again
          if (shownKey !== key && currentKey() === key) requestRender();
        });
      },
      onError(text) {
        if (!job || job.uuid !== uuid) return;
        job.running = false;
        status(text);
        setRenderEnabled();
      },
      onEnd(msg) {
        if (!job || job.uuid !== uuid) return;
        job.running = false;
        job.done = msg.status === "DONE";
        setRenderEnabled();
        if (msg.status === "FAILED") {
          status(msg.error || "The render failed. Try again.");
          return;
        }
        setProgress(1);
        job.links = msg.links;
        // the photo is now this job's original, kept with the picture: the URL names that
        // (a stored photo is only one of the newest few)
        if (source && source.id === job.photo && source.kind !== "job") {
          source = { kind: "job", id: uuid, name: source.name, blob: source.blob };
          if (!socket) connect(); // a job's original opens without its bytes
        }
        status("Done: the full-size picture is ready.");
        const dl = $("download");
        dl.href = msg.links.processed;
        dl.setAttribute("download", "");
        dl.removeAttribute("aria-disabled");
        dl.textContent = payments ? "Download (up to 1024 px)" : "Download";
        $("job-link").href = "/gallery/" + uuid;
        if (payments) {
          $("unlock-link").href = "/gallery/" + uuid + "#pay";
          $("unlock-link").hidden = false;
        }
        showResultTools(true);
        $("job-link").hidden = false;
        if (document.activeElement === $("render") || document.activeElement === document.body) dl.focus();
        syncUrl();
      },
    });
  }
  $("download").addEventListener("click", (e) => { if ($("download").getAttribute("aria-disabled") === "true") e.preventDefault(); });

  // the chosen style is in sight in the picker (a strip that scrolls sideways on phones)
  function showChosenStyle() {
    const strip = document.querySelector(".styles");
    const pick = document.querySelector('input[name="style"]:checked').closest(".style-pick");
    if (strip.scrollWidth > strip.clientWidth) strip.scrollLeft = pick.offsetLeft - strip.offsetLeft - 16;
  }
  showChosenStyle();

  // ---------------------------------------------------------------- the live camera
  // Frames are downscaled here (640 px long side, JPEG) and sent over the preview socket as
  // binary camera messages (docs/protocol.md); the server renders only the newest waiting one.
  // Two frames in flight hide the network and encoding behind a light style's render; a heavy
  // style (over 12 ms a frame) gets one, so a frame never waits behind another (bench/camera.py).
  const CAMERA_SIDE = 640, CAMERA_FPS = 30;
  const cam = { inFlight: 1, stream: null, track: null, timer: null, seq: 0, answered: 0, encoding: false,
                reset: true, times: [], url: null, lastAnswer: 0, canvas: document.createElement("canvas") };

  function cameraOn() { return cam.stream !== null; }

  async function startCamera() {
    say("");
    if (cameraOn()) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return say("This browser cannot use a camera on this page (a camera needs a secure, https page).");
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: false, video: { width: { ideal: 1920 }, height: { ideal: 1080 } } });
    } catch (e) {
      return say(e && e.name === "NotAllowedError"
        ? "The camera was not allowed. Allow it in the browser's site settings, then press Camera again."
        : "No camera could be opened on this device.");
    }
    cam.stream = stream;
    cam.track = stream.getVideoTracks()[0];
    const video = $("camera-video");
    video.srcObject = stream;
    try { await video.play(); } catch (e) { /* muted video plays; a refusal shows no frames */ }
    Object.assign(cam, { reset: true, times: [], answered: cam.seq, lastAnswer: performance.now() });
    $("fps").textContent = "0 fps";
    $("camera-out").removeAttribute("src");
    $("camera").hidden = false;
    for (const b of document.querySelectorAll("[data-camera-start]")) b.setAttribute("aria-pressed", "true");
    studio.dataset.camera = "on";
    status("Camera on. Snap takes a photo to render at full size.");
    if (!socket || socket.readyState > WebSocket.OPEN) connect();
    cam.timer = setInterval(sendCameraFrame, 1000 / CAMERA_FPS);
    $("snap").focus();
  }

  function stopCamera() {
    if (!cameraOn()) return;
    clearInterval(cam.timer);
    for (const t of cam.stream.getTracks()) t.stop();
    cam.stream = cam.track = cam.timer = null;
    $("camera-video").srcObject = null;
    $("camera").hidden = true;
    for (const b of document.querySelectorAll("[data-camera-start]")) b.setAttribute("aria-pressed", "false");
    studio.dataset.camera = "off";
    if (!source) status("Choose a photo to start.");
  }

  function sendCameraFrame() {
    const video = $("camera-video");
    if (!cameraOn() || cam.encoding || !socket || socket.readyState !== WebSocket.OPEN || !video.videoWidth) return;
    // an answer lost with a dropped socket must not stop the stream for good
    if (performance.now() - cam.lastAnswer > 3000) cam.answered = cam.seq;
    if (cam.seq - cam.answered >= cam.inFlight) return;
    const f = Math.min(1, CAMERA_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const canvas = cam.canvas;
    canvas.width = Math.round(video.videoWidth * f);
    canvas.height = Math.round(video.videoHeight * f);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    cam.encoding = true;
    canvas.toBlob(async (blob) => {
      try {
        if (!blob || !cameraOn()) return;
        const style = currentStyle();
        // while a new style's sliders load, its defaults apply
        const params = $("controls").dataset.style === style ? currentParams() : {};
        cam.seq += 1;
        const head = new TextEncoder().encode(JSON.stringify({ type: "camera", seq: cam.seq, style, params, reset: cam.reset }));
        cam.reset = false;
        const image = new Uint8Array(await blob.arrayBuffer());
        const message = new Uint8Array(4 + head.length + image.length);
        new DataView(message.buffer).setUint32(0, head.length);
        message.set(head, 4);
        message.set(image, 4 + head.length);
        send(message);
      } finally {
        cam.encoding = false;
      }
    }, "image/jpeg", 0.8);
  }

  function onCameraFrame(header, blob) {
    cam.answered = Math.max(cam.answered, header.seq); // older frames were dropped (latest wins)
    cam.lastAnswer = performance.now();
    cam.inFlight = header.render_ms < 12 ? 2 : 1;
    if (!cameraOn()) return;
    const img = $("camera-out");
    if (Number(img.dataset.seq || 0) >= header.seq && cam.times.length) return;
    if (cam.url) URL.revokeObjectURL(cam.url);
    cam.url = URL.createObjectURL(blob);
    img.src = cam.url;
    img.dataset.seq = header.seq;
    img.dataset.style = header.style;
    img.alt = `The live camera in the ${header.style.replace(/_/g, " ")} style`;
    const now = performance.now();
    cam.times.push(now);
    while (cam.times.length > 2 && now - cam.times[0] > 2000) cam.times.shift();
    const n = cam.times.length;
    const fps = n > 1 ? ((n - 1) * 1000) / (now - cam.times[0]) : 0;
    $("fps").textContent = `${fps.toFixed(1)} fps`;
    studio.dataset.fps = fps.toFixed(2);
  }

  function onCameraError(msg) {
    if (typeof msg.seq === "number") cam.answered = Math.max(cam.answered, msg.seq);
    cam.lastAnswer = performance.now();
    if (msg.code !== "internal") say(msg.message);
  }

  // Snap: the camera's full resolution (ImageCapture, or the whole video frame), as a photo file
  async function snap() {
    if (!cameraOn()) return;
    const video = $("camera-video");
    let blob = null;
    if ("ImageCapture" in window) {
      try {
        blob = await Promise.race([
          new ImageCapture(cam.track).takePhoto(),
          new Promise((resolve) => setTimeout(() => resolve(null), 2500)),
        ]);
      } catch (e) { blob = null; }
    }
    if (!blob || !/^image\/(jpeg|png|webp)$/.test(blob.type) || blob.size > maxBytes) {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
    }
    stopCamera();
    if (!blob) return say("The camera gave no picture. Try again.");
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
    const ext = blob.type === "image/png" ? "png" : blob.type === "image/webp" ? "webp" : "jpg";
    tryPhoto(new File([blob], `camera-${stamp}.${ext}`, { type: blob.type || "image/jpeg" }));
  }

  for (const b of document.querySelectorAll("[data-camera-start]")) {
    b.addEventListener("click", () => (cameraOn() ? stopCamera() : startCamera()));
  }
  $("camera-stop").addEventListener("click", stopCamera);
  $("snap").addEventListener("click", snap);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && cameraOn()) stopCamera(); });
  window.addEventListener("pagehide", stopCamera);

  // ---------------------------------------------------------------- restore from the URL
  const kind = studio.dataset.photoKind;
  if (kind) {
    const id = studio.dataset.photoId, name = studio.dataset.photoName;
    const url = kind === "job" ? `/images/${id}/original` : `/toonify/photo/${id}`;
    beforeUrl = null;
    $("before").src = url;
    $("after-wrap").hidden = true;
    showPicture();
    source = { kind, id, name, blob: null };
    if (kind === "job") connect();
    else {
      fetch(url, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
        .then((blob) => {
          if (!source) return;
          if (source.id === id) source.blob = blob;
          if (!socket) connect(); // (the source may have become the finished job's original meanwhile)
        })
        .catch(() => { source = null; showEmpty(); say("That photo is no longer here. Choose it again."); });
    }
    if (studio.dataset.render) followJob(studio.dataset.render, currentKey(), source.id);
  }
  setRenderEnabled();
})();
