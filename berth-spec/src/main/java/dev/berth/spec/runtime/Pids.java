package dev.berth.spec.runtime;

/** Pids cgroup limit; 0 or negative means unlimited. */
public record Pids(long limit) {}
