/**
 * Images: the content store (sha256-addressed blobs), the registry client (OCI distribution
 * protocol), the image store (names to manifests), layer unpacking into snapshots, and
 * import/export. The engine and the {@code berth} CLI call this library directly; it keeps its
 * state under one root directory, shared between processes with locks.
 */
package dev.berth.image;
