/**
 * The runtime contract the engine stands on: {@link dev.berth.runtime.driver.RuntimeDriver}
 * (create, start, state, kill, delete, exec, pause/resume, update, stats/events with typed requests
 * and results), a {@link dev.berth.runtime.driver.Container} whose life is one explicit state
 * machine, and the {@link dev.berth.runtime.driver.RuntimeHandlers} that pick a driver per
 * container. Two drivers: {@link dev.berth.runtime.driver.InProcessDriver} (berth's runtime in this
 * JVM, the default) and {@link dev.berth.runtime.driver.OciCliDriver} (runc, crun, berth-runc or
 * any binary with runc's command line). One contract suite ({@code RuntimeDriverContract} in
 * berth-runtime's tests) runs against each.
 *
 * <h2>Who is a container's parent, and who reaps it</h2>
 *
 * <p>A process's exit status goes to its parent, and only the parent's {@code wait} frees it; a
 * parent that exits first hands its children to its nearest ancestor that is a subreaper ({@code
 * PR_SET_CHILD_SUBREAPER}), else to pid 1. So whoever is the container init's parent is the only
 * one who can learn how it ended.
 *
 * <p><b>In-process</b> ({@code ContainerRuntime}): {@code create} posix_spawns berth-init (from a
 * sealed memfd) as a child of this JVM; berth-init clones the container init with {@code
 * CLONE_PARENT}, so the init is this JVM's child, not berth-init's, and berth-init exits and is
 * reaped at once ({@code InitProcess.awaitPid}). An {@code exec}'d process is made the same way and
 * is this JVM's child too: the foreground {@code exec} waits for it ({@code wait4}) and returns its
 * status; a detached one stays an unwaited child. The runtime never makes the JVM a subreaper (only
 * a checkpoint restore does, unless told not to). Hence: a container init that exits stays a zombie
 * child of this JVM, which {@code state} reads as stopped (the kernel's 'Z'), until {@code delete}
 * reaps it ({@code Creation.destroy}, non-blocking {@code wait4} on the init and the cgroup's
 * processes it kills); its exit status is read by no one but a foreground {@code run}. Java's own
 * process reaper waits only for processes started through {@link java.lang.ProcessBuilder}, so it
 * never takes these. When this JVM exits first (berth-runc after {@code create}, or a {@code berth}
 * CLI), the init and its detached exec'd processes pass to this JVM's nearest subreaper ancestor
 * (containerd's shim and conmon make themselves one) or to pid 1. Processes the container init
 * orphans are reaped by the init itself when the container has its own pid namespace (its init is
 * the namespace's reaper); without one they pass to the same ancestor subreaper or pid 1.
 *
 * <p><b>OCI runtime binary</b> ({@link dev.berth.runtime.driver.OciCliDriver}): the container init
 * is the child of the binary's {@code create} process (runc's {@code runc init} stages clone with
 * {@code CLONE_PARENT} up to the {@code runc create} process, as seen with runc 1.1.5; berth-runc's
 * berth-init clones it into the berth-runc JVM; crun, not installed on the test machines, is
 * expected to behave alike), which exits when {@code create} returns: the init passes to this JVM
 * if it made itself a subreaper, else to this JVM's nearest subreaper ancestor or pid 1 (which, in
 * some containers' pid 1s, never reaps: zombies pile up). A foreground {@code exec} is the binary's
 * child; the binary waits for it and exits with its status, which the driver returns; a detached
 * one ({@code exec -d}) is orphaned like the init. The driver records each init's pid ({@code
 * --pid-file}) and reaps it after {@code delete} when this process adopted it.
 *
 * <p>Neither arrangement keeps an exit status once the process that created the container is gone.
 * Under a monitor ({@link dev.berth.runtime.driver.CreateRequest#monitor}, {@code
 * dev.berth.runtime.monitor}: one small process per container, started detached as its subreaper)
 * the monitor runs berth-init or the binary's {@code create} as its child, so the container init is
 * the monitor's child (CLONE_PARENT) or is adopted by it when {@code create} exits; the monitor
 * reaps it, writes its exit file and exits. This JVM is then no parent of anything: it may exit at
 * any time after create. When the monitor is killed the container runs on (adopted by the next
 * subreaper or pid 1) but its exit status is recorded by no one, as with conmon.
 *
 * <h2>Errors</h2>
 *
 * <p>Both drivers throw {@link dev.berth.runtime.ContainerException} with the same categories for
 * the same situation (compared by the contract suite): a missing container, a second create of an
 * id, and a verb the state forbids. {@code OciCliDriver} takes the category from the binary's words
 * (runc's, which crun and berth-runc share) and puts its last logged error in the message.
 */
package dev.berth.runtime.driver;
