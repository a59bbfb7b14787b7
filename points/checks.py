from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def certificate_settings(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """The service certificates' verification key, kept apart from SECRET_KEY so that
    rotating SECRET_KEY does not void every certificate already printed; and the CJK font
    their PDF embeds, without which the PDF links answer a "cannot make it" page."""
    warnings = []
    if not [key for key in settings.CERTIFICATE_KEYS if key]:
        warnings.append(
            Warning(
                "CERTIFICATE_KEYS is not set: certificate verification codes use a key "
                "derived from SECRET_KEY, and changing SECRET_KEY would void every printed "
                "certificate's link.",
                id="points.W001",
            )
        )
    if not Path(settings.CERTIFICATE_FONT_PATH).is_file():
        warnings.append(
            Warning(
                f"CERTIFICATE_FONT_PATH={settings.CERTIFICATE_FONT_PATH!r} does not exist: "
                "service certificate PDFs cannot be made. Install Debian's "
                "fonts-wqy-microhei or point it at another TrueType CJK font.",
                id="points.W002",
            )
        )
    return warnings
