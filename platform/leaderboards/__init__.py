"""leaderboards domain."""
