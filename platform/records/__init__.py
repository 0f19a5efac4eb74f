"""Service records beyond attendance: no-shows (爽约) and qualifications with expiry (issue #20)."""
