"""A flat, shields-like SVG badge: two boxes, a label and a message, text escaped."""

from __future__ import annotations

from html import escape

COLORS = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "lightgrey": "#9f9f9f",
}
_LABEL_COLOR = "#555"
# Approximate advance widths of Verdana 11px (what shields.io measures with), in px.
_NARROW = set("fijlrt.,:;!|' ")
_WIDE = set("mwMW%@")


def _text_width(text: str) -> int:
    width = 0.0
    for ch in text:
        if ch in _NARROW:
            width += 4.0
        elif ch in _WIDE:
            width += 10.0
        elif ch.isupper() or ch.isdigit():
            width += 7.5
        else:
            width += 6.5
    return int(width + 0.5)


def render(label: str, message: str, color: str) -> str:
    fill = COLORS.get(color, COLORS["lightgrey"])
    lw = _text_width(label) + 10
    mw = _text_width(message) + 10
    total = lw + mw
    label_x = lw * 5  # text is drawn at scale(.1): positions are in tenths of a pixel
    message_x = (lw + mw / 2) * 10
    lab, msg = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{lab}: {msg}"><title>{lab}: {msg}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="{_LABEL_COLOR}"/>'
        f'<rect x="{lw}" width="{mw}" height="20" fill="{fill}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="110">'
        f'<text x="{label_x:.0f}" y="140" transform="scale(.1)">{lab}</text>'
        f'<text x="{message_x:.0f}" y="140" transform="scale(.1)">{msg}</text>'
        "</g></svg>"
    )
