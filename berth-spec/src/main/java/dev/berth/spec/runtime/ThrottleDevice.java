package dev.berth.spec.runtime;

/** A per-device block I/O throttle; rate is uint64. */
public record ThrottleDevice(long major, long minor, long rate) {}
