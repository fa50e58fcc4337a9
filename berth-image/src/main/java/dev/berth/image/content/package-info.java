/**
 * The content store: blobs addressed by their digest under {@code blobs/<algorithm>/<hex>}, written
 * through ingests that survive a crash for resume ({@code ingest/<algorithm>-<hex>/}), shared
 * between threads and processes with file locks, and garbage-collected by mark and sweep under a
 * store-wide lock that pulls hold shared as a lease.
 */
package dev.berth.image.content;
