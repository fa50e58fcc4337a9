package dev.berth.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The supervisor's side of seccomp user notification, against a filter loaded on one thread of this
 * JVM (a filter binds only the thread that loads it; no_new_privs, also per thread, makes it work
 * without root).
 */
class SeccompNotifyTest {
  private static final int SECCOMP_SET_MODE_FILTER = 1;
  private static final int SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
  private static final int RET_USER_NOTIF = 0x7fc00000;
  private static final int RET_ALLOW = 0x7fff0000;
  private static final int SECCOMP_NR = Arch.AARCH64 ? 277 : 317;

  /** Loads "getppid: notify, anything else: allow" on the calling thread; returns the notify fd. */
  private static Fd notifyGetppid() throws ErrnoException {
    Linux.prctl(LinuxConstants.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    Scratch s = Scratch.get();
    Scratch.Mem insns = s.alloc(8 * 4);
    insn(insns, 0, 0x20, 0, 0, 0); // ld [0]: seccomp_data.nr
    insn(insns, 1, 0x15, 0, 1, Nr.GETPPID); // jeq getppid
    insn(insns, 2, 0x06, 0, 0, RET_USER_NOTIF);
    insn(insns, 3, 0x06, 0, 0, RET_ALLOW);
    Scratch.Mem prog = s.alloc(16).putShort(0, (short) 4).putLong(8, insns.addr);
    long r =
        Native.syscall6(
            SECCOMP_NR,
            SECCOMP_SET_MODE_FILTER,
            SECCOMP_FILTER_FLAG_NEW_LISTENER,
            prog.addr,
            0,
            0,
            0);
    if (r < 0) throw new ErrnoException((int) -r, "seccomp", "SECCOMP_SET_MODE_FILTER");
    return new Fd((int) r);
  }

  private static void insn(Scratch.Mem m, int i, int code, int jt, int jf, int k) {
    m.putShort(8 * i, (short) code)
        .put(8 * i + 2, (byte) jt)
        .put(8 * i + 3, (byte) jf)
        .putInt(8 * i + 4, k);
  }

  @Test
  void receivesTheCallAndItsAnswerIsWhatTheCallerGets() throws Exception {
    CompletableFuture<Fd> listener = new CompletableFuture<>();
    CompletableFuture<int[]> results = new CompletableFuture<>();
    int[] tid = new int[1];
    Thread filtered =
        Thread.ofPlatform()
            .daemon()
            .name("filtered")
            .start(
                () -> {
                  try {
                    tid[0] = Linux.gettid();
                    listener.complete(notifyGetppid());
                  } catch (Throwable e) {
                    listener.completeExceptionally(e);
                    return;
                  }
                  results.complete(new int[] {Linux.getppid(), Linux.getppid(), Linux.getppid()});
                });
    try (Fd fd = listener.get(10, TimeUnit.SECONDS)) {
      SeccompNotification n = Linux.seccompNotifyReceive(fd);
      assertEquals(Nr.GETPPID, n.nr());
      assertEquals(tid[0], n.pid(), "the calling thread");
      Linux.seccompNotifySend(fd, n.id(), 0, 4242, 0);

      n = Linux.seccompNotifyReceive(fd);
      Linux.seccompNotifySend(fd, n.id(), LinuxConstants.EPERM, 0, 0);

      n = Linux.seccompNotifyReceive(fd);
      Linux.seccompNotifySend(fd, n.id(), 0, 0, LinuxConstants.SECCOMP_USER_NOTIF_FLAG_CONTINUE);

      int[] got = results.get(10, TimeUnit.SECONDS);
      assertEquals(4242, got[0], "the value the supervisor chose");
      assertEquals(-LinuxConstants.EPERM, got[1], "the errno the supervisor chose");
      assertEquals(Linux.getppid(), got[2], "the real call, continued");

      // An answer to a call that is over: the kernel knows no such id any more.
      long stale = n.id();
      ErrnoException e =
          assertThrows(ErrnoException.class, () -> Linux.seccompNotifySend(fd, stale, 0, 0, 0));
      assertEquals(LinuxConstants.ENOENT, e.errno());
      assertTrue(
          e.getMessage().startsWith("ioctl SECCOMP_IOCTL_NOTIF_SEND notification "),
          e.getMessage());
    } finally {
      filtered.join(10_000);
    }
  }

  @Test
  void misuseIsRefusedAndTheErrorNamesTheCall() throws Exception {
    try (Fd fd = Linux.open("/dev/null", LinuxConstants.O_RDONLY, 0)) {
      assertThrows(IllegalArgumentException.class, () -> Linux.seccompNotifySend(fd, 1, -1, 0, 0));
      ErrnoException e = assertThrows(ErrnoException.class, () -> Linux.seccompNotifyReceive(fd));
      assertTrue(e.getMessage().startsWith("ioctl SECCOMP_IOCTL_NOTIF_RECV fd "), e.getMessage());
    }
  }
}
