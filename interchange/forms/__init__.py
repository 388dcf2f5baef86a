"""The forms of the interchange pages: Add by ISBN (isbn), imports (imports)."""
