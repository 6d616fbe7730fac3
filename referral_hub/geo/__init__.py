"""Geography without a network: ZIP centroids, time zones, distances, and the geocoders behind a protocol."""
