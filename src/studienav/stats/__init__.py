"""Statistics, key figures against targets, the annual report and national figures."""
