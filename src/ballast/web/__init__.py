"""The web app over the exchange service: pages (Jinja2 + htmx), charts (ECharts), static files."""

from ballast.web.mount import mount_web

__all__ = ["mount_web"]
