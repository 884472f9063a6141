"""Registry tests: small rule sets written here (see registry_fixtures)."""
