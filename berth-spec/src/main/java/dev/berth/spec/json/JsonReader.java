package dev.berth.spec.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pull reader over jackson-core's {@link JsonParser} that knows the path of the value it is on, so every error names
 * the field ({@code process.args[1]: expected string, got number}).
 *
 * <p>Model: the reader is always positioned on a value. Read it with one of the typed methods, enter it with
 * {@link #beginObject()} / {@link #beginArray()}, or {@link #skip()} it; then move on with {@link #nextField()} or
 * {@link #nextElement()}. Typical use, without lambdas (they cost start-up time):
 * <pre>{@code
 * if (!r.beginObject()) return null;           // JSON null: absent
 * for (String f; (f = r.nextField()) != null; ) {
 *     switch (f) {
 *         case "path" -> path = r.string();
 *         default -> r.skip();                  // unknown fields are ignored
 *     }
 * }
 * }</pre>
 *
 * <p>Semantics follow Go's encoding/json, which is what runc and containerd use: a JSON {@code null} leaves a value at
 * its zero value (empty string, 0, false, absent), integers must be integer literals in range of their Go type, and a
 * repeated field keeps its last value.
 */
public final class JsonReader implements AutoCloseable {
    // Plain factory: no codec, no reflection. Field names are not interned: they are short-lived switch keys.
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private final JsonParser parser;
    private final String source;
    private JsonToken token;

    // Path stack: one frame per open object or array. names[i] is the current field of an object frame (null before
    // the first field); indexes[i] is the current index of an array frame (-1 before the first element).
    private String[] names = new String[16];
    private int[] indexes = new int[16];
    private boolean[] arrays = new boolean[16];
    private int depth;

    private JsonReader(JsonParser parser, String source) {
        this.parser = parser;
        this.source = source == null ? "" : source;
    }

    /** Opens a reader positioned on the top-level value of {@code json}; {@code source} prefixes every error. */
    public static JsonReader of(byte[] json, String source) throws SpecException {
        JsonParser parser;
        try {
            parser = FACTORY.createParser(json);
        } catch (IOException e) {
            throw new SpecException(source, "", "open json: " + e.getMessage(), e);
        }
        JsonReader reader = new JsonReader(parser, source);
        reader.advance();
        if (reader.token == null) {
            throw reader.error("empty document, expected a json value");
        }
        return reader;
    }

    /** The source name given to {@link #of}. */
    public String source() {
        return source;
    }

    /** The path of the current value, e.g. {@code linux.namespaces[2].type}; empty at the top level. */
    public String path() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            if (arrays[i]) {
                if (indexes[i] >= 0) {
                    sb.append('[').append(indexes[i]).append(']');
                }
            } else if (names[i] != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(names[i]);
            }
        }
        return sb.toString();
    }

    /** An exception for the current value: the message is prefixed with source and path. */
    public SpecException error(String detail) {
        return new SpecException(source, path(), detail);
    }

    /** True if the current value is JSON null. */
    public boolean isNull() {
        return token == JsonToken.VALUE_NULL;
    }

    // ---- structure ----

    /** Enters the current object; returns false (and consumes it) if the value is null. */
    public boolean beginObject() throws SpecException {
        if (token == JsonToken.VALUE_NULL) {
            return false;
        }
        if (token != JsonToken.START_OBJECT) {
            throw mismatch("object");
        }
        push(false);
        return true;
    }

    /** Moves to the next field of the current object and returns its name, or null after the last one. */
    public String nextField() throws SpecException {
        advance();
        if (token == JsonToken.END_OBJECT) {
            depth--;
            return null;
        }
        if (token != JsonToken.FIELD_NAME) {
            throw error("expected a field name, got " + describe(token));
        }
        String name = currentName();
        names[depth - 1] = name;
        advance();
        return name;
    }

    /** Enters the current array; returns false (and consumes it) if the value is null. */
    public boolean beginArray() throws SpecException {
        if (token == JsonToken.VALUE_NULL) {
            return false;
        }
        if (token != JsonToken.START_ARRAY) {
            throw mismatch("array");
        }
        push(true);
        return true;
    }

    /** Moves to the next element of the current array; false after the last one. */
    public boolean nextElement() throws SpecException {
        advance();
        if (token == JsonToken.END_ARRAY) {
            depth--;
            return false;
        }
        indexes[depth - 1]++;
        return true;
    }

    /** Skips the current value, with everything nested in it. */
    public void skip() throws SpecException {
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            try {
                parser.skipChildren();
            } catch (IOException e) {
                throw syntax(e);
            }
        }
    }

    /** Checks that nothing but whitespace follows the top-level value, as Go's json.Unmarshal does. */
    public void end() throws SpecException {
        advance();
        if (token != null) {
            throw new SpecException(source, "", "unexpected " + describe(token) + " after the top-level value");
        }
    }

    @Override
    public void close() {
        try {
            parser.close();
        } catch (IOException e) {
            // closing a parser over a byte[] releases buffers only; nothing to report
        }
    }

    // ---- scalars ----

    /** A string; null reads as "". */
    public String string() throws SpecException {
        if (token == JsonToken.VALUE_STRING) {
            return text();
        }
        if (token == JsonToken.VALUE_NULL) {
            return "";
        }
        throw mismatch("string");
    }

    /** A boolean; null reads as false. */
    public boolean bool() throws SpecException {
        if (token == JsonToken.VALUE_TRUE) {
            return true;
        }
        if (token == JsonToken.VALUE_FALSE || token == JsonToken.VALUE_NULL) {
            return false;
        }
        throw mismatch("boolean");
    }

    /** A boolean, or null when the value is null. */
    public Boolean optBool() throws SpecException {
        return token == JsonToken.VALUE_NULL ? null : bool();
    }

    /** A signed 64-bit integer; null reads as 0. */
    public long int64() throws SpecException {
        if (token == JsonToken.VALUE_NULL) {
            return 0;
        }
        integerToken("int64");
        try {
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw outOfRange("int64");
            }
            return parser.getLongValue();
        } catch (IOException e) {
            throw outOfRange("int64");
        }
    }

    /** An unsigned 64-bit integer in the bits of a long (18446744073709551615 reads as -1L); null reads as 0. */
    public long uint64() throws SpecException {
        if (token == JsonToken.VALUE_NULL) {
            return 0;
        }
        integerToken("uint64");
        String text = text();
        if (text.startsWith("-")) {
            throw outOfRange("uint64");
        }
        try {
            return Long.parseUnsignedLong(text);
        } catch (NumberFormatException e) {
            throw outOfRange("uint64");
        }
    }

    /** A signed 32-bit integer; null reads as 0. */
    public int int32() throws SpecException {
        long v = int64Checked("int32");
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw outOfRange("int32");
        }
        return (int) v;
    }

    /** An unsigned 32-bit integer in the bits of an int (use {@link Integer#toUnsignedLong}); null reads as 0. */
    public int uint32() throws SpecException {
        long v = int64Checked("uint32");
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw outOfRange("uint32");
        }
        return (int) v;
    }

    /** An unsigned 16-bit integer; null reads as 0. */
    public int uint16() throws SpecException {
        long v = int64Checked("uint16");
        if (v < 0 || v > 0xFFFF) {
            throw outOfRange("uint16");
        }
        return (int) v;
    }

    public Long optInt64() throws SpecException {
        return token == JsonToken.VALUE_NULL ? null : int64();
    }

    public Long optUint64() throws SpecException {
        return token == JsonToken.VALUE_NULL ? null : uint64();
    }

    public Integer optInt32() throws SpecException {
        return token == JsonToken.VALUE_NULL ? null : int32();
    }

    public Integer optUint32() throws SpecException {
        return token == JsonToken.VALUE_NULL ? null : uint32();
    }

    public Integer optUint16() throws SpecException {
        return token == JsonToken.VALUE_NULL ? null : uint16();
    }

    // ---- common composites ----

    /** An array of strings; null reads as an empty list. */
    public List<String> strings() throws SpecException {
        if (!beginArray()) {
            return List.of();
        }
        List<String> list = new ArrayList<>();
        while (nextElement()) {
            list.add(string());
        }
        return list;
    }

    /** An object of string values, in document order; null reads as an empty map. */
    public Map<String, String> stringMap() throws SpecException {
        if (!beginObject()) {
            return Map.of();
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (String f; (f = nextField()) != null; ) {
            map.put(f, string());
        }
        return map;
    }

    // ---- internals ----

    private long int64Checked(String type) throws SpecException {
        if (token == JsonToken.VALUE_NULL) {
            return 0;
        }
        integerToken(type);
        try {
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw outOfRange(type);
            }
            return parser.getLongValue();
        } catch (IOException e) {
            throw outOfRange(type);
        }
    }

    private void integerToken(String type) throws SpecException {
        if (token == JsonToken.VALUE_NUMBER_INT) {
            return;
        }
        if (token == JsonToken.VALUE_NUMBER_FLOAT) {
            throw error("expected " + type + ", got number " + text());
        }
        throw error("expected " + type + ", got " + describe(token));
    }

    private SpecException outOfRange(String type) throws SpecException {
        return error("number " + text() + " out of range for " + type);
    }

    private SpecException mismatch(String expected) {
        return error("expected " + expected + ", got " + describe(token));
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "end of input";
        }
        return switch (t) {
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "boolean";
            case VALUE_NULL -> "null";
            case START_OBJECT -> "object";
            case START_ARRAY -> "array";
            case FIELD_NAME -> "field name";
            default -> t.asString() == null ? t.name().toLowerCase() : "\"" + t.asString() + "\"";
        };
    }

    private void push(boolean array) {
        if (depth == names.length) {
            int n = depth * 2;
            names = java.util.Arrays.copyOf(names, n);
            indexes = java.util.Arrays.copyOf(indexes, n);
            arrays = java.util.Arrays.copyOf(arrays, n);
        }
        arrays[depth] = array;
        names[depth] = null;
        indexes[depth] = -1;
        depth++;
    }

    private void advance() throws SpecException {
        try {
            token = parser.nextToken();
        } catch (IOException e) {
            throw syntax(e);
        }
    }

    private String text() throws SpecException {
        try {
            return parser.getText();
        } catch (IOException e) {
            throw syntax(e);
        }
    }

    private String currentName() throws SpecException {
        try {
            return parser.currentName();
        } catch (IOException e) {
            throw syntax(e);
        }
    }

    private SpecException syntax(IOException e) {
        String message = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        if (message == null) {
            message = e.getClass().getSimpleName();
        }
        int nl = message.indexOf('\n');
        if (nl >= 0) {
            message = message.substring(0, nl);
        }
        if (!message.isEmpty() && Character.isUpperCase(message.charAt(0))
                && (message.length() == 1 || !Character.isUpperCase(message.charAt(1)))) {
            message = Character.toLowerCase(message.charAt(0)) + message.substring(1);
        }
        StringBuilder detail = new StringBuilder("invalid json");
        JsonLocation at = e instanceof JsonProcessingException jpe ? jpe.getLocation() : null;
        if (at != null && at.getLineNr() > 0) {
            detail.append(" at line ").append(at.getLineNr()).append(", column ").append(at.getColumnNr());
        }
        detail.append(": ").append(message);
        return new SpecException(source, path(), detail.toString(), e);
    }
}
