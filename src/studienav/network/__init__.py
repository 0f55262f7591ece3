"""Network activity: trainings and certificates, networks and meetings, the document library
and the activity report."""
