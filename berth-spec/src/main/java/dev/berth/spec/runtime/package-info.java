/**
 * OCI runtime-spec models (config.json and state) as immutable records.
 *
 * <p>Conventions, so callers need no null checks beyond the documented ones: lists and maps are
 * never null (empty when absent) and immutable, maps iterate sorted by key (as Go writes them);
 * strings are never null ("" when absent, which Go's {@code omitempty} also treats as absent);
 * boxed numbers and booleans are null only where absent differs from zero. Unsigned JSON types
 * (uint32, uint64) are kept in int / long with the same bits: compare them with {@link
 * java.lang.Integer#compareUnsigned} / {@link java.lang.Long#compareUnsigned}.
 */
package dev.berth.spec.runtime;
