"""Flet screens: not built yet (issue 7). Views will talk only to app/."""
