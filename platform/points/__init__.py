"""points domain."""
