package dev.berth.runtime.checkpoint;

import java.nio.file.Path;

/**
 * What a checkpoint made.
 *
 * @param imageDir the images: CRIU's files and berth's descriptors.json (see {@link Descriptors})
 * @param log CRIU's log of the dump
 * @param running whether the container still runs (leave-running or pre-dump); else it is deleted
 */
public record CheckpointResult(Path imageDir, Path log, boolean running) {}
