"""Full-text and faceted search over published studies, on SQLite FTS5 and PostgreSQL."""
