package dev.berth.engine.store;

import java.nio.file.Path;

/**
 * A record a listing could not read: its file and why. Listings report it beside what they read and
 * go on.
 */
public record Unreadable(Path path, String reason) {}
