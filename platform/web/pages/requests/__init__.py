"""Pages of the requests domain."""
