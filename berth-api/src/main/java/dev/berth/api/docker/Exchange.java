package dev.berth.api.docker;

import dev.berth.spec.json.JsonReader;
import dev.berth.spec.json.JsonWriter;
import dev.berth.spec.json.SpecException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * One request and its answer, handed to a route's {@link Router.Handler} on a worker thread. The
 * handler answers exactly once: whole ({@link #json}, {@link #respond}), as a stream ({@link
 * #stream}), or by taking the connection over ({@link #hijack}); a handler that returns without
 * answering answers 204, one that throws before answering gets docker's JSON error, with the status
 * of the exception's category ({@link DockerStatus}) or of an {@link ApiError}.
 */
public final class Exchange {
  /** The JSON content type, as dockerd sends it. */
  public static final String JSON = "application/json";

  enum State {
    OPEN,
    STREAMING,
    DONE,
    HIJACKED
  }

  private final HttpConnection connection;
  private final Channel channel;
  private final String method;
  private final String path;
  private final String version;
  private final HttpHeaders headers;
  private final Map<String, List<String>> query;
  private final Map<String, String> params;
  private final boolean keepAlive;
  private byte[] body;
  private InboundStream bodyStream;
  private State state = State.OPEN;
  private final HttpHeaders answerHeaders = new io.netty.handler.codec.http.DefaultHttpHeaders();
  private ResponseStream stream;
  private volatile boolean handedOff;

  Exchange(
      HttpConnection connection,
      Channel channel,
      String method,
      String path,
      String version,
      HttpHeaders headers,
      Map<String, List<String>> query,
      Map<String, String> params,
      boolean keepAlive) {
    this.connection = connection;
    this.channel = channel;
    this.method = method;
    this.path = path;
    this.version = version;
    this.headers = headers;
    this.query = query;
    this.params = params;
    this.keepAlive = keepAlive;
  }

  // ---- the request ----

  public String method() {
    return method;
  }

  /** The path without its version prefix ("/images/json"). */
  public String path() {
    return path;
  }

  /** The API version the client asked for ("1.44" for an unversioned path). */
  public String apiVersion() {
    return version;
  }

  /** A path parameter of the route's pattern. */
  public String param(String name) {
    return params.get(name);
  }

  /** A query parameter's first value, or null. */
  public String query(String name) {
    List<String> v = query.get(name);
    return v == null || v.isEmpty() ? null : v.get(0);
  }

  /** A query parameter's first value, or {@code dflt} when absent or empty. */
  public String query(String name, String dflt) {
    String v = query(name);
    return v == null || v.isEmpty() ? dflt : v;
  }

  /** Every value of a repeated query parameter ({@code names=a&names=b}). */
  public List<String> queryAll(String name) {
    List<String> v = query.get(name);
    return v == null ? List.of() : v;
  }

  /**
   * A boolean query parameter as dockerd reads one: absent, empty, "0", "no", "false" and "none"
   * are false, anything else true.
   */
  public boolean bool(String name) {
    String v = query(name);
    if (v == null) return false;
    return switch (v.toLowerCase(java.util.Locale.ROOT)) {
      case "", "0", "no", "false", "none" -> false;
      default -> true;
    };
  }

  /** An integer query parameter, {@code dflt} when absent; 400 when not a number. */
  public long integer(String name, long dflt) throws ApiError {
    String v = query(name);
    if (v == null || v.isEmpty()) return dflt;
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("invalid value for " + name + ": " + v);
    }
  }

  /** The {@code filters} query parameter. */
  public Filters filters() throws ApiError {
    return Filters.parse(query("filters"));
  }

  public String header(String name) {
    return headers.get(name);
  }

  /**
   * A base64url JSON header as docker's clients send credentials ({@code X-Registry-Auth}), parsed
   * as a reader, or null when absent or empty.
   */
  public JsonReader base64Json(String name) throws ApiError {
    String v = header(name);
    if (v == null || v.isBlank()) return null;
    byte[] json;
    try {
      json = Base64.getUrlDecoder().decode(v.trim().replace('+', '-').replace('/', '_'));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(name + ": not base64: " + e.getMessage());
    }
    if (json.length == 0) return null;
    try {
      return JsonReader.of(json, name);
    } catch (SpecException e) {
      throw ApiError.badRequest(e.getMessage());
    }
  }

  /**
   * The request body, read whole (empty when there is none). Not for {@link Router.Body#STREAM}.
   */
  public byte[] body() {
    return body == null ? new byte[0] : body;
  }

  /**
   * The body as JSON; a missing or malformed body is a 400 naming the position, and so is every
   * {@link SpecException} its reader throws later (the dispatcher maps them).
   */
  public JsonReader json() throws ApiError {
    if (body == null || body.length == 0) throw ApiError.badRequest("request body is empty");
    try {
      return JsonReader.of(body, "request body");
    } catch (SpecException e) {
      throw ApiError.badRequest(e.getMessage());
    }
  }

  /** The body as it arrives: routes added with {@link Router.Body#STREAM}. */
  public InputStream bodyStream() {
    if (bodyStream == null) return InputStream.nullInputStream();
    return bodyStream;
  }

  /** Whether the client is still connected. */
  public boolean clientConnected() {
    return channel.isActive();
  }

  // ---- the answer ----

  /** Adds a header to the answer; before it is sent ({@code X-Docker-Container-Path-Stat}). */
  public void answerHeader(String name, String value) {
    answerHeaders.add(name, value);
  }

  /** A JSON answer of the tree (maps, lists, strings, numbers; {@link JsonWriter#tree}). */
  public void json(int status, Object tree) {
    json(status, new JsonWriter(JsonWriter.COMPACT).tree(tree));
  }

  /** A JSON answer written with a {@link JsonWriter}. */
  public void json(int status, JsonWriter w) {
    byte[] b = w.toByteArray();
    byte[] line = java.util.Arrays.copyOf(b, b.length + 1);
    line[b.length] = '\n'; // dockerd's encoder ends its documents with a newline
    respond(status, JSON, line);
  }

  /** An answer with no body (201, 204, 304...). */
  public void respond(int status) {
    respond(status, null, new byte[0]);
  }

  /** A whole answer. */
  public void respond(int status, String contentType, byte[] content) {
    begin(State.DONE);
    boolean head = method.equals("HEAD");
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(status),
            head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content));
    r.headers().add(answerHeaders);
    if (contentType != null) r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
    send(r);
  }

  /** docker's error answer: {@code {"message": "..."}}. */
  public void error(int status, String message) {
    json(
        status,
        new JsonWriter(JsonWriter.COMPACT).beginObject().field("message", message).endObject());
  }

  /**
   * Starts a chunked answer; the handler writes it, and it ends when the handler returns (or closes
   * it). Headers go out at once: clients wait for them (docker events, wait).
   */
  public ResponseStream stream(int status, String contentType) {
    begin(State.STREAMING);
    HttpResponse r =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
    r.headers().add(answerHeaders);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    r.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    connection.decorate(r, keepAlive);
    channel.writeAndFlush(r);
    stream = new ResponseStream(channel, DefaultHttpContent::new);
    return stream;
  }

  /**
   * Hands the stream begun with {@link #stream} over to {@code task}, looked at by the server's
   * {@link StreamTicker}: the handler returns at once and its thread goes back to the pool. The
   * stream ends when the task says so (its last chunk is written and the connection serves on),
   * when it throws (the connection closes), or when the client leaves. From now on the stream's
   * writes never wait: the task writes only while {@link ResponseStream#writable()}.
   */
  public void handOff(StreamTicker.Task task) {
    if (state != State.STREAMING || stream == null) {
      throw new IllegalStateException("hand-off without a stream: " + method + " " + path);
    }
    handedOff = true;
    stream.neverWait();
    ResponseStream s = stream;
    connection
        .ticker()
        .add(
            new StreamTicker.Task() {
              @Override
              public boolean tick() throws Exception {
                return s.isOpen() && task.tick();
              }

              @Override
              public void end(Throwable failure) {
                try {
                  task.end(failure);
                } finally {
                  if (failure == null) endStream();
                  else fail(500, String.valueOf(failure.getMessage()));
                }
              }
            });
  }

  /**
   * Takes the connection over from HTTP: {@code 101 UPGRADED} with {@code Upgrade: tcp} when the
   * client asked for it ({@code Connection: Upgrade}), else {@code 200 OK}; then raw bytes both
   * ways, {@code contentType} naming them ({@code application/vnd.docker.raw-stream}, or {@code
   * application/vnd.docker.multiplexed-stream} when framed by {@link StdFrames}). The handler owns
   * the connection until it closes it.
   */
  public Hijacked hijack(String contentType) {
    begin(State.HIJACKED);
    boolean upgrade = "tcp".equalsIgnoreCase(headers.get(HttpHeaderNames.UPGRADE, ""));
    return connection.hijack(upgrade, contentType);
  }

  State state() {
    return state;
  }

  void body(byte[] b) {
    this.body = b;
  }

  void bodyStream(InboundStream s) {
    this.bodyStream = s;
  }

  InboundStream inbound() {
    return bodyStream;
  }

  boolean keepAlive() {
    return keepAlive;
  }

  /** After the handler returned: ends a stream, or answers 204 if nothing was answered. */
  void finish() {
    switch (state) {
      case OPEN -> respond(204);
      case STREAMING -> {
        if (!handedOff) endStream();
      }
      default -> {}
    }
  }

  /** After the handler threw: an error answer if still possible, else the connection goes. */
  void fail(int status, String message) {
    switch (state) {
      case OPEN -> error(status, message);
      case STREAMING -> {
        stream.markClosed();
        channel.close();
      }
      case HIJACKED -> channel.close();
      case DONE -> {}
    }
  }

  private synchronized void endStream() {
    if (stream.closed()) return;
    stream.markClosed();
    if (!channel.isActive()) {
      connection.responded(false);
      return;
    }
    channel
        .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
        .addListener((ChannelFutureListener) f -> connection.responded(keepAlive && f.isSuccess()));
  }

  private void send(FullHttpResponse r) {
    connection.decorate(r, keepAlive);
    channel
        .writeAndFlush(r)
        .addListener((ChannelFutureListener) f -> connection.responded(keepAlive && f.isSuccess()));
  }

  private void begin(State next) {
    if (state != State.OPEN)
      throw new IllegalStateException("answered twice: " + method + " " + path);
    state = next;
  }

  static ByteBuf ascii(String s) {
    return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.US_ASCII));
  }
}
