// Site-wide: failed htmx requests are explained in words, never silently dropped.
(() => {
  "use strict";
  const toast = document.getElementById("toast");
  let timer = null;
  function show(text) {
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(() => (toast.hidden = true), 6000);
  }
  document.body.addEventListener("htmx:responseError", (e) => {
    const xhr = e.detail.xhr;
    let text = xhr.responseText || "";
    try { text = JSON.parse(text).message || text; } catch (_) { /* plain text */ }
    if (xhr.status === 401) text = "Your session has expired. Please log in again.";
    show(text && text.length < 300 ? text : `Something went wrong (error ${xhr.status}). Please try again.`);
  });
  document.body.addEventListener("htmx:sendError", () => show("The server could not be reached. Check your connection."));
})();

// Pages change with the login (private pages, the login form). A page the browser restores
// from its back/forward cache is asked for again, so Back never shows a stale one.
window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
