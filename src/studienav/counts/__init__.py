"""Patient counts: how many patients in each region fit a study, protected, from its own data."""
