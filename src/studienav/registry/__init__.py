"""The study registry: one harmonised, quality-checked, versioned record per study."""
