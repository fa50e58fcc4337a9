package dev.berth.engine.network.dns;

/**
 * A DNS message that cannot be read: short, a count larger than the bytes could hold, a compression
 * pointer that loops or points forward, a name over 255 bytes. The responder answers FORMERR or
 * drops the packet; nothing else escapes it.
 */
public final class DnsFormatException extends Exception {
  public DnsFormatException(String message) {
    super(message);
  }
}
