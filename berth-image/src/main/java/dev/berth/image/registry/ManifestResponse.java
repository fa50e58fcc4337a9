package dev.berth.image.registry;

import dev.berth.spec.image.Digest;

/**
 * A manifest or index as a registry served it: the exact bytes (they are what the digest covers),
 * the media type, and the digest, already checked against the one asked for.
 */
public record ManifestResponse(byte[] body, String mediaType, Digest digest) {}
