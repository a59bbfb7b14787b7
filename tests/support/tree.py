"""The codes of the test tree (tests/conftest.py, ``tree``) by subtree: what each persona's
center holds, for tests that check a list shows exactly a subtree."""

from __future__ import annotations

# In tree order (city, then each county with its townships and villages), as lists are.
TREE_ORDER = [
    "430400",
    "430405",
    "430405007",
    "430405007006",
    "430405007007",
    "430405009",
    "430405009007",
    "430406",
    "430406001",
    "430406001001",
]
CITY = frozenset(TREE_ORDER)
# 珠晖区 (county_a) and everything under it.
COUNTY_A = frozenset(
    {"430405", "430405007", "430405007006", "430405007007", "430405009", "430405009007"}
)
# 衡州路街道 (township_a) with its two communities.
TOWNSHIP_A = frozenset({"430405007", "430405007006", "430405007007"})
# 王江社区 (village_a) alone.
VILLAGE_A = frozenset({"430405007006"})
# 雁峰区 (county_b): the outsider's subtree.
COUNTY_B = frozenset({"430406", "430406001", "430406001001"})
