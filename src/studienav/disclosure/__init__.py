"""Health-data disclosure: one request to several regions, each region's assessment and decision."""
