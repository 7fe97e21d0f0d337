"""``veille serve``: a read-only web dashboard and JSON API over the mention database.

Pages (overview, mention list, story, sources) are Jinja2 templates with charts drawn as inline
SVG on the server; the API gives the same data as JSON or CSV and describes itself in OpenAPI.
"""

from veille.web.app import create_app

__all__ = ["create_app"]
