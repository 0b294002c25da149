"""A local stand-in for Stripe's servers, speaking the real HTTP API for the calls Toonify uses:
POST /v1/payment_intents (form-encoded, Idempotency-Key), GET /v1/payment_intents/{id},
POST /v1/payment_intents/{id}/confirm; plus webhook events signed exactly as Stripe signs them
(`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding: metadata[job]=x -> {"metadata": {"job": "x"}}."""
    out: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return out


class FakeStripe:
    def __init__(self, api_key: str = "sk_test_fake", webhook_secret: str = "whsec_fake"):
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.intents: dict[str, dict] = {}
        self.idempotent: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()

    # --- what Stripe would do on its side -------------------------------------------------
    def create_intent(self, params: dict, key: str | None) -> dict:
        with self.lock:
            if key and key in self.idempotent:
                return self.idempotent[key]
            pid = "pi_" + secrets.token_hex(12)
            intent = {
                "id": pid,
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "amount_received": 0,
                "currency": params["currency"],
                "status": "requires_payment_method",
                "client_secret": f"{pid}_secret_{secrets.token_hex(8)}",
                "metadata": params.get("metadata", {}),
                "livemode": False,
                "created": int(time.time()),
                "last_payment_error": None,
            }
            self.intents[pid] = intent
            if key:
                self.idempotent[key] = intent
            return intent

    def confirm(self, pid: str, payment_method: str = "pm_card_visa") -> dict:
        intent = self.intents[pid]
        if payment_method == "pm_card_chargeDeclined":
            intent.update(
                status="requires_payment_method",
                last_payment_error={"code": "card_declined", "message": "Your card was declined."},
            )
        else:
            intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None)
        return intent

    def event(self, type_: str, obj: dict, event_id: str | None = None) -> dict:
        return {
            "id": event_id or "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": type_,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": obj},
        }

    def refund_charge(self, pid: str) -> dict:
        intent = self.intents[pid]
        return {
            "id": "ch_" + secrets.token_hex(10),
            "object": "charge",
            "payment_intent": pid,
            "amount": intent["amount"],
            "amount_refunded": intent["amount"],
            "refunded": True,
        }

    def sign(self, payload: str, timestamp: int | None = None, secret: str | None = None) -> str:
        t = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new((secret or self.webhook_secret).encode(), f"{t}.{payload}".encode(), hashlib.sha256)
        return f"t={t},v1={mac.hexdigest()}"

    # --- HTTP -------------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Request-Id", "req_" + secrets.token_hex(6))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self._send(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
                    return False
                return True

            def _missing(self) -> None:
                self._send(
                    404,
                    {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "resource_missing",
                            "message": "No such payment_intent",
                        }
                    },
                )

            def do_GET(self):
                fake.requests.append(("GET", self.path))
                if not self._authorised():
                    return
                m = re.fullmatch(r"/v1/payment_intents/(pi_\w+)", self.path.split("?")[0])
                if not m or m.group(1) not in fake.intents:
                    return self._missing()
                self._send(200, fake.intents[m.group(1)])

            def do_POST(self):
                fake.requests.append(("POST", self.path))
                if not self._authorised():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                params = _nest(parse_qsl(self.rfile.read(length).decode()))
                if self.path == "/v1/payment_intents":
                    return self._send(200, fake.create_intent(params, self.headers.get("Idempotency-Key")))
                m = re.fullmatch(r"/v1/payment_intents/(pi_\w+)/confirm", self.path)
                if m and m.group(1) in fake.intents:
                    return self._send(200, fake.confirm(m.group(1), params.get("payment_method", "pm_card_visa")))
                self._missing()

        return Handler
