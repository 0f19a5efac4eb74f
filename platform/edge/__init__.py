"""The edge: rules every request meets before a handler runs (cross-site writes, content types, input that no
database column can hold)."""
