"""Directory search: one protocol, an embedded backend in the database, and Meilisearch at scale."""
