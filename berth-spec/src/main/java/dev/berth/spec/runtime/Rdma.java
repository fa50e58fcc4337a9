package dev.berth.spec.runtime;

/** One device's limits of {@code linux.resources.rdma}; null fields are unset ("max"). */
public record Rdma(Long hcaHandles, Long hcaObjects) {}
