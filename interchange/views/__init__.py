"""The interchange pages of the website: Add by ISBN (isbn), imports (imports)."""
