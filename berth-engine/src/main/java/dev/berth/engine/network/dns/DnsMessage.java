package dev.berth.engine.network.dns;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A DNS message (RFC 1035 section 4): the header, questions and the three record sections. Names
 * are dotted text without the trailing dot (the root is ""), a byte that is not printable ASCII, a
 * dot or a backslash inside a label written {@code \DDD} (RFC 4343's presentation), so any wire
 * name reads and writes back unchanged. Record data stays raw bytes; {@link #a}, {@link #ptr} and
 * {@link #opt} make the three kinds the responder writes.
 *
 * <p>{@link #parse} reads hostile bytes without throwing anything but {@link DnsFormatException}:
 * section counts are checked against the bytes left before anything is allocated, compression
 * pointers must point strictly backwards (which also ends every loop) and a name is at most 255
 * bytes. {@link #encode} compresses names (RFC 1035 4.1.4) and truncates to a size: a message that
 * does not fit goes out with its question only and TC set, as a UDP client then retries over TCP.
 */
public record DnsMessage(
    int id,
    int flags,
    List<Question> questions,
    List<Record> answers,
    List<Record> authorities,
    List<Record> additionals) {

  public static final int TYPE_A = 1;
  public static final int TYPE_PTR = 12;
  public static final int TYPE_AAAA = 28;
  public static final int TYPE_OPT = 41;
  public static final int TYPE_ANY = 255;
  public static final int CLASS_IN = 1;

  public static final int RCODE_NOERROR = 0;
  public static final int RCODE_FORMERR = 1;
  public static final int RCODE_SERVFAIL = 2;
  public static final int RCODE_NXDOMAIN = 3;
  public static final int RCODE_NOTIMP = 4;
  public static final int RCODE_REFUSED = 5;

  public static final int FLAG_QR = 0x8000;
  public static final int FLAG_AA = 0x0400;
  public static final int FLAG_TC = 0x0200;
  public static final int FLAG_RD = 0x0100;
  public static final int FLAG_RA = 0x0080;

  /** The classic UDP limit (RFC 1035 4.2.1) and the largest EDNS0 size we honour. */
  public static final int UDP_MIN = 512;

  public static final int UDP_MAX = 4096;

  static final int HEADER = 12;
  static final int MAX_NAME = 255;
  static final int MAX_LABEL = 63;

  public DnsMessage {
    id &= 0xffff;
    flags &= 0xffff;
    questions = List.copyOf(questions);
    answers = List.copyOf(answers);
    authorities = List.copyOf(authorities);
    additionals = List.copyOf(additionals);
  }

  public record Question(String name, int type, int klass) {}

  /** A resource record; for OPT, {@code klass} is the sender's UDP payload size. */
  public record Record(String name, int type, int klass, long ttl, byte[] data) {
    public Record {
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }
  }

  public boolean isResponse() {
    return (flags & FLAG_QR) != 0;
  }

  public int opcode() {
    return (flags >> 11) & 0xf;
  }

  public int rcode() {
    return flags & 0xf;
  }

  public boolean truncated() {
    return (flags & FLAG_TC) != 0;
  }

  /** The EDNS0 OPT record of the additional section, or null. */
  public Record opt() {
    for (Record r : additionals) if (r.type() == TYPE_OPT) return r;
    return null;
  }

  /**
   * How large a UDP answer to this query may be: 512, or the EDNS0 size it offers (at most {@value
   * #UDP_MAX}).
   */
  public int udpLimit() {
    Record o = opt();
    if (o == null) return UDP_MIN;
    return Math.min(UDP_MAX, Math.max(UDP_MIN, o.klass()));
  }

  // ---- records the responder makes ----

  public static Record a(String name, long ttl, int address) {
    byte[] d = {
      (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
    };
    return new Record(name, TYPE_A, CLASS_IN, ttl, d);
  }

  public static Record ptr(String name, long ttl, String target) {
    Writer w = new Writer(MAX_NAME + 1);
    w.name(target, null);
    return new Record(name, TYPE_PTR, CLASS_IN, ttl, w.toBytes());
  }

  /** An EDNS0 OPT pseudo-record offering {@code udpSize}. */
  public static Record opt(int udpSize) {
    return new Record("", TYPE_OPT, udpSize, 0, new byte[0]);
  }

  /**
   * The answer skeleton to {@code query}: same id, opcode and RD, QR and RA set, its questions, the
   * given rcode and flags.
   */
  public static DnsMessage reply(
      DnsMessage query, int rcode, int extraFlags, List<Record> answers, boolean withOpt) {
    int flags =
        FLAG_QR | (query.flags & 0x7800) | (query.flags & FLAG_RD) | FLAG_RA | extraFlags | rcode;
    List<Record> additional = withOpt ? List.of(opt(UDP_MAX)) : List.of();
    return new DnsMessage(query.id, flags, query.questions, answers, List.of(), additional);
  }

  // ---- reading ----

  public static DnsMessage parse(byte[] b) throws DnsFormatException {
    return parse(b, b.length);
  }

  /** Reads the first {@code length} bytes of {@code b}. */
  public static DnsMessage parse(byte[] b, int length) throws DnsFormatException {
    if (length < HEADER) throw new DnsFormatException("short message: " + length + " bytes");
    if (length > 65535 || length > b.length)
      throw new DnsFormatException("message of " + length + " bytes");
    Reader r = new Reader(b, length);
    int id = r.u16();
    int flags = r.u16();
    int qd = r.u16();
    int an = r.u16();
    int ns = r.u16();
    int ar = r.u16();
    // The smallest question is 5 bytes (root name, type, class), the smallest record 11.
    long least = 5L * qd + 11L * (an + ns + ar);
    if (least > length - HEADER) {
      throw new DnsFormatException(
          "counts "
              + qd
              + "/"
              + an
              + "/"
              + ns
              + "/"
              + ar
              + " exceed a "
              + length
              + "-byte message");
    }
    List<Question> questions = new ArrayList<>(qd);
    for (int i = 0; i < qd; i++) questions.add(new Question(r.name(), r.u16(), r.u16()));
    List<Record> answers = r.records(an);
    List<Record> authorities = r.records(ns);
    List<Record> additionals = r.records(ar);
    return new DnsMessage(id, flags, questions, answers, authorities, additionals);
  }

  /** The id of a message of at least 2 bytes. */
  static int readId(byte[] b) {
    return ((b[0] & 0xff) << 8) | (b[1] & 0xff);
  }

  /** Sets the id of a message of at least 2 bytes. */
  static void writeId(byte[] b, int id) {
    b[0] = (byte) (id >>> 8);
    b[1] = (byte) id;
  }

  private static final class Reader {
    final byte[] b;
    final int end;
    int at;

    Reader(byte[] b, int end) {
      this.b = b;
      this.end = end;
    }

    int u8() throws DnsFormatException {
      if (at >= end) throw new DnsFormatException("message ends at byte " + at);
      return b[at++] & 0xff;
    }

    int u16() throws DnsFormatException {
      if (at + 2 > end) throw new DnsFormatException("message ends at byte " + at);
      int v = ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
      at += 2;
      return v;
    }

    long u32() throws DnsFormatException {
      return ((long) u16() << 16) | u16();
    }

    List<Record> records(int count) throws DnsFormatException {
      List<Record> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String name = name();
        int type = u16();
        int klass = u16();
        long ttl = u32();
        int len = u16();
        if (at + len > end)
          throw new DnsFormatException("record data of " + len + " bytes past the end");
        byte[] data = java.util.Arrays.copyOfRange(b, at, at + len);
        at += len;
        out.add(new Record(name, type, klass, ttl, data));
      }
      return out;
    }

    /**
     * A name at the cursor, following compression pointers; each pointer must go strictly below the
     * start of the labels it continues, so there are at most as many jumps as bytes.
     */
    String name() throws DnsFormatException {
      StringBuilder sb = new StringBuilder();
      int pos = at;
      int limit = pos; // a pointer must target below this
      boolean jumped = false;
      int wire = 1; // the final zero byte
      while (true) {
        if (pos >= end) throw new DnsFormatException("name runs past the end at byte " + pos);
        int len = b[pos] & 0xff;
        if (len == 0) {
          pos++;
          break;
        }
        int kind = len & 0xc0;
        if (kind == 0xc0) {
          if (pos + 1 >= end) throw new DnsFormatException("pointer cut at byte " + pos);
          int target = ((len & 0x3f) << 8) | (b[pos + 1] & 0xff);
          if (target >= limit)
            throw new DnsFormatException(
                "compression pointer at byte " + pos + " to " + target + " does not point back");
          if (!jumped) at = pos + 2;
          jumped = true;
          pos = target;
          limit = target;
          continue;
        }
        if (kind != 0) throw new DnsFormatException("label type " + kind + " at byte " + pos);
        if (pos + 1 + len > end) throw new DnsFormatException("label runs past the end at " + pos);
        wire += len + 1;
        if (wire > MAX_NAME) throw new DnsFormatException("name longer than 255 bytes");
        if (!sb.isEmpty()) sb.append('.');
        appendLabel(sb, b, pos + 1, len);
        pos += 1 + len;
      }
      if (!jumped) at = pos;
      return sb.toString();
    }
  }

  private static void appendLabel(StringBuilder sb, byte[] b, int from, int len) {
    for (int i = from; i < from + len; i++) {
      int c = b[i] & 0xff;
      if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append('\\');
        if (c < 100) sb.append('0');
        if (c < 10) sb.append('0');
        sb.append(c);
      }
    }
  }

  /** The wire labels of a dotted name (escapes undone); IllegalArgumentException when invalid. */
  static List<byte[]> labels(String name) {
    List<byte[]> out = new ArrayList<>();
    if (name.isEmpty()) return out;
    byte[] s = name.getBytes(StandardCharsets.UTF_8);
    byte[] label = new byte[s.length];
    int n = 0;
    int total = 1;
    for (int i = 0; i <= s.length; i++) {
      if (i == s.length || s[i] == '.') {
        if (n == 0 || n > MAX_LABEL) throw new IllegalArgumentException("bad label in " + name);
        out.add(java.util.Arrays.copyOf(label, n));
        total += n + 1;
        n = 0;
        continue;
      }
      if (s[i] == '\\') {
        if (i + 3 >= s.length) {
          throw new IllegalArgumentException("bad escape in " + name);
        }
        int v = 0;
        for (int k = 1; k <= 3; k++) {
          int d = s[i + k] - '0';
          if (d < 0 || d > 9) throw new IllegalArgumentException("bad escape in " + name);
          v = v * 10 + d;
        }
        if (v > 255) throw new IllegalArgumentException("bad escape in " + name);
        label[n++] = (byte) v;
        i += 3;
      } else {
        label[n++] = s[i];
      }
    }
    if (total > MAX_NAME) throw new IllegalArgumentException("name longer than 255 bytes");
    return out;
  }

  // ---- writing ----

  /** The wire form, uncut. */
  public byte[] encode() {
    return encode(65535);
  }

  /**
   * The wire form in at most {@code limit} bytes: when the records do not fit, the header and
   * questions with TC set (and the OPT record, so the client keeps its EDNS size).
   */
  public byte[] encode(int limit) {
    byte[] whole = write(answers, authorities, additionals, flags);
    if (whole.length <= limit) return whole;
    Record o = opt();
    byte[] cut = write(List.of(), List.of(), o == null ? List.of() : List.of(o), flags | FLAG_TC);
    if (cut.length <= limit) return cut;
    return write(List.of(), List.of(), List.of(), flags | FLAG_TC);
  }

  private byte[] write(List<Record> an, List<Record> ns, List<Record> ar, int withFlags) {
    Writer w = new Writer(512);
    w.u16(id).u16(withFlags).u16(questions.size()).u16(an.size()).u16(ns.size()).u16(ar.size());
    Map<String, Integer> offsets = new HashMap<>();
    for (Question q : questions) {
      w.name(q.name(), offsets);
      w.u16(q.type()).u16(q.klass());
    }
    for (List<Record> section : List.of(an, ns, ar)) {
      for (Record r : section) {
        w.name(r.name(), offsets);
        w.u16(r.type()).u16(r.klass()).u32(r.ttl());
        byte[] d = r.data;
        w.u16(d.length).bytes(d);
      }
    }
    return w.toBytes();
  }

  private static final class Writer {
    byte[] buf;
    int size;

    Writer(int capacity) {
      buf = new byte[capacity];
    }

    private void room(int n) {
      if (size + n > buf.length)
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
    }

    Writer u16(int v) {
      room(2);
      buf[size++] = (byte) (v >>> 8);
      buf[size++] = (byte) v;
      return this;
    }

    Writer u32(long v) {
      return u16((int) (v >>> 16)).u16((int) v);
    }

    Writer bytes(byte[] b) {
      room(b.length);
      System.arraycopy(b, 0, buf, size, b.length);
      size += b.length;
      return this;
    }

    /**
     * A name, as a pointer to an earlier copy of its longest known suffix when {@code offsets} is
     * given (names compare case-insensitively, as DNS does).
     */
    void name(String name, Map<String, Integer> offsets) {
      List<byte[]> labels = labels(name);
      for (int i = 0; i < labels.size(); i++) {
        if (offsets != null) {
          String suffix = suffix(labels, i);
          Integer at = offsets.get(suffix);
          if (at != null) {
            u16(0xc000 | at);
            return;
          }
          if (size < 0x4000) offsets.put(suffix, size);
        }
        byte[] l = labels.get(i);
        room(1 + l.length);
        buf[size++] = (byte) l.length;
        System.arraycopy(l, 0, buf, size, l.length);
        size += l.length;
      }
      room(1);
      buf[size++] = 0;
    }

    private static String suffix(List<byte[]> labels, int from) {
      StringBuilder sb = new StringBuilder();
      for (int i = from; i < labels.size(); i++) {
        sb.append(new String(labels.get(i), StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
        sb.append('\0');
      }
      return sb.toString();
    }

    byte[] toBytes() {
      return java.util.Arrays.copyOf(buf, size);
    }
  }
}
