"""Regions, organisations, people, roles and the audit trail shared by every capability."""
