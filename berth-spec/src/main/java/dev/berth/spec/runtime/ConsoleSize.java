package dev.berth.spec.runtime;

/** Terminal size of the container process (uint in JSON). */
public record ConsoleSize(int height, int width) {}
