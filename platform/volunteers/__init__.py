"""volunteers domain."""
