package dev.berth.api.cri.streaming;

/**
 * A terminal size as the clients send it on the resize stream ({@code {"Width":..,"Height":..}}).
 */
public record TerminalSize(int width, int height) {}
