"""QR codes drawn as inline SVG by segno (pure Python, no Pillow, no network).

The SVG carries no style attribute and no script, only presentation attributes, so it is
allowed by the portal's Content-Security-Policy (style-src 'self') when put in a page.
"""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, title: str = "", scale: int = 6) -> SafeString:
    """``data`` as an inline ``<svg>`` element; ``title`` is read out by screen readers."""
    code = segno.make(data, error="m", micro=False)
    svg = code.svg_inline(
        scale=scale,
        border=4,
        dark="#000",
        light="#fff",
        title=title or None,
        svgclass="qr",
        lineclass="qr-line",
    )
    # segno escapes the title and draws the rest from its own output alone.
    return mark_safe(svg)
