package dev.berth.engine.container;

import java.util.List;

/**
 * The networking flags of {@code create}/{@code run} beyond the network mode ({@link
 * ContainerOptions#network()}): docker's {@code --network} given again, {@code --network-alias},
 * {@code --ip}, {@code --add-host}, {@code --dns*}, {@code -p} and {@code -P}. Empty means "not
 * given".
 *
 * @param networks further networks (user networks or "bridge") the container is attached to, after
 *     its first
 * @param aliases names the container also answers to on its user networks ({@code --network-alias})
 * @param ip the address on its first network ({@code --ip}), or null for one from the network's
 *     pool
 * @param extraHosts {@code host:ip} lines added to its /etc/hosts ({@code --add-host})
 * @param dns nameservers of its /etc/resolv.conf instead of the host's
 * @param dnsSearch search domains
 * @param dnsOptions resolver options ({@code ndots:2})
 * @param ports published ports ({@code -p})
 * @param publishAll publish every port the image or {@code --expose} exposes on a free host port
 *     ({@code -P})
 * @param expose further ports the container exposes ({@code --expose}, docker's Config.ExposedPorts
 *     beyond the image's), as keys {@code 80/tcp}
 * @param macAddress the MAC address of its interface on its first network ({@code --mac-address}),
 *     or null for one the kernel picks
 */
public record NetworkOptions(
    List<String> networks,
    List<String> aliases,
    String ip,
    List<String> extraHosts,
    List<String> dns,
    List<String> dnsSearch,
    List<String> dnsOptions,
    List<PortOption> ports,
    boolean publishAll,
    List<String> expose,
    String macAddress) {
  public static final NetworkOptions NONE =
      new NetworkOptions(null, null, null, null, null, null, null, null, false, null, null);

  /** The options without ports exposed beyond the image's. */
  public NetworkOptions(
      List<String> networks,
      List<String> aliases,
      String ip,
      List<String> extraHosts,
      List<String> dns,
      List<String> dnsSearch,
      List<String> dnsOptions,
      List<PortOption> ports,
      boolean publishAll) {
    this(
        networks,
        aliases,
        ip,
        extraHosts,
        dns,
        dnsSearch,
        dnsOptions,
        ports,
        publishAll,
        null,
        null);
  }

  public NetworkOptions {
    networks = networks == null ? List.of() : List.copyOf(networks);
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
    ip = ip == null || ip.isEmpty() ? null : ip;
    extraHosts = extraHosts == null ? List.of() : List.copyOf(extraHosts);
    dns = dns == null ? List.of() : List.copyOf(dns);
    dnsSearch = dnsSearch == null ? List.of() : List.copyOf(dnsSearch);
    dnsOptions = dnsOptions == null ? List.of() : List.copyOf(dnsOptions);
    ports = ports == null ? List.of() : List.copyOf(ports);
    expose = expose == null ? List.of() : List.copyOf(expose);
    macAddress = macAddress == null || macAddress.isEmpty() ? null : macAddress;
  }

  /**
   * A published port: {@code hostIp} empty for every address, {@code hostPort} 0 for a free one
   * chosen at start.
   *
   * @param protocol tcp or udp
   */
  public record PortOption(String hostIp, int hostPort, int containerPort, String protocol) {
    public PortOption {
      hostIp = hostIp == null ? "" : hostIp;
      protocol = protocol == null || protocol.isEmpty() ? "tcp" : protocol;
      if (containerPort < 1 || containerPort > 65535) {
        throw new IllegalArgumentException("invalid containerPort: " + containerPort);
      }
      if (hostPort < 0 || hostPort > 65535)
        throw new IllegalArgumentException("invalid hostPort: " + hostPort);
    }

    /** docker's key of a container port: {@code 80/tcp}. */
    public String key() {
      return containerPort + "/" + protocol;
    }
  }
}
