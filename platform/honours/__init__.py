"""honours domain."""
