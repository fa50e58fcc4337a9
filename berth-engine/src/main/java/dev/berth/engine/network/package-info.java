/**
 * Networks of the engine: bridge networks stored as generated CNI conflists with berth's metadata
 * ({@link dev.berth.engine.network.NetworkStore}: the default network on first use, user networks
 * with subnets from a pool that keeps off the host's routes, docker's names and errors, the in-use
 * refusal through {@link dev.berth.engine.network.NetworkUsers}), and the cleanup that leaves
 * nothing of a container's networking behind ({@link dev.berth.engine.network.NetworkCleanup}:
 * teardown, and recovery after a crash or a reboot). The CNI protocol is {@code network.cni}'s, the
 * pinned namespaces {@code network.netns}'s. The engine's ContainerNetworking wires them into
 * container start and stop.
 */
package dev.berth.engine.network;
