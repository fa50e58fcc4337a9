/**
 * docker commit: a container's changes (the upper directory of its overlay snapshot) as a new layer
 * on its image, with the container's config and Dockerfile {@code --change} instructions ({@link
 * dev.berth.engine.commit.Changes}).
 */
package dev.berth.engine.commit;
