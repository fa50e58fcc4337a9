package dev.berth.runtime.checkpoint;

/**
 * What a restore did.
 *
 * @param pid the restored init, as the container's state now records it (status running)
 * @param exitCode in the foreground, the init's exit status (128+signal when killed) once it exited
 *     and the container was deleted; -1 when detached
 */
public record RestoreResult(int pid, int exitCode) {}
