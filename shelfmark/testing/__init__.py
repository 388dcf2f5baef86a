"""Helpers for the apps' tests (not collected as tests themselves)."""
