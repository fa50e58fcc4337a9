package dev.berth.image.archive;

import dev.berth.spec.image.Descriptor;
import dev.berth.spec.image.Digest;
import dev.berth.spec.image.Manifest;

/**
 * One image to save: its name (null for an image saved by id), the descriptor to write as its root
 * (its index when every manifest of it is held, else its platform's manifest), that platform's
 * manifest, and its config digest.
 */
public record SavedImage(
    String name,
    Descriptor root,
    Descriptor manifestDescriptor,
    Manifest manifest,
    Digest config) {}
