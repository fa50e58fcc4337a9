/**
 * The store's own directories (its root, content, images, snapshots, mounts and what they hold
 * outside the layers' trees): made and kept private to the user who runs berth on the store,
 * whatever the umask and whatever a layer says.
 */
package dev.berth.image.dirs;
