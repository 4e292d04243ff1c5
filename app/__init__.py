"""Anxin Wallet client core: API client, errors, token storage and offline proof checks."""
