"""The PDF rendering: a kind's WeasyPrint template (templates/reports/<kind>.html) filled from the snapshot."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """HTML from the template, then PDF bytes; fonts come from the system (fonts-noto-cjk for Korean)."""
    from weasyprint import HTML  # imported here: loading WeasyPrint costs time every process would pay

    html = render_to_string(template, context)
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return pdf
