// Unlock HD: Stripe's Payment Element (loaded from Stripe only when payments are on), then
// the server re-checks the PaymentIntent with Stripe before unlocking. No page reload.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const unlock = $("unlock");
  if (!unlock) return;
  const job = unlock.dataset.job;
  let stripe = null, elements = null;

  const post = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  }).then(async (r) => ({ ok: r.ok, body: await r.json() }));

  function fail(text) { $("pay-error").textContent = text; $("pay-error").hidden = false; }

  function unlocked() {
    unlock.hidden = true;
    $("download-sd").hidden = true;
    $("download-hd").hidden = false;
    $("payment-element").hidden = true;
    $("pay-submit").hidden = true;
    $("pay-state").textContent = "Payment received: HD unlocked.";
    $("pay-state").hidden = false;
  }

  unlock.addEventListener("click", async () => {
    $("pay").hidden = false;
    if (elements) return $("pay-submit").focus(); // the form is open already
    unlock.disabled = true;
    const created = await post("/payments/create", { job });
    if (!created.ok) { unlock.disabled = false; return fail(created.body.message); }
    if (typeof Stripe === "undefined") {
      unlock.disabled = false;
      return fail("The payment form could not load. Check your connection and try again.");
    }
    stripe = Stripe(created.body.publishable_key);
    elements = stripe.elements({ clientSecret: created.body.client_secret });
    elements.create("payment").mount("#payment-element");
    unlock.disabled = false;
    $("pay-submit").focus();
  });

  $("pay-submit").addEventListener("click", async () => {
    if (!stripe) return;
    $("pay-submit").disabled = true;
    $("pay-error").hidden = true;
    const result = await stripe.confirmPayment({ elements, redirect: "if_required" });
    // a declined card: both ways to try again stay open
    if (result.error) { $("pay-submit").disabled = false; unlock.disabled = false; return fail(result.error.message); }
    // never trust the browser: the server asks Stripe whether the payment succeeded
    const confirmed = await post("/payments/confirm", { job });
    if (confirmed.ok && confirmed.body.is_hd_unlocked) return unlocked();
    $("pay-submit").disabled = false;
    unlock.disabled = false;
    fail(confirmed.body.message || "The payment has not gone through yet; try again in a moment.");
  });
})();
