"""The pages, one module (or package) per domain, as in platform/<domain>/."""
