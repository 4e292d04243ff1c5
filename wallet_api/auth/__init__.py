"""Users, roles, passwords, payment PINs, tokens."""
