package dev.berth.api.cri;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of a Kubernetes API server (and of the kubelet behind it) that kubectl's exec, attach
 * and port-forward go through, so that kubectl's own client-go streaming code can be pointed at
 * berthd's CRI streaming server: discovery and the pod objects kubectl reads first are answered
 * here; a pod's exec, attach or portforward request makes the CRI call the kubelet would make (the
 * callback), and the upgraded connection is then relayed byte for byte to the URL the CRI returned,
 * as the API server relays it to the kubelet.
 */
final class KubeApiStandIn implements AutoCloseable {
  /** The CRI call behind a pod subresource: returns the streaming URL the runtime gave. */
  interface StreamingCall {
    String url(String verb, String pod, Map<String, List<String>> query) throws Exception;
  }

  private static final Pattern SUBRESOURCE =
      Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)/(exec|attach|portforward)");
  private static final Pattern POD = Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/]+)");

  private final ServerSocket listener;
  private final StreamingCall call;
  private final Map<String, List<String>> pods = new ConcurrentHashMap<>();
  private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());

  /** The upgrade protocols kubectl asked for, one entry per relayed request, in order. */
  final List<String> upgrades = Collections.synchronizedList(new ArrayList<>());

  KubeApiStandIn(StreamingCall call) throws IOException {
    this.call = call;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon(true).name("kube-api-accept").start(this::accept);
  }

  /** The server address for kubectl's {@code --server}. */
  String server() {
    return "http://127.0.0.1:" + listener.getLocalPort();
  }

  /** Makes pod {@code name} (namespace default) known, running, with these containers. */
  void pod(String name, String... containers) {
    pods.put(name, List.of(containers));
  }

  @Override
  public void close() throws IOException {
    listener.close();
    synchronized (open) {
      for (Socket s : open) s.close();
    }
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket s = listener.accept();
        open.add(s);
        Thread.ofPlatform().daemon(true).name("kube-api-conn").start(() -> serve(s));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      String head = readHead(in);
      if (head == null) return;
      String[] lines = head.split("\r\n");
      String[] requestLine = lines[0].split(" ");
      URI target = URI.create(requestLine[1]);
      String path = target.getRawPath();
      Matcher sub = SUBRESOURCE.matcher(path);
      Matcher pod = POD.matcher(path);
      if (sub.matches()) {
        relay(client, requestLine[0], lines, sub.group(3), sub.group(2), query(target));
      } else if (path.equals("/api")) {
        json(out, 200, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}");
      } else if (path.equals("/apis")) {
        json(out, 200, "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[]}");
      } else if (path.equals("/api/v1")) {
        json(out, 200, RESOURCES);
      } else if (path.equals("/version")) {
        json(out, 200, "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0\"}");
      } else if (pod.matches() && pods.containsKey(pod.group(2))) {
        json(out, 200, podJson(pod.group(1), pod.group(2), pods.get(pod.group(2))));
      } else {
        json(
            out,
            404,
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":"
                + "\"NotFound\",\"code\":404,\"message\":\"not found: "
                + path
                + "\"}");
      }
    } catch (Exception e) {
      // the client went away, or the test ended
    } finally {
      open.remove(client);
    }
  }

  /** The CRI call, then the client's request (the path the CRI gave) and its bytes both ways. */
  private void relay(
      Socket client,
      String method,
      String[] lines,
      String verb,
      String pod,
      Map<String, List<String>> query)
      throws Exception {
    String upgrade = "";
    for (String l : lines) {
      if (l.regionMatches(true, 0, "Upgrade:", 0, 8)) upgrade = l.substring(8).trim();
    }
    upgrades.add(verb + " " + upgrade);
    URI url = URI.create(call.url(verb, pod, query));
    try (Socket runtime = new Socket(url.getHost(), url.getPort())) {
      open.add(runtime);
      StringBuilder request = new StringBuilder();
      request.append(method).append(' ').append(url.getRawPath()).append(" HTTP/1.1\r\n");
      request.append("Host: ").append(url.getHost()).append(':').append(url.getPort());
      request.append("\r\n");
      for (int i = 1; i < lines.length; i++) {
        if (!lines[i].regionMatches(true, 0, "Host:", 0, 5)) {
          request.append(lines[i]).append("\r\n");
        }
      }
      request.append("\r\n");
      OutputStream up = runtime.getOutputStream();
      up.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      up.flush();
      Thread back =
          Thread.ofPlatform()
              .daemon(true)
              .name("kube-api-relay")
              .start(() -> copy(runtime, client));
      copy(client, runtime);
      back.join();
    }
  }

  /**
   * Bytes from {@code from} to {@code to} until {@code from} ends; then {@code to}'s output ends.
   */
  private static void copy(Socket from, Socket to) {
    byte[] b = new byte[16384];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(b)) > 0; ) {
        out.write(b, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // either side closed
    }
    try {
      to.shutdownOutput();
    } catch (IOException e) {
      // already closed
    }
  }

  /** The request head up to its empty line, read a byte at a time so no body byte is taken. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    for (int c; (c = in.read()) >= 0; ) {
      head.write(c);
      state = (c == '\r' && state % 2 == 0) || (c == '\n' && state % 2 == 1) ? state + 1 : 0;
      if (state == 4) return head.toString(StandardCharsets.ISO_8859_1);
    }
    return null;
  }

  private static Map<String, List<String>> query(URI target) {
    Map<String, List<String>> q = new LinkedHashMap<>();
    String raw = target.getRawQuery();
    if (raw == null) return q;
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      q.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return q;
  }

  private static void json(OutputStream out, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + (status == 200 ? " OK" : " Not Found")
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + b.length
            + "\r\nConnection: close\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(b);
    out.flush();
  }

  private static String podJson(String namespace, String name, List<String> containers) {
    StringBuilder specs = new StringBuilder();
    StringBuilder statuses = new StringBuilder();
    for (String c : containers) {
      if (!specs.isEmpty()) {
        specs.append(',');
        statuses.append(',');
      }
      specs.append("{\"name\":\"").append(c).append("\",\"image\":\"busybox\"}");
      statuses
          .append("{\"name\":\"")
          .append(c)
          .append("\",\"ready\":true,\"state\":{\"running\":{}}}");
    }
    return "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\""
        + name
        + "\",\"namespace\":\""
        + namespace
        + "\",\"uid\":\"uid-"
        + name
        + "\"},\"spec\":{\"containers\":["
        + specs
        + "]},\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
        + statuses
        + "]}}";
  }

  private static final String RESOURCES =
      "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
          + "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\","
          + "\"verbs\":[\"get\",\"list\"],\"shortNames\":[\"po\"]},"
          + "{\"name\":\"pods/exec\",\"singularName\":\"\",\"namespaced\":true,"
          + "\"kind\":\"PodExecOptions\",\"verbs\":[\"create\",\"get\"]},"
          + "{\"name\":\"pods/attach\",\"singularName\":\"\",\"namespaced\":true,"
          + "\"kind\":\"PodAttachOptions\",\"verbs\":[\"create\",\"get\"]},"
          + "{\"name\":\"pods/portforward\",\"singularName\":\"\",\"namespaced\":true,"
          + "\"kind\":\"PodPortForwardOptions\",\"verbs\":[\"create\",\"get\"]}]}";
}
