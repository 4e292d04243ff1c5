"""Thin HTTP routers, one per domain. They parse, authorise and call services; nothing more."""
