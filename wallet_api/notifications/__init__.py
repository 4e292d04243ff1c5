"""Per-user inbox: transactional, security and (only when allowed) marketing messages."""
