// The job page of a picture still rendering: follows it over /ws/jobs/{uuid} (live.js, the
// same client code as the studio), then loads the finished page.
(() => {
  "use strict";
  const box = document.getElementById("following");
  if (!box) return;
  const $ = (id) => document.getElementById(id);
  let frameUrl = null;
  window.ToonifyLive.followJob(box.dataset.job, {
    onStatus(msg) {
      const pct = Math.round((msg.progress || 0) * 100);
      $("bar").style.width = pct + "%";
      box.querySelector(".progress").setAttribute("aria-valuenow", String(pct));
      $("job-state").textContent = msg.status.toLowerCase();
      $("live-status").textContent = msg.status === "QUEUED" ? "Waiting for a free renderer…" : `Rendering… ${pct} %`;
    },
    onFrame(header, blob) {
      if (frameUrl) URL.revokeObjectURL(frameUrl);
      frameUrl = URL.createObjectURL(blob);
      $("live-frame").src = frameUrl;
      $("live-frame").hidden = false;
    },
    onError(text) { $("live-status").textContent = text; },
    onEnd() {
      // the finished page (result, downloads, Unlock HD) comes from the server
      location.reload();
    },
  });
})();
