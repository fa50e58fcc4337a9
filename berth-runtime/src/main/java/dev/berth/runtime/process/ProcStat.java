package dev.berth.runtime.process;

import dev.berth.sys.ErrnoException;
import dev.berth.sys.Fd;
import dev.berth.sys.Linux;
import dev.berth.sys.LinuxConstants;
import java.nio.charset.StandardCharsets;

/**
 * The fields of {@code /proc/<pid>/stat} the runtime needs: the process state letter and its start
 * time (clock ticks after boot), which together tell a live container init from an exited one or
 * from a reused pid.
 */
public record ProcStat(int pid, char state, int ppid, long startTime) {

  /** The stat of {@code pid}, or null when no such process exists. */
  public static ProcStat of(int pid) {
    if (pid <= 0) return null;
    String s;
    try (Fd fd = Linux.open("/proc/" + pid + "/stat", LinuxConstants.O_RDONLY, 0)) {
      s = new String(Linux.readAll(fd), StandardCharsets.UTF_8);
    } catch (ErrnoException e) {
      return null; // ENOENT: gone (ESRCH, EACCES: not ours to see, as good as gone)
    }
    return parse(pid, s);
  }

  /**
   * Parses a stat line; the command name may hold spaces and parentheses, so fields count from the
   * last ')'.
   */
  public static ProcStat parse(int pid, String line) {
    int close = line.lastIndexOf(')');
    String[] f = line.substring(close + 2).trim().split(" ");
    // f[0] is field 3 (state); field 4 ppid; field 22 starttime.
    return new ProcStat(pid, f[0].charAt(0), Integer.parseInt(f[1]), Long.parseLong(f[19]));
  }

  /** True when the process has exited but is not yet reaped, or is dead. */
  public boolean isGone() {
    return state == 'Z' || state == 'X' || state == 'x';
  }
}
