/**
 * Volumes of the local driver: named and anonymous volumes as directories under the engine root,
 * their metadata, the "in use" refusal, prune, and the copy-up of an image's content into a new
 * volume ({@link dev.berth.engine.volume.VolumeStore}). Bind and tmpfs mounts need no store: they
 * are the spec generator's.
 */
package dev.berth.engine.volume;
