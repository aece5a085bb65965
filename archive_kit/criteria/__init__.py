"""Criteria schemas: ``model`` (tracks and their criterion trees), ``registry`` (the tracks a
repository knows) and ``loader`` (YAML files checked against JSON Schema, the only YAML reader)."""
