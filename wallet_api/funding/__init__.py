"""Linked bank cards and the BankGateway they are reached through (only a sandbox bank here)."""
