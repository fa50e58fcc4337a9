package dev.berth.api.cri.streaming;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * One forwarded connection's client side: what the client sends ({@code in}: its end is the
 * client's half-close) and where to write to it ({@code out}: closing it half-closes towards the
 * client).
 */
public record Duplex(InputStream in, OutputStream out) {}
