"""activities domain."""
