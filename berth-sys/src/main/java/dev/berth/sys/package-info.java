/**
 * The one native door (DESIGN.md): Linux syscalls through a JNI trampoline, typed.
 *
 * <ul>
 *   <li>{@link dev.berth.sys.Linux}: one static method per syscall, named as in its man page,
 *       throwing {@link dev.berth.sys.ErrnoException} (or {@link dev.berth.sys.MountException})
 *       with the call and its subject.
 *   <li>{@link dev.berth.sys.Fd}: an owned fd with an atomic, idempotent close. Every fd is
 *       close-on-exec; children get fds only through the map of {@link dev.berth.sys.Linux#spawn}.
 *   <li>{@link dev.berth.sys.LinuxConstants}, {@link dev.berth.sys.Signals}: numbers and names.
 *   <li>{@link dev.berth.sys.Kernel}: features probed once, on first use.
 * </ul>
 *
 * <p>The library libberthsys.so is found through {@code -Dberth.native.dir} (launchers; costs one
 * System.load) or extracted from the jar to {@code ${java.io.tmpdir}/berth-native-<sha256>/}. JDK
 * 25 wants {@code --enable-native-access=ALL-UNNAMED} for it, or prints a warning on stderr.
 */
package dev.berth.sys;
