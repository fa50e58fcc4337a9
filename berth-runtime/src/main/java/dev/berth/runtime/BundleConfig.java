package dev.berth.runtime;

import dev.berth.spec.runtime.Spec;

/**
 * A bundle's config.json as the process that wrote it holds it: the bytes in the file and the spec
 * they say. A runtime in that process takes them instead of reading and parsing the file again
 * (~1.5 ms of a cold {@code berth run}); it still validates the spec and keeps the bytes in the
 * container's state. The caller answers for the two being one config, as SpecWriter writes a spec.
 *
 * @param spec the spec, as {@code SpecReader} would parse {@code json}
 * @param json the file's bytes
 */
public record BundleConfig(Spec spec, byte[] json) {
  public BundleConfig {
    if (spec == null || json == null) throw new IllegalArgumentException("spec and json: required");
  }
}
