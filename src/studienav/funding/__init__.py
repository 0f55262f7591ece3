"""Research funding: the research council's calls, applications, review, decisions and follow-up."""
