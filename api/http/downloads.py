"""The responses of single-file download links (data export, SLA reports): never cached;
a dead link answers 404 with the same message whatever the reason (no oracle)."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

GONE_MESSAGE = "This link is invalid, expired or was already used."


def attachment(data: bytes, *, filename: str, media_type: str) -> Response:
    # Referrer-Policy: no-referrer comes from the security-headers middleware.
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def gone() -> Response:
    return JSONResponse(
        {"error": GONE_MESSAGE}, status_code=404, headers={"Cache-Control": "no-store"}
    )
