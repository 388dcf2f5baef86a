"""Plumbing shared by every app's API: pagination, permissions, errors, ids."""
