#!/usr/bin/env python3
"""A minimal four-eye approver for tatum-kms (docs/FOUR-EYE.md). Standard library only.

Run:   FOUR_EYE_SECRET=... python3 approver.py [--port 8090] [--max-amount WEI]
KMS:   TATUM_KMS_FOUR_EYE_SECRET=... TATUM_KMS_FOUR_EYE_REQUIRE_SIGNED_ANSWER=true \
       tatum-kms daemon --externalUrl http://127.0.0.1:8090/approve --externalUrlMethod POST ...

It checks the request's HMAC and freshness, looks at the decoded view, and approves
(200 + X-Tatum-KMS-Approval) or refuses (403). Replace `decide` with your own rules, a
ticket lookup, a human click...
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SKEW_SECONDS = 300
SECRET = os.environ.get("FOUR_EYE_SECRET", "").encode()


def request_is_authentic(timestamp, signature, payload):
    """X-Tatum-KMS-Signature == "sha256=" + hex HMAC(secret, timestamp + "." + payload)."""
    if not timestamp or not signature:
        return False
    try:
        if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
            return False
    except ValueError:
        return False
    expected = "sha256=" + hmac.new(
        SECRET, timestamp.encode() + b"." + payload, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, signature)


def approval(pending_id, body):
    """X-Tatum-KMS-Approval: hex HMAC(secret, pending id + "." + sha256hex(body))."""
    digest = hashlib.sha256(body).hexdigest()
    return hmac.new(SECRET, f"{pending_id}.{digest}".encode(), hashlib.sha256).hexdigest()


def decide(pending, view, max_amount):
    """Return None to approve, or the reason to refuse."""
    if view is None:
        return "no decoded view (use --externalUrlMethod POST)"
    if int(view.get("amount", "0").split(".")[0]) > max_amount:
        return f"amount {view['amount']} is above {max_amount}"
    return None


class Handler(BaseHTTPRequestHandler):
    max_amount = 10**18

    def _answer(self, status, pending_id=None, body=b"", message=""):
        payload = json.dumps({"approved": status == 200, "message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 200 and pending_id is not None:
            self.send_header("X-Tatum-KMS-Approval", approval(pending_id, body))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self, body):
        pending_id = self.path.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        signed_part = body if self.command == "POST" else self.path.encode()
        if not request_is_authentic(
            self.headers.get("X-Tatum-KMS-Timestamp"),
            self.headers.get("X-Tatum-KMS-Signature"),
            signed_part,
        ):
            return self._answer(401, message="bad or missing request signature")
        pending = json.loads(body) if body else {}
        if pending and pending.get("id") != pending_id:
            return self._answer(400, message="the body is for another id")
        reason = decide(pending, pending.get("decodedView"), self.max_amount)
        if reason:
            sys.stderr.write(f"refused {pending_id}: {reason}\n")
            return self._answer(403, message=reason)
        sys.stderr.write(f"approved {pending_id}\n")
        return self._answer(200, pending_id, body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length))

    def do_GET(self):
        self._handle(b"")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--max-amount", type=int, default=10**18,
                        help="largest native amount (base units) to approve")
    args = parser.parse_args()
    if not SECRET:
        sys.exit("set FOUR_EYE_SECRET (the same value as TATUM_KMS_FOUR_EYE_SECRET)")
    Handler.max_amount = args.max_amount
    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
