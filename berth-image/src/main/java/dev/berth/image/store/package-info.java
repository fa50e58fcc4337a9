/**
 * The image store: names (canonical references) to the manifest or index they point at, in one
 * {@code images.json} replaced atomically under a file lock, so the CLI and the daemon can share
 * it.
 */
package dev.berth.image.store;
