"""sealing package."""
