package dev.berth.spec.runtime;

/** A uid or gid mapping; all three are uint32. */
public record IdMapping(long containerID, long hostID, long size) {}
