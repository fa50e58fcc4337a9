package dev.berth.engine.network;

/**
 * An IPv4 network in CIDR form, normalised ({@code 10.87.0.0/16}): parsing, containment, overlap
 * and the addresses the bridge network uses (the gateway is the first host address, as docker and
 * podman choose it).
 */
public record Subnet(int base, int prefix) {
  public Subnet {
    if (prefix < 0 || prefix > 32)
      throw new IllegalArgumentException("prefix length " + prefix + " out of 0-32");
    base &= mask(prefix);
  }

  /** Parses {@code a.b.c.d/n}; IllegalArgumentException naming the text when it is not one. */
  public static Subnet parse(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0)
      throw new IllegalArgumentException(
          "invalid subnet " + cidr + ": expected address/prefix length");
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid subnet " + cidr + ": bad prefix length");
    }
    if (prefix < 0 || prefix > 32)
      throw new IllegalArgumentException("invalid subnet " + cidr + ": prefix length");
    return new Subnet(parseAddress(cidr.substring(0, slash)), prefix);
  }

  /** Parses a dotted quad; IllegalArgumentException naming it otherwise. */
  public static int parseAddress(String ip) {
    String[] parts = ip.split("\\.", -1);
    if (parts.length != 4) throw new IllegalArgumentException("invalid IPv4 address " + ip);
    int a = 0;
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("invalid IPv4 address " + ip);
      }
      int v = Integer.parseInt(p);
      if (v > 255) throw new IllegalArgumentException("invalid IPv4 address " + ip);
      a = a << 8 | v;
    }
    return a;
  }

  public static String format(int addr) {
    return (addr >>> 24)
        + "."
        + (addr >>> 16 & 255)
        + "."
        + (addr >>> 8 & 255)
        + "."
        + (addr & 255);
  }

  static int mask(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  public boolean contains(int addr) {
    return (addr & mask(prefix)) == base;
  }

  public boolean overlaps(Subnet o) {
    int p = Math.min(prefix, o.prefix);
    return ((base ^ o.base) & mask(p)) == 0;
  }

  /**
   * The first host address ({@code .1} of a /24): the bridge's address, the containers' gateway.
   */
  public int firstHost() {
    return base + 1;
  }

  /** The {@code n}-th subnet of length {@code length} inside this one. */
  public Subnet child(int length, int n) {
    return new Subnet(base + (n << (32 - length)), length);
  }

  @Override
  public String toString() {
    return format(base) + "/" + prefix;
  }
}
