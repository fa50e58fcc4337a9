package dev.berth.image.unpack;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a layer's tar stream entry by entry with the rules of Go's archive/tar, the reader
 * containerd, docker, podman and umoci unpack layers with (so that all of them see the same tree in
 * one layer): ustar, GNU and PAX headers, GNU long names, base-256 numbers, and GNU sparse files in
 * each of their forms (old GNU 'S' headers, PAX 0.0, 0.1 and 1.0) with 64-bit sizes and offsets. As
 * in Go, PAX global headers leave no state behind and the header-only types (links, devices,
 * directories, fifos) have no data whatever their size field says.
 *
 * <p>Not commons-compress' reader: it parses {@code GNU.sparse.size} and {@code
 * GNU.sparse.realsize} as an int (a sparse file of 2 GiB or more fails with "Unable to parse int
 * from string value"), hands holes out as zeros that must be read one by one, and decodes PAX
 * values as UTF-8, which mangles binary xattrs.
 */
public final class TarReader {
  static final int BLOCK = 512;

  /**
   * PAX (global ones too) and GNU long-name headers are held in memory: at most this much each, as
   * Go's reader.
   */
  public static final int MAX_META = 1 << 20;

  private static final String SCHILY = "SCHILY.xattr.";
  private static final String LIBARCHIVE = "LIBARCHIVE.xattr.";

  private final InputStream in;
  private final int maxSparseRegions;
  private final byte[] block = new byte[BLOCK];
  private final byte[] scratch = new byte[64 * 1024];

  /** The numeric fields every entry has, offset and length, in the order {@link #entry} reads. */
  private static final int[] FIELD_AT = {100, 8, 108, 8, 116, 8, 136, 12, 329, 8, 337, 8};

  private static final String[] FIELD_NAMES = {
    "mode", "uid", "gid", "mtime", "devmajor", "devminor"
  };
  private final long[] fields = new long[FIELD_NAMES.length];

  /** Data bytes of the current entry not read yet, and the padding after them. */
  private long remaining;

  private long padding;

  /** Bytes of PAX and GNU long-name headers read so far. */
  private long metaBytes;

  public TarReader(InputStream in, int maxSparseRegions) {
    this.in = in;
    this.maxSparseRegions = maxSparseRegions;
  }

  /**
   * The next entry, or null at the end of the archive (a zero block, or the stream's end between
   * entries). What is left of the previous entry's data is skipped. Errors about one entry are
   * {@link UnpackException}s naming it; other IOExceptions are about the stream (not a tar,
   * truncated).
   */
  public TarHeader next() throws IOException {
    skip(remaining + padding);
    remaining = 0;
    padding = 0;
    byte[] pax = null;
    byte[] longName = null;
    byte[] longLink = null;
    while (true) {
      if (!readHeader()) return null;
      byte type = block[156];
      long size = number(block, 124, 12, "size");
      if (size < 0) throw new IOException("tar header with a negative size");
      switch (type) {
        case 'x' -> pax = readMeta(size, "PAX header"); // a second one replaces the first, as in Go
        case 'L' -> longName = readMeta(size, "GNU long name");
        case 'K' -> longLink = readMeta(size, "GNU long link name");
        // Go keeps no global PAX state, and neither does any layer unpacker; Go bounds it all the
        // same
        case 'g' -> readMeta(size, "PAX global header");
        default -> {
          return entry(type, size, pax, longName, longLink);
        }
      }
    }
  }

  /** Bytes of PAX and GNU long-name headers (each at most {@link #MAX_META}) read so far. */
  public long metaBytes() {
    return metaBytes;
  }

  /** Whether {@link #readDirect} works: the stream is a layer's, inflated into a direct buffer. */
  boolean direct() {
    return in instanceof DirectSource d && d.direct();
  }

  /**
   * Up to {@code max} bytes of the current entry's data as a direct buffer valid until the next
   * read (only when {@link #direct()}); null at its end.
   */
  ByteBuffer readDirect(int max) throws IOException {
    if (remaining == 0) return null;
    ByteBuffer b = ((DirectSource) in).readDirect((int) Math.min(max, remaining));
    if (b == null) throw new EOFException("the entry's data ends " + remaining + " bytes early");
    remaining -= b.remaining();
    return b;
  }

  /** Reads the current entry's data; -1 at its end. */
  int read(byte[] b, int off, int len) throws IOException {
    if (remaining == 0) return -1;
    int n = in.read(b, off, (int) Math.min(len, remaining));
    if (n < 0) throw new EOFException("the entry's data ends " + remaining + " bytes early");
    remaining -= n;
    return n;
  }

  // ---- one entry
  // --------------------------------------------------------------------------------------------

  private TarHeader entry(byte type, long size, byte[] pax, byte[] longName, byte[] longLink)
      throws IOException {
    boolean ustar = matches(block, 257, "ustar\0");
    boolean gnu = matches(block, 257, "ustar  \0");
    boolean star = ustar && matches(block, 508, "tar\0");
    String name = cString(block, 0, 100);
    if (ustar) {
      String prefix = cString(block, 345, star ? 131 : 155);
      if (!prefix.isEmpty()) name = prefix + "/" + name;
    }
    if (longName != null) name = cString(longName, 0, longName.length);
    String link =
        longLink != null ? cString(longLink, 0, longLink.length) : cString(block, 157, 100);
    // In a loop rather than six calls: the JIT inlines number() once instead of six times (the
    // inlined copies made this method the largest compile of a pull).
    long[] v = fields;
    int count = ustar || gnu ? FIELD_NAMES.length : 4; // devmajor and devminor are ustar's
    for (int i = 0; i < count; i++)
      v[i] = number(block, FIELD_AT[2 * i], FIELD_AT[2 * i + 1], FIELD_NAMES[i]);
    int mode = (int) (v[0] & 07777);
    long uid = v[1];
    long gid = v[2];
    long mtimeSec = v[3];
    long major = count > 4 ? v[4] : 0;
    long minor = count > 4 ? v[5] : 0;
    // GNU and star headers may carry an access time (garbage in some old writers: ignored when
    // unreadable).
    long atimeSec = gnu ? lenient(block, 345, 12) : star ? lenient(block, 476, 12) : 0;
    Instant mtime = instant(name, mtimeSec, 0, "mtime");
    Instant atime = atimeSec > 0 ? instant(name, atimeSec, 0, "atime") : null;
    Header h = new Header(name, link, size, uid, gid, major, minor, mtime, atime);
    // PAX records and GNU sparse maps in their own method: most entries of most layers have
    // neither, and the JIT then compiles (and this allocates) only what a plain header needs.
    if (pax != null) pax(h, pax, longName != null, longLink != null);
    boolean regular = type == '0' || type == 0 || type == '7' || type == 'S';
    boolean headerOnly = type >= '1' && type <= '6';
    long stored = headerOnly ? 0 : h.size;
    remaining = stored;
    padding = pad(stored);
    TarHeader.Sparse sparse = null;
    if (type == 'S') {
      sparse = oldGnuSparse(h.name, stored);
    } else if (h.sparseKeys != null) {
      if (!regular)
        throw new UnpackException(
            h.name, "GNU sparse records on an entry that is not a regular file");
      sparse = paxSparse(h.name, h.sparseKeys, h.sparse0);
    }
    return new TarHeader(
        h.name,
        regular ? (byte) '0' : type,
        mode,
        h.uid,
        h.gid,
        remaining,
        h.link,
        h.major,
        h.minor,
        h.mtime,
        h.atime,
        h.xattrs,
        sparse);
  }

  /** An entry's fields as its PAX records may change them. */
  private static final class Header {
    String name;
    String link;
    long size;
    long uid;
    long gid;
    long major;
    long minor;
    Instant mtime;
    Instant atime;
    Map<String, byte[]> xattrs = Map.of();
    // GNU.sparse.* records other than 0.0's offset/numbytes, and 0.0's pairs in order; both null
    // when the entry has no GNU sparse record.
    Map<String, String> sparseKeys;
    List<Long> sparse0;

    Header(
        String name,
        String link,
        long size,
        long uid,
        long gid,
        long major,
        long minor,
        Instant mtime,
        Instant atime) {
      this.name = name;
      this.link = link;
      this.size = size;
      this.uid = uid;
      this.gid = gid;
      this.major = major;
      this.minor = minor;
      this.mtime = mtime;
      this.atime = atime;
    }
  }

  /**
   * Applies the PAX records of {@code pax} to {@code h}; a GNU long name or link name ({@code
   * longName}, {@code longLink}) wins over a PAX path or linkpath, as in Go.
   */
  private void pax(Header h, byte[] pax, boolean longName, boolean longLink) throws IOException {
    String errName = h.name; // what errors call the entry until the PAX records are read
    Map<String, byte[]> xattrs = new LinkedHashMap<>();
    Map<String, byte[]> libarchive = new LinkedHashMap<>();
    Map<String, String> sparseKeys = new HashMap<>();
    List<Long> sparse0 =
        new ArrayList<>(); // PAX 0.0: GNU.sparse.offset and .numbytes records, in order
    for (PaxRecord r : parsePax(errName, pax)) {
      String v = new String(r.value, StandardCharsets.UTF_8);
      switch (r.key) {
        case "path" -> h.name = longName ? h.name : v; // a GNU long name wins, as in Go
        case "linkpath" -> h.link = longLink ? h.link : v;
        case "size" -> h.size = paxLong(errName, r.key, v);
        case "uid" -> h.uid = paxLong(errName, r.key, v);
        case "gid" -> h.gid = paxLong(errName, r.key, v);
        case "mtime" -> h.mtime = paxTime(errName, r.key, v);
        case "atime" -> h.atime = paxTime(errName, r.key, v);
        case "SCHILY.devmajor" -> h.major = paxLong(errName, r.key, v);
        case "SCHILY.devminor" -> h.minor = paxLong(errName, r.key, v);
        case "GNU.sparse.offset", "GNU.sparse.numbytes" -> {
          if ((sparse0.size() % 2 == 0) != r.key.equals("GNU.sparse.offset")) {
            throw new UnpackException(
                errName,
                "PAX records GNU.sparse.offset and GNU.sparse.numbytes do not" + " alternate");
          }
          if (sparse0.size() / 2 >= maxSparseRegions)
            throw tooManyRegions(errName, sparse0.size() / 2 + 1);
          sparse0.add(paxLong(errName, r.key, v));
        }
        default -> {
          if (r.key.startsWith("GNU.sparse.")) {
            sparseKeys.put(r.key, v);
          } else if (r.key.startsWith(SCHILY)) {
            xattrs.put(r.key.substring(SCHILY.length()), r.value);
          } else if (r.key.startsWith(LIBARCHIVE)) {
            libarchive.put(percentDecode(errName, r.key), base64(errName, r.key, v));
          }
          // other keywords (uname, gname, ctime, comment, charset...) mean nothing to an unpacker
        }
      }
    }
    if (h.size < 0) throw new UnpackException(errName, "PAX record size is negative");
    // libarchive writes both forms of an xattr; the SCHILY one is what Go readers see, so it wins.
    for (Map.Entry<String, byte[]> x : libarchive.entrySet())
      xattrs.putIfAbsent(x.getKey(), x.getValue());
    if (!xattrs.isEmpty()) h.xattrs = xattrs;
    if (sparseKeys.containsKey("GNU.sparse.name")) h.name = sparseKeys.get("GNU.sparse.name");
    if (!sparseKeys.isEmpty() || !sparse0.isEmpty()) {
      h.sparseKeys = sparseKeys;
      h.sparse0 = sparse0;
    }
  }

  // ---- sparse maps
  // ------------------------------------------------------------------------------------------

  /**
   * Old GNU format: four regions in the header, 21 more in each extension block that follows it.
   */
  private TarHeader.Sparse oldGnuSparse(String name, long stored) throws IOException {
    long realSize = number(block, 483, 12, "realsize");
    List<Long> regions = new ArrayList<>();
    boolean extended = gnuRegions(name, block, 386, 4, regions) && block[482] != 0;
    while (extended) {
      if (!readBlock())
        throw new EOFException("the tar stream ends in the sparse map of entry " + name);
      extended = gnuRegions(name, block, 0, 21, regions) && block[504] != 0;
    }
    return checkedSparse(name, realSize, toArray(regions), stored);
  }

  /**
   * Appends up to {@code n} (offset, length) pairs at {@code off}; false when the list ended inside
   * them.
   */
  private boolean gnuRegions(String name, byte[] b, int off, int n, List<Long> out)
      throws IOException {
    for (int i = 0; i < n; i++) {
      int at = off + 24 * i;
      if (b[at] == 0) return false; // an empty slot ends the list, as GNU tar and Go read it
      if (out.size() / 2 >= maxSparseRegions) throw tooManyRegions(name, out.size() / 2 + 1);
      out.add(number(b, at, 12, "sparse offset"));
      out.add(number(b, at + 12, 12, "sparse length"));
    }
    return true;
  }

  private TarHeader.Sparse paxSparse(String name, Map<String, String> keys, List<Long> sparse0)
      throws IOException {
    String major = keys.get("GNU.sparse.major");
    String minor = keys.get("GNU.sparse.minor");
    if (major != null || minor != null) {
      if (!"1".equals(major) || !"0".equals(minor)) {
        throw new UnpackException(name, "unsupported GNU sparse format " + major + "." + minor);
      }
      long realSize =
          paxLong(name, "GNU.sparse.realsize", required(name, keys, "GNU.sparse.realsize"));
      long[] regions = sparseMap1x0(name);
      return checkedSparse(name, realSize, regions, remaining);
    }
    long realSize = paxLong(name, "GNU.sparse.size", required(name, keys, "GNU.sparse.size"));
    long[] regions;
    String map = keys.get("GNU.sparse.map");
    if (map != null) { // 0.1: "offset,length,offset,length..."
      String[] parts = map.isEmpty() ? new String[0] : map.split(",", -1);
      if (parts.length % 2 != 0)
        throw new UnpackException(name, "PAX record GNU.sparse.map has an odd count");
      if (parts.length / 2 > maxSparseRegions) throw tooManyRegions(name, parts.length / 2);
      regions = new long[parts.length];
      for (int i = 0; i < parts.length; i++) regions[i] = paxLong(name, "GNU.sparse.map", parts[i]);
    } else { // 0.0
      if (sparse0.size() % 2 != 0)
        throw new UnpackException(name, "PAX record GNU.sparse.numbytes missing");
      regions = toArray(sparse0);
    }
    String blocks = keys.get("GNU.sparse.numblocks");
    if (blocks != null && paxLong(name, "GNU.sparse.numblocks", blocks) != regions.length / 2) {
      throw new UnpackException(
          name,
          "PAX record GNU.sparse.numblocks says "
              + blocks
              + " but the map has "
              + regions.length / 2
              + " regions");
    }
    return checkedSparse(name, realSize, regions, remaining);
  }

  /**
   * PAX 1.0: the map is at the start of the entry's data, decimal numbers one per line (the count,
   * then offset and length pairs), padded to a block; the file's data follows.
   */
  private long[] sparseMap1x0(String name) throws IOException {
    Lines lines = new Lines(name);
    long count = lines.next();
    if (count > maxSparseRegions) throw tooManyRegions(name, count);
    long[] regions = new long[(int) count * 2];
    for (int i = 0; i < regions.length; i++) regions[i] = lines.next();
    return regions;
  }

  /** Decimal lines read block by block from the entry's data. */
  private final class Lines {
    final String name;
    int at = BLOCK; // nothing buffered yet

    Lines(String name) {
      this.name = name;
    }

    long next() throws IOException {
      long v = 0;
      int digits = 0;
      while (true) {
        if (at == BLOCK) {
          if (remaining < BLOCK)
            throw new UnpackException(name, "GNU sparse map runs past the entry's data");
          readFully(block, BLOCK);
          remaining -= BLOCK;
          at = 0;
        }
        byte c = block[at++];
        if (c == '\n' && digits > 0) return v;
        if (c < '0' || c > '9' || ++digits > 18) {
          throw new UnpackException(
              name, "GNU sparse map: not a decimal number of up to 18 digits");
        }
        v = v * 10 + (c - '0');
      }
    }
  }

  /**
   * The map checked as Go checks it, and against what the entry stores: the data must be exactly
   * the regions.
   */
  private static TarHeader.Sparse checkedSparse(String name, long realSize, long[] r, long stored)
      throws UnpackException {
    if (realSize < 0) throw new UnpackException(name, "sparse file with a negative size");
    long end = 0;
    long data = 0;
    for (int i = 0; i < r.length; i += 2) {
      long off = r[i];
      long len = r[i + 1];
      if (off < 0 || len < 0 || off > Long.MAX_VALUE - len || off + len > realSize || off < end) {
        throw new UnpackException(
            name,
            "sparse map region "
                + i / 2
                + " (offset "
                + off
                + ", length "
                + len
                + ") is outside the file's "
                + realSize
                + " bytes or overlaps the one before");
      }
      end = off + len;
      data += len;
    }
    if (data != stored) {
      throw new UnpackException(
          name, "sparse map has " + data + " bytes of data but the entry stores " + stored);
    }
    return new TarHeader.Sparse(realSize, r);
  }

  private UnpackException tooManyRegions(String name, long n) {
    return new UnpackException(
        name,
        "sparse map has "
            + (n > maxSparseRegions ? "more than " + maxSparseRegions : n)
            + " regions; the limit is "
            + maxSparseRegions);
  }

  private static String required(String name, Map<String, String> keys, String key)
      throws UnpackException {
    String v = keys.get(key);
    if (v == null) throw new UnpackException(name, "GNU sparse file without a PAX record " + key);
    return v;
  }

  private static long[] toArray(List<Long> l) {
    long[] a = new long[l.size()];
    for (int i = 0; i < a.length; i++) a[i] = l.get(i);
    return a;
  }

  // ---- PAX
  // ---------------------------------------------------------------------------------------------------

  private record PaxRecord(String key, byte[] value) {}

  /** "length key=value\n" records; values are raw bytes (xattrs need not be text). */
  private static List<PaxRecord> parsePax(String name, byte[] b) throws UnpackException {
    List<PaxRecord> out = new ArrayList<>();
    int p = 0;
    while (p < b.length) {
      int sp = p;
      long len = 0;
      while (sp < b.length && b[sp] >= '0' && b[sp] <= '9' && len < b.length)
        len = len * 10 + (b[sp++] - '0');
      if (sp == p
          || sp >= b.length
          || b[sp] != ' '
          || len < sp - p + 4
          || p + len > b.length
          || b[(int) (p + len - 1)] != '\n') {
        throw new UnpackException(name, "malformed PAX record at byte " + p + " of the PAX header");
      }
      int end = (int) (p + len - 1);
      int eq = sp + 1;
      while (eq < end && b[eq] != '=') eq++;
      if (eq == end || eq == sp + 1) {
        throw new UnpackException(name, "malformed PAX record at byte " + p + " of the PAX header");
      }
      out.add(
          new PaxRecord(
              new String(b, sp + 1, eq - sp - 1, StandardCharsets.UTF_8),
              java.util.Arrays.copyOfRange(b, eq + 1, end)));
      p += (int) len;
    }
    return out;
  }

  private static long paxLong(String name, String key, String v) throws UnpackException {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new UnpackException(
          name,
          "PAX record "
              + key
              + ": "
              + UnpackException.quote(v)
              + " is not a decimal number of 64 bits");
    }
  }

  /**
   * Seconds since the epoch, maybe negative, maybe with a fraction ("1796490992.024652275",
   * "-1.5").
   */
  private static Instant paxTime(String name, String key, String v) throws UnpackException {
    int dot = v.indexOf('.');
    String whole = dot < 0 ? v : v.substring(0, dot);
    String frac = dot < 0 ? "" : v.substring(dot + 1);
    if (!frac.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new UnpackException(
          name, "PAX record " + key + ": " + UnpackException.quote(v) + " is not a time");
    }
    long sec = whole.isEmpty() || whole.equals("-") ? 0 : paxLong(name, key, whole);
    long nanos = frac.isEmpty() ? 0 : Long.parseLong((frac + "000000000").substring(0, 9));
    if (whole.startsWith("-")) nanos = -nanos;
    return instant(name, sec, nanos, key);
  }

  private static Instant instant(String name, long sec, long nanos, String what)
      throws UnpackException {
    try {
      return Instant.ofEpochSecond(sec, nanos);
    } catch (DateTimeException | ArithmeticException e) {
      throw new UnpackException(name, what + " " + sec + " is out of range");
    }
  }

  /** libarchive's form of an xattr name: URL-style %XX escapes, no '+' for space. */
  private static String percentDecode(String name, String key) throws UnpackException {
    String s = key.substring(LIBARCHIVE.length());
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] raw = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] != '%') {
        b.write(raw[i]);
        continue;
      }
      int hi = i + 2 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
      int lo = i + 2 < raw.length ? Character.digit(raw[i + 2], 16) : -1;
      if (hi < 0 || lo < 0) {
        throw new UnpackException(
            name,
            "PAX record " + UnpackException.quote(key) + ": bad %-escape in the" + " xattr name");
      }
      b.write(hi * 16 + lo);
      i += 2;
    }
    String decoded = b.toString(StandardCharsets.UTF_8);
    if (decoded.isEmpty() || decoded.indexOf('\0') >= 0) {
      throw new UnpackException(
          name,
          "PAX record "
              + UnpackException.quote(key)
              + ": empty xattr name or one"
              + " with a NUL byte");
    }
    return decoded;
  }

  private static byte[] base64(String name, String key, String v) throws UnpackException {
    try {
      return Base64.getDecoder().decode(v.strip());
    } catch (IllegalArgumentException e) {
      throw new UnpackException(
          name,
          "PAX record "
              + UnpackException.quote(key)
              + ": value is not base64 ("
              + e.getMessage()
              + ")");
    }
  }

  // ---- blocks and numbers
  // ------------------------------------------------------------------------------------

  /** Reads the next header block; false at the end of the archive. Checks the header's checksum. */
  private boolean readHeader() throws IOException {
    if (!readBlock())
      return false; // the stream ends between entries: Go and GNU tar take that as the end too
    boolean zero = true;
    for (byte x : block) {
      if (x != 0) {
        zero = false;
        break;
      }
    }
    if (zero) return false; // the end-of-archive marker; whatever follows is the caller's to drain
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < BLOCK; i++) {
      int c = i >= 148 && i < 156 ? ' ' : block[i];
      unsigned += c & 0xff;
      signed += c;
    }
    long want;
    try {
      want = number(block, 148, 8, "chksum");
    } catch (IOException e) {
      want = -1;
    }
    if (want != unsigned && want != signed)
      throw new IOException("not a tar header (its checksum is wrong)");
    return true;
  }

  /** A whole block, or false when the stream ends before its first byte. */
  private boolean readBlock() throws IOException {
    int n = 0;
    while (n < BLOCK) {
      int r = in.read(block, n, BLOCK - n);
      if (r < 0) {
        if (n == 0) return false;
        throw new EOFException("the tar stream ends inside a tar header");
      }
      n += r;
    }
    return true;
  }

  private void readFully(byte[] b, int len) throws IOException {
    int n = 0;
    while (n < len) {
      int r = in.read(b, n, len - n);
      if (r < 0) throw new EOFException("the tar stream ends inside an entry's data");
      n += r;
    }
  }

  private byte[] readMeta(long size, String what) throws IOException {
    if (size > MAX_META)
      throw new IOException(what + " of " + size + " bytes (the limit is " + MAX_META + ")");
    metaBytes += size;
    byte[] b = new byte[(int) size];
    readFully(b, b.length);
    skip(pad(size));
    return b;
  }

  private void skip(long n) throws IOException {
    while (n > 0) {
      int r = in.read(scratch, 0, (int) Math.min(scratch.length, n));
      if (r < 0)
        throw new EOFException(
            "the tar stream ends " + n + " bytes before the end of an entry's data");
      n -= r;
    }
  }

  private static long pad(long size) {
    return (BLOCK - size % BLOCK) % BLOCK;
  }

  /**
   * A numeric header field: octal digits padded with spaces or NULs, or GNU's base-256 (the first
   * byte's top bit set; 0xff leads a negative number), as Go reads them.
   */
  static long number(byte[] b, int off, int len, String field) throws IOException {
    if ((b[off] & 0x80) != 0) {
      int invert = (b[off] & 0x40) != 0 ? 0xff : 0; // two's complement: -a-1 == ~a
      long v = 0;
      for (int i = 0; i < len; i++) {
        int c = (b[off + i] ^ invert) & 0xff;
        if (i == 0) c &= 0x7f;
        if ((v >>> 55) != 0)
          throw new IOException("tar header field " + field + " overflows 64 bits");
        v = (v << 8) | c;
      }
      return invert != 0 ? ~v : v;
    }
    int start = off;
    int end = off + len;
    while (start < end && (b[start] == ' ' || b[start] == 0)) start++;
    while (end > start && (b[end - 1] == ' ' || b[end - 1] == 0)) end--;
    long v = 0;
    for (int i = start; i < end; i++) {
      if (b[i] < '0' || b[i] > '7') throw notOctal(b, off, len, field);
      v = (v << 3) | (b[i] - '0');
    }
    return v; // at most 12 octal digits here: 36 bits, no overflow
  }

  /**
   * The error of a field that is not a number (out of line: number() is on every header's path).
   */
  private static IOException notOctal(byte[] b, int off, int len, String field) {
    return new IOException(
        "tar header field "
            + field
            + " is not an octal number: "
            + UnpackException.quote(new String(b, off, len, StandardCharsets.ISO_8859_1)));
  }

  private static long lenient(byte[] b, int off, int len) {
    try {
      return number(b, off, len, "time");
    } catch (IOException e) {
      return 0;
    }
  }

  private static boolean matches(byte[] b, int off, String s) {
    for (int i = 0; i < s.length(); i++) if (b[off + i] != s.charAt(i)) return false;
    return true;
  }

  /** A NUL-terminated (or full-width) string field. */
  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && b[end] != 0) end++;
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }
}
