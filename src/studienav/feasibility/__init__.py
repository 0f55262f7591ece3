"""Study requests (feasibility): from a sponsor's question to a compiled answer."""
