"""The order flow's web pages: residents place, follow, cancel and rate orders; volunteers
take and serve them on a phone; cadres dispatch them.

Plain HTML forms, no JavaScript (old phones, village networks). The views are thin over
orders.services and read only through orders.selectors.orders_for: what a user may not
read is a 404, never a 403, so nobody learns which orders exist.

One module per audience: resident, tasks (volunteers), dispatch (cadres), wishes; common
holds the order page they share."""
