"""The service directory: HSDS 3.1 model, read API and listing management."""
