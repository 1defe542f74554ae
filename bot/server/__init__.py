"""The running process: mode choice and signals (process.py), the WSGI router with /healthz
(http.py), the Tencent webhook endpoint (tencent_webhook.py) and its work queue (workers.py).
The webhook's work itself, the fast path, is domain logic: bot/fastpath.py."""
