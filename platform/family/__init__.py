"""family domain."""
