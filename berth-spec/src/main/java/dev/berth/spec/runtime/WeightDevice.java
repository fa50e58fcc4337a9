package dev.berth.spec.runtime;

/** A per-device block I/O weight. */
public record WeightDevice(long major, long minor, Integer weight, Integer leafWeight) {}
