package dev.berth.image.registry;

/**
 * What we learned about a registry host from GET /v2/: the base URL that works and how it wants us
 * to log in.
 */
record Origin(String base, boolean insecureTls, Challenge challenge) {}
