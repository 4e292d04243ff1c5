"""Delegated family operation: an elder lets a relative act for them within a grant (docs/family.md)."""
