"""requests domain: residents ask, the community dispatches, volunteers serve, residents rate."""
