package dev.berth.sys;

/**
 * What recvmsg(2) got: the number of data bytes (0 at end of stream) and the fds that came with
 * them (SCM_RIGHTS), already close-on-exec. The caller owns the fds: wrap each in {@code new
 * Fd(n)}.
 */
public record Received(int bytes, int[] fds) {}
