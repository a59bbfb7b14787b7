from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def personal_data_keys_set(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """Keys derived from SECRET_KEY are for development: production sets its own, kept apart
    from SECRET_KEY so that rotating one does not lose the other's data."""
    warnings = []
    if not settings.PERSONAL_DATA_KEYS:
        warnings.append(
            Warning(
                "PERSONAL_DATA_KEYS is not set: ID numbers are encrypted with a key derived "
                "from SECRET_KEY.",
                id="volunteers.W001",
            )
        )
    if not settings.PERSONAL_DATA_LOOKUP_KEY:
        warnings.append(
            Warning(
                "PERSONAL_DATA_LOOKUP_KEY is not set: ID-number digests use a key derived "
                "from SECRET_KEY, and changing SECRET_KEY would orphan them.",
                id="volunteers.W002",
            )
        )
    return warnings
