package dev.berth.spec.runtime;

/** Offset of a clock in a time namespace; nanosecs is uint32. */
public record TimeOffset(long secs, long nanosecs) {}
