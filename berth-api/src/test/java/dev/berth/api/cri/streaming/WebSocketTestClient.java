package dev.berth.api.cri.streaming;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal WebSocket client (RFC 6455, masked frames) for the channel protocols: the upgrade with
 * {@code Sec-WebSocket-Protocol}, then messages whose first byte is the channel.
 */
final class WebSocketTestClient implements AutoCloseable {
  /** A message: its opcode (1 text, 2 binary, 8 close) and payload. */
  record Message(int opcode, byte[] payload) {}

  final Socket socket;
  final int status;
  final String protocol;
  private final DataInputStream in;
  private final OutputStream out;

  WebSocketTestClient(String url, String protocols) throws IOException {
    URI u = URI.create(url);
    socket = new Socket(u.getHost(), u.getPort());
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    String req =
        "GET "
            + u.getRawPath()
            + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery())
            + " HTTP/1.1\r\nHost: "
            + u.getHost()
            + ":"
            + u.getPort()
            + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Key: "
            + Base64.getEncoder().encodeToString(key)
            + "\r\nSec-WebSocket-Protocol: "
            + protocols
            + "\r\n\r\n";
    out.write(req.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    String head = SpdyTestClient.readHead(in);
    status = Integer.parseInt(head.split("\r\n")[0].split(" ")[1]);
    String p = null;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("sec-websocket-protocol:")) p = line.substring(23).trim();
    }
    protocol = p;
  }

  /** Sends a binary message: {@code channel} then {@code data}. */
  void send(int channel, byte[] data) throws IOException {
    byte[] payload = new byte[data.length + 1];
    payload[0] = (byte) channel;
    System.arraycopy(data, 0, payload, 1, data.length);
    frame(2, payload);
  }

  synchronized void frame(int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(0x80 | opcode);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else {
      f.write(0x80 | 126);
      f.write(payload.length >> 8);
      f.write(payload.length & 0xff);
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < payload.length; i++) f.write(payload[i] ^ mask[i & 3]);
    out.write(f.toByteArray());
    out.flush();
  }

  /** The next message, or null at the connection's end. */
  Message read() throws IOException {
    int b0;
    try {
      b0 = in.readUnsignedByte();
    } catch (java.io.EOFException e) {
      return null;
    }
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7f;
    if (len == 126) len = in.readUnsignedShort();
    else if (len == 127) len = in.readLong();
    byte[] payload = new byte[(int) len];
    in.readFully(payload);
    return new Message(b0 & 0x0f, payload);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
