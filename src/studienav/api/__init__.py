"""The open JSON API (/api/v1/) and the FHIR R5 facade (/fhir/)."""
