/**
 * OCI image-spec and distribution models (digests, descriptors, platforms, manifests, indexes,
 * image configs, references) as immutable records, with their JSON readers and writers.
 *
 * <p>Same conventions as {@code dev.berth.spec.runtime}: lists and maps are never null (empty when
 * absent) and immutable, maps iterate sorted by key, strings are "" when absent.
 */
package dev.berth.spec.image;
