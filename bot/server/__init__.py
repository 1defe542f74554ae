"""The running process: mode choice and signals (process.py), the WSGI router with /healthz
(http.py), and the Tencent webhook endpoint (tencent_webhook.py)."""
