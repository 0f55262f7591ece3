"""What the public sees: the start page, search results and study pages."""
