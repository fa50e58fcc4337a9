/**
 * A CNI client in Java, libcni's protocol ({@link dev.berth.engine.network.cni.CniClient}): config
 * lists and their plugin chains, the {@code CNI_*} environment, results parsed and cached on disk
 * per attachment ({@link dev.berth.engine.network.cni.ResultCache}), plugin errors as one line, and
 * the plugins run by posix_spawn with a deadline and an optional launcher prefix ({@link
 * dev.berth.engine.network.cni.Launcher}).
 */
package dev.berth.engine.network.cni;
