"""`bot.serve:wsgi_app`, the documented entry point for any WSGI server
(`waitress-serve --port=$PORT --call bot.serve:wsgi_app`); the process lives in bot.server."""

from bot.server.process import wsgi_app

__all__ = ["wsgi_app"]
