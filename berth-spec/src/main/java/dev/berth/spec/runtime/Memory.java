package dev.berth.spec.runtime;

/**
 * Memory cgroup limits; null means absent (leave unchanged), which differs from 0. swappiness is
 * uint64.
 */
public record Memory(
    Long limit,
    Long reservation,
    Long swap,
    Long kernel,
    Long kernelTCP,
    Long swappiness,
    Boolean disableOOMKiller,
    Boolean useHierarchy,
    Boolean checkBeforeUpdate) {}
