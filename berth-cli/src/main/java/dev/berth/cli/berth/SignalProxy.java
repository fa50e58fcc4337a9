package dev.berth.cli.berth;

import java.util.function.IntConsumer;
import sun.misc.Signal;

/**
 * docker's sig-proxy: the signals a foreground session without a terminal passes on to the
 * container's process (SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2), caught with sun.misc.Signal
 * (jdk.unsupported, in the runtime image) as SIGWINCH is. Not SIGQUIT: the JVM keeps it for its
 * thread dump and refuses it to Java code, -Xrs or not (and with -Xrs, INT, TERM and HUP too).
 */
final class SignalProxy {
  private SignalProxy() {}

  private static final String[] PROXIED = {"INT", "TERM", "HUP", "USR1", "USR2"};

  /** From now on, each of those signals is handed to {@code forward} by its number. */
  static void install(IntConsumer forward) {
    for (String name : PROXIED) {
      try {
        Signal.handle(new Signal(name), s -> forward.accept(s.getNumber()));
      } catch (IllegalArgumentException e) {
        // reserved by this JVM: not forwarded
      }
    }
  }
}
