"""Renderings of one snapshot: CSV (tidy long table), SVG charts and the WeasyPrint PDF."""
