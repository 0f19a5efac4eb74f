"""The notifications tests reuse the activities fixtures (an org, an organiser, a volunteer)."""

from tests.activities.conftest import world  # noqa: F401
