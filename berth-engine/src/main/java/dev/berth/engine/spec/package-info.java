/**
 * A container's OCI spec made from its image's config and the user's options, with docker's
 * defaults and errors ({@link dev.berth.engine.spec.SpecGenerator}): the user resolved in the
 * image's own /etc files, docker's capabilities, seccomp profile ({@link
 * dev.berth.engine.spec.DefaultSeccompProfile}), mounts, masked paths and limits.
 */
package dev.berth.engine.spec;
