package dev.berth.spec.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonReaderTest {

    private static JsonReader reader(String json) throws SpecException {
        return JsonReader.of(json.getBytes(StandardCharsets.UTF_8), "doc.json");
    }

    @Test
    void pathFollowsNestedObjectsAndArrays() throws SpecException {
        try (JsonReader r = reader("{\"a\":[{\"b\":{\"c\":[0,1,\"x\"]}}]}")) {
            assertTrue(r.beginObject());
            assertEquals("a", r.nextField());
            assertTrue(r.beginArray());
            assertTrue(r.nextElement());
            assertTrue(r.beginObject());
            assertEquals("b", r.nextField());
            assertTrue(r.beginObject());
            assertEquals("c", r.nextField());
            assertTrue(r.beginArray());
            assertTrue(r.nextElement());
            assertEquals(0, r.int32());
            assertTrue(r.nextElement());
            assertTrue(r.nextElement());
            assertEquals("a[0].b.c[2]", r.path());
            SpecException e = assertThrows(SpecException.class, r::int64);
            assertEquals("doc.json: a[0].b.c[2]: expected int64, got string", e.getMessage());
        }
    }

    @Test
    void skipLeavesTheReaderOnTheNextSibling() throws SpecException {
        try (JsonReader r = reader("{\"skip\":{\"x\":[1,{\"y\":\"}\"}],\"z\":{}},\"keep\":7}")) {
            r.beginObject();
            assertEquals("skip", r.nextField());
            r.skip();
            assertEquals("keep", r.nextField());
            assertEquals(7, r.uint32());
            assertNull(r.nextField());
            r.end();
        }
    }

    @Test
    void nullReadsAsZeroValues() throws SpecException {
        try (JsonReader r = reader("[null,null,null,null,null,null]")) {
            r.beginArray();
            r.nextElement();
            assertEquals("", r.string());
            r.nextElement();
            assertFalse(r.bool());
            r.nextElement();
            assertNull(r.optInt64());
            r.nextElement();
            assertEquals(List.of(), r.strings());
            r.nextElement();
            assertEquals(Map.of(), r.stringMap());
            r.nextElement();
            assertFalse(r.beginObject());
            assertFalse(r.nextElement());
            r.end();
        }
    }

    @Test
    void unsignedRangesMatchGo() throws SpecException {
        try (JsonReader r = reader("[18446744073709551615, 4294967295, 65535, -2147483648]")) {
            r.beginArray();
            r.nextElement();
            assertEquals(-1L, r.uint64());
            r.nextElement();
            assertEquals(-1, r.uint32());
            r.nextElement();
            assertEquals(65535, r.uint16());
            r.nextElement();
            assertEquals(Integer.MIN_VALUE, r.int32());
        }
    }
}
