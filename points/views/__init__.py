"""The points app's HTML pages, one module per sub-domain."""
