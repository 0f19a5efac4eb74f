"""Dramatiq broker, actors and the scheduler."""
