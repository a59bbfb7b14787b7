"""Every read of the points app, one module per sub-domain."""
