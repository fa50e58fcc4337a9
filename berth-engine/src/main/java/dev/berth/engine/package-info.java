/**
 * berth-engine: the manager that runs containers from images on one store shared by every {@code
 * berth} process (and later {@code berthd}). {@link dev.berth.engine.container} holds what a user
 * asks for, {@code store} the metadata, {@code spec} the OCI spec made from an image config and the
 * user's options; the runtime drivers and the monitor come from berth-runtime.
 */
package dev.berth.engine;
