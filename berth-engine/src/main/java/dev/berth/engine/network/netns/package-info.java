/**
 * Network namespaces pinned by bind mounts under the engine's run root ({@link
 * dev.berth.engine.network.netns.NetnsPins}).
 */
package dev.berth.engine.network.netns;
