// Websocket client code shared by the studio and the job page (docs/protocol.md).
// Auth is the HttpOnly login cookie sent with the handshake; no token in JS.
window.ToonifyLive = (() => {
  "use strict";
  const base = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
  // close codes after which trying again cannot help
  const FINAL_CLOSE = new Set([1000, 4401, 4403, 4404]);

  // Binary frame: 4-byte big-endian header length, JSON header, image bytes
  function unpack(buffer) {
    const n = new DataView(buffer).getUint32(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
    return [header, new Blob([new Uint8Array(buffer, 4 + n)], { type: header.mime })];
  }

  // Wait before reconnect attempt n (0, 1, 2...): 0.25 s doubling up to 8 s, with jitter.
  function backoff(n) {
    return n === 0 ? 0 : Math.min(8000, 250 * 2 ** (n - 1)) * (0.75 + Math.random() / 2);
  }

  // Run `fn` when the tab is visible (a hidden tab does not hold a socket open).
  function whenVisible(fn) {
    if (document.visibilityState !== "hidden") return fn();
    const go = () => {
      if (document.visibilityState === "hidden") return;
      document.removeEventListener("visibilitychange", go);
      fn();
    };
    document.addEventListener("visibilitychange", go);
  }

  // Follow one job over /ws/jobs/{uuid}: status messages and frames until DONE or FAILED.
  // Reconnects by itself (with backoff) if the socket drops before the end.
  // handlers: onStatus(msg), onFrame(header, blob), onError(text), onEnd(msg)
  function followJob(uuid, handlers) {
    let attempt = 0, ended = false, ws = null;
    const open = () => {
      ws = new WebSocket(`${base}/ws/jobs/${uuid}`);
      ws.binaryType = "arraybuffer";
      ws.onmessage = (e) => {
        if (typeof e.data !== "string") {
          const [header, blob] = unpack(e.data);
          handlers.onFrame && handlers.onFrame(header, blob);
          return;
        }
        const msg = JSON.parse(e.data);
        attempt = 0;
        if (msg.type === "error") {
          if (msg.code === "not_found") ended = true;
          handlers.onError && handlers.onError(msg.message);
          return;
        }
        handlers.onStatus && handlers.onStatus(msg);
        if (msg.status === "DONE" || msg.status === "FAILED") {
          ended = true;
          handlers.onEnd && handlers.onEnd(msg);
        }
      };
      ws.onclose = (e) => {
        if (ended || FINAL_CLOSE.has(e.code)) return;
        setTimeout(() => whenVisible(open), backoff(++attempt));
      };
    };
    open();
    return { close: () => { ended = true; ws && ws.close(1000); } };
  }

  return { base, unpack, backoff, whenVisible, followJob, FINAL_CLOSE };
})();
