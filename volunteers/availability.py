"""Weekly availability as a bit mask: 7 days x 3 periods = 21 bits in one integer column.

One integer lets the dispatcher ask "who is free now" with a single bitwise test in SQL,
over a million volunteers, instead of joining a table of time slots.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

DAYS = [
    ("mon", _("周一")),
    ("tue", _("周二")),
    ("wed", _("周三")),
    ("thu", _("周四")),
    ("fri", _("周五")),
    ("sat", _("周六")),
    ("sun", _("周日")),
]
# Period code, label, and the hours [start, end) it covers.
PERIODS = [
    ("morning", _("上午"), 6, 12),
    ("afternoon", _("下午"), 12, 18),
    ("evening", _("晚上"), 18, 22),
]
SLOT_CHOICES = [
    (f"{day}_{period}", f"{day_label}{period_label}")
    for day, day_label in DAYS
    for period, period_label, _start, _end in PERIODS
]
SLOT_BITS = {code: 1 << index for index, (code, _label) in enumerate(SLOT_CHOICES)}
ALL_SLOTS = (1 << len(SLOT_CHOICES)) - 1


def slots_to_mask(slots: list[str]) -> int:
    unknown = [slot for slot in slots if slot not in SLOT_BITS]
    if unknown:
        raise ValueError(f"unknown time slots: {unknown}")
    mask = 0
    for slot in slots:
        mask |= SLOT_BITS[slot]
    return mask


def mask_to_slots(mask: int) -> list[str]:
    return [code for code, bit in SLOT_BITS.items() if mask & bit]


def slot_bit_at(moment: datetime.datetime) -> int:
    """The bit of the slot ``moment`` (local time) falls in, or 0 at night."""
    day = DAYS[moment.weekday()][0]
    for period, _label, start, end in PERIODS:
        if start <= moment.hour < end:
            return SLOT_BITS[f"{day}_{period}"]
    return 0
