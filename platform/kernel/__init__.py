"""The kernel: small pure helpers every domain may use (the clock, text for public pages, QR images). It
imports no domain, so any domain can import it without a cycle (tests/test_kernel.py)."""
